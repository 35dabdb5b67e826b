"""CE, mCE, relative mCE from error tables and from counts; baselines as data."""

import pytest

from evaluators.benchmarks import CORRUPTIONS, EXTRA_CORRUPTIONS
from evaluators.errors import InvalidInputError
from evaluators.metrics import (
    ALEXNET_IMAGENET_C,
    ImageNetCBaseline,
    TopKCounts,
    imagenet_c_report,
    imagenet_c_report_from_counts,
)


def test_alexnet_scores_100():
    report = imagenet_c_report(ALEXNET_IMAGENET_C.errors, ALEXNET_IMAGENET_C.clean_error)
    assert report.mce == pytest.approx(1.0) and report.relative_mce == pytest.approx(1.0)
    assert set(report.ce) == set(CORRUPTIONS) | set(EXTRA_CORRUPTIONS)
    data = report.to_dict()
    assert data["mce"] == 100.0 and data["relative_mce"] == 100.0
    assert set(data["extra_ce"]) == set(EXTRA_CORRUPTIONS) and set(data["ce"]) == set(CORRUPTIONS)
    assert data["baseline"] == {"name": "alexnet", "version": "hendrycks-2019-10-10"}
    assert data["mean_error"] == pytest.approx(78.90, abs=0.005)  # spec: AlexNet mean over the 15 = 0.788993


def test_ce_is_ratio_of_sums_and_extras_stay_out_of_mce():
    errors = {c: [0.5 * e for e in ALEXNET_IMAGENET_C.errors[c]] for c in CORRUPTIONS}
    errors["saturate"] = [1.0] * 5  # an extra, however bad, must not move mCE
    report = imagenet_c_report(errors)
    assert report.mce == pytest.approx(0.5)
    assert report.ce["saturate"] == pytest.approx(5 / sum(ALEXNET_IMAGENET_C.errors["saturate"]))
    assert report.relative_mce is None  # no clean error given


def test_relative_ce_subtracts_clean_per_severity():
    clean = 0.2
    errors = {c: [0.9 * e for e in ALEXNET_IMAGENET_C.errors[c]] for c in CORRUPTIONS}
    report = imagenet_c_report(errors, clean)
    c = "fog"
    expected = sum(0.9 * e - clean for e in ALEXNET_IMAGENET_C.errors[c]) / sum(
        e - ALEXNET_IMAGENET_C.clean_error for e in ALEXNET_IMAGENET_C.errors[c])
    assert report.relative_ce[c] == pytest.approx(expected)


def test_subset_without_baseline_reports_raw_only():
    report = imagenet_c_report({"fog": [0.1, 0.2, 0.3, 0.4, 0.5]}, baseline=None)
    assert report.mce is None and report.ce == {} and report.mean_error == pytest.approx(0.3)


def test_partial_set_has_no_mce():
    report = imagenet_c_report({"fog": [0.1] * 5})
    assert report.mce is None and report.ce["fog"] == pytest.approx(0.5 / sum(ALEXNET_IMAGENET_C.errors["fog"]))


def counts_for(errors: dict[str, list[float]], images: int = 1000) -> dict[str, dict[int, TopKCounts]]:
    return {c: {s + 1: TopKCounts(images, round(images * (1 - e)), images) for s, e in enumerate(v)}
            for c, v in errors.items()}


def test_from_counts_with_a_measured_baseline():
    base_errors = {c: [0.8, 0.85, 0.9, 0.95, 0.99] for c in CORRUPTIONS}
    model_errors = {c: [0.4, 0.425, 0.45, 0.475, 0.495] for c in CORRUPTIONS}
    baseline = ImageNetCBaseline.from_counts("alexnet-subset", "2026-11", counts_for(base_errors),
                                             TopKCounts(1000, 500, 800))
    report = imagenet_c_report_from_counts(counts_for(model_errors), TopKCounts(1000, 800, 950), baseline)
    assert report.mce == pytest.approx(0.5)
    expected_relative = sum(e - 0.2 for e in model_errors["fog"]) / sum(e - 0.5 for e in base_errors["fog"])
    assert report.relative_mce == pytest.approx(expected_relative)


def test_counts_merge_by_addition():
    a, b = TopKCounts(10, 3, 7), TopKCounts(5, 5, 5)
    assert a + b == TopKCounts(15, 8, 12)
    assert TopKCounts.total([a, b, TopKCounts()]) == a + b
    assert TopKCounts.from_dict((a + b).to_dict()) == a + b
    assert (a + b).top1_error == pytest.approx(7 / 15)


@pytest.mark.parametrize(
    "bad",
    [{"images": 1, "top1_correct": 2, "top5_correct": 2}, {"images": -1, "top1_correct": 0, "top5_correct": 0},
     {"images": 1, "top1_correct": 0}, {"images": 1.5, "top1_correct": 0, "top5_correct": 0}],
)
def test_inconsistent_counts_are_refused(bad):
    with pytest.raises(InvalidInputError):
        TopKCounts.from_dict(bad)


def test_error_of_empty_counts_is_an_error():
    with pytest.raises(InvalidInputError, match="no images"):
        _ = TopKCounts().top1_error


@pytest.mark.parametrize(
    ("errors", "message"),
    [({"fogg": [0.1] * 5}, "unknown corruption 'fogg'"), ({"fog": [0.1] * 4}, "expected 5 error rates"),
     ({"fog": [0.1, 0.2, 1.2, 0.3, 0.4]}, "fog severity 3: 1.2 is outside"),
     ({"fog": [0.1, "x", 0.1, 0.1, 0.1]}, "expected a number"), ({}, "no corruption errors")],
)
def test_bad_tables(errors, message):
    with pytest.raises(InvalidInputError, match=message):
        imagenet_c_report(errors)


def test_undefined_normalisation_is_none_with_a_note():
    # A measured baseline that is no worse corrupted than clean cannot normalise relative CE.
    base_errors = {c: [0.3] * 5 for c in CORRUPTIONS}
    base_errors["fog"] = [0.0] * 5
    baseline = ImageNetCBaseline("flat", "1", base_errors, clean_error=0.3)
    report = imagenet_c_report({c: [0.4] * 5 for c in CORRUPTIONS}, 0.2, baseline)
    assert report.ce["fog"] is None and report.mce is None
    assert report.relative_ce["snow"] is None and report.relative_mce is None
    notes = " ".join(report.notes)
    assert "CE of fog" in notes and "relative CE of snow" in notes and "no mCE" in notes


def test_counts_with_missing_severities_are_reported_raw():
    counts = counts_for({c: [0.5] * 5 for c in CORRUPTIONS})
    counts["fog"] = {1: TopKCounts(100, 40, 90), 3: TopKCounts(100, 30, 80)}
    report = imagenet_c_report_from_counts(counts)
    assert "fog" not in report.errors and report.partial_errors == {"fog": {1: 0.6, 3: 0.7}}
    assert report.mce is None and any("fog: CE needs all five severities" in n for n in report.notes)
    assert report.to_dict()["partial_errors"] == {"fog": {"1": 60.0, "3": 70.0}}
