"""run_shard on ImageNet-P clips: counts equal the reference loop's (cv2 frames, numpy ranking), with its
pairing (noise: against frame 0; others: frames `difficulty` apart) and difficulty folders for noise."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from evaluators.data.sample_sets import sample_clip, write_clip
from evaluators.errors import DatasetError
from evaluators.runner import PerturbationShard, cpu_has_native_bf16, run_shard

FRAMES = 6


def p_shard(datasets, perturbation, difficulty=1):
    return PerturbationShard(root=str(datasets["p"]), perturbation=perturbation, difficulty=difficulty)


@pytest.mark.parametrize(("perturbation", "difficulty"),
                         [("gaussian_noise", 1), ("gaussian_noise", 3), ("translate", 1), ("translate", 2)])
def test_counts_equal_the_reference_loop(datasets, classes, tiny, reference, perturbation, difficulty):
    result = run_shard(tiny, p_shard(datasets, perturbation, difficulty), classes=classes, batch_size=16)
    assert result.counts == reference["sequences"](tiny, datasets["p"], perturbation, difficulty)
    assert result.images == 8 * FRAMES and result.counts.sequences == 8


def test_pairing_and_difficulty(datasets, classes, tiny):
    def pairs(perturbation, difficulty):
        return run_shard(tiny, p_shard(datasets, perturbation, difficulty), classes=classes).counts.pairs

    # noise: every frame against frame 0, whatever the difficulty; the difficulty picks the folder
    assert pairs("gaussian_noise", 1) == pairs("gaussian_noise", 2) == 8 * (FRAMES - 1)
    noise_1 = run_shard(tiny, p_shard(datasets, "gaussian_noise", 1), classes=classes, hash_contents=True)
    noise_2 = run_shard(tiny, p_shard(datasets, "gaussian_noise", 2), classes=classes, hash_contents=True)
    assert noise_1.manifest.entries[0][0].startswith("gaussian_noise/")
    assert noise_2.manifest.entries[0][0].startswith("gaussian_noise_2/")
    assert noise_1.manifest.content_sha256 != noise_2.manifest.content_sha256
    # others: frames j and j + d
    assert pairs("translate", 1) == 8 * (FRAMES - 1) and pairs("translate", 3) == 8 * (FRAMES - 3)


def test_clips_batch_whole_and_any_batch_size_agrees(datasets, classes, tiny):
    seen: list[int] = []
    small = run_shard(tiny, p_shard(datasets, "translate"), classes=classes, batch_size=4, progress=seen.append)
    large = run_shard(tiny, p_shard(datasets, "translate"), classes=classes, batch_size=200, workers=0)
    assert small.counts == large.counts and seen == list(range(1, 9))  # one clip per batch below 31 frames


def test_a_clip_of_another_length_is_listed(tmp_path, datasets, classes, tiny):
    root = tmp_path / "p"
    shutil.copytree(datasets["p"] / "translate", root / "translate")
    rng = np.random.default_rng(0)
    odd = root / "translate" / "n02123045" / "zz_odd.mp4"
    write_clip(odd, sample_clip("chelsea", rng, FRAMES + 2, None))
    shard = PerturbationShard(root=str(root), perturbation="translate")
    with pytest.raises(DatasetError, match=r"zz_odd\.mp4 \(unreadable: 8 frames, while this shard's clips have 6\)"):
        run_shard(tiny, shard, classes=classes)
    result = run_shard(tiny, shard, classes=classes, allow_missing=True)
    assert result.counts.sequences == 8 and list(result.skipped) == ["n02123045/zz_odd.mp4"]


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16")
def test_bf16_runs(datasets, classes, tiny):
    result = run_shard(tiny, p_shard(datasets, "gaussian_noise"), classes=classes, precision="bf16")
    assert result.counts.pairs == 8 * (FRAMES - 1) and result.settings["precision"] == "bf16"
