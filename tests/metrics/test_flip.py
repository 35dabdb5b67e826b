"""ImageNet-P pairing, flip probability and top-5 distance: the spec's test vectors and torch == numpy."""

import numpy as np
import pytest
import torch

from evaluators.errors import InvalidInputError
from evaluators.metrics import (
    SequenceCounts,
    pair_indices,
    sequence_counts,
    sequence_counts_torch,
    top5_distance,
)

C = 1000


def logits_with_sigma(sigma: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Frame a ranks class k at k+1; frame b ranks a's t-th best class (class t-1) at sigma[t-1]."""
    logits_a = -np.arange(C, dtype=np.float32)
    ranks_b = np.empty(C, dtype=np.int64)
    ranks_b[: len(sigma)] = sigma
    ranks_b[len(sigma) :] = [r for r in range(1, C + 1) if r not in sigma]
    return logits_a, -ranks_b.astype(np.float32)


@pytest.mark.parametrize(
    ("sigma", "expected"),
    [((2, 1, 3, 4, 5), 2), ((6, 1, 2, 3, 4), 9), ((1000, 1, 2, 3, 4), 9), ((5, 4, 3, 2, 1), 12),
     ((1, 6, 2, 3, 4), 7), ((6, 7, 8, 9, 10), 15), ((1, 2, 3, 4, 5), 0)],
)
def test_top5_distance_vectors(sigma, expected):
    a, b = logits_with_sigma(sigma)
    assert top5_distance(a, b) == expected
    logits = torch.from_numpy(np.stack([a, b]))[None]
    assert sequence_counts_torch(logits, noise=False).top5_distance_sum == expected


def test_large_ranks_do_not_overflow():
    # The reference stores ranks as uint16: |i - min(sigma, 6)| must be computed signed.
    a, b = logits_with_sigma((1000, 999, 998, 997, 996))
    assert top5_distance(a, b) == (5 + 4 + 3 + 2 + 1)


def one_hot_sequence(predictions: list[int]) -> np.ndarray:
    logits = np.zeros((len(predictions), 10), dtype=np.float32)
    logits[np.arange(len(predictions)), predictions] = 1.0
    return logits


@pytest.mark.parametrize(
    ("predictions", "noise", "difficulty", "fp"),
    [([1, 2, 2, 2, 2], False, 1, 0.25), ([1, 2, 2, 2, 2], True, 1, 1.0),
     ([1, 2, 1, 2, 1, 2], False, 2, 0.0), ([1, 2, 1, 2, 1, 2], False, 1, 1.0),
     ([1, 2, 1, 2, 1, 2], True, 3, 0.6)],
)
def test_flip_probability_vectors(predictions, noise, difficulty, fp):
    logits = one_hot_sequence(predictions)
    assert sequence_counts(logits, noise, difficulty).flip_probability == pytest.approx(fp)
    fast = sequence_counts_torch(torch.from_numpy(logits)[None], noise, difficulty)
    assert fast.flip_probability == pytest.approx(fp)


def test_pairing_rules():
    a, b = pair_indices(31, noise=True, difficulty=3)
    assert (a == 0).all() and list(b) == list(range(1, 31))
    a, b = pair_indices(41, noise=False, difficulty=2)
    assert list(zip(a, b, strict=True))[:3] == [(0, 2), (1, 3), (2, 4)] and len(a) == 39
    with pytest.raises(InvalidInputError):
        pair_indices(31, noise=False, difficulty=0)


@pytest.mark.parametrize("noise", [False, True])
@pytest.mark.parametrize("difficulty", [1, 2, 3])
def test_torch_path_matches_numpy_reference_with_ties(noise, difficulty):
    rng = np.random.default_rng(difficulty)
    # Coarse logits produce many ties, which both paths must break towards the lower class index.
    logits = rng.integers(0, 6, size=(4, 31, 50)).astype(np.float32)
    expected = SequenceCounts.total(sequence_counts(seq, noise, difficulty) for seq in logits)
    assert sequence_counts_torch(torch.from_numpy(logits), noise, difficulty) == expected


def test_shards_merge_to_one_pass():
    logits = torch.randn(6, 31, 100, generator=torch.Generator().manual_seed(0))
    whole = sequence_counts_torch(logits, noise=False)
    parts = [sequence_counts_torch(logits[i : i + 2], noise=False) for i in range(0, 6, 2)]
    assert SequenceCounts.total(parts) == whole
    assert whole.sequences == 6 and whole.pairs == 180


def test_zero_baseline_flip_probability_is_none_with_a_note():
    from evaluators.benchmarks import PERTURBATIONS
    from evaluators.metrics import ImageNetPBaseline, imagenet_p_report

    fp = dict.fromkeys(PERTURBATIONS, 0.1)
    t5d = dict.fromkeys(PERTURBATIONS, 1.0)
    baseline = ImageNetPBaseline("b", "1", {**fp, "tilt": 0.0}, t5d)
    report = imagenet_p_report(fp, t5d, baseline)
    assert report.flip_rate["tilt"] is None and report.mfp is None and report.mt5d == pytest.approx(1.0)
    assert any("tilt flip probability is 0" in note for note in report.notes)
