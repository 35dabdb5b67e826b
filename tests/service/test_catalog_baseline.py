"""Which suites the published AlexNet table normalises: the full standard layout only, the runner's rule
(`covers_the_benchmark`); anything else needs a baseline evaluation measured on the same data."""

from evaluators.benchmarks import CORRUPTIONS, SEVERITIES
from service.catalog import published_baseline_applies
from service.models import Suite, SuiteKind


def suite(corruptions=CORRUPTIONS, severities=SEVERITIES, subset=None, kind=SuiteKind.imagenet_c) -> Suite:
    return Suite(kind=kind, options={"corruptions": list(corruptions), "severities": list(severities),
                                     "subset": subset})


def test_the_full_standard_layout_is_normalised_by_the_published_table():
    assert published_baseline_applies(suite())
    assert published_baseline_applies(suite(corruptions=(*CORRUPTIONS, "speckle_noise")))  # extras ride along


def test_anything_less_is_not():
    assert not published_baseline_applies(suite(corruptions=("gaussian_noise", "contrast")))
    assert not published_baseline_applies(suite(severities=(1, 2, 3)))
    assert not published_baseline_applies(suite(subset="10"))
    assert not published_baseline_applies(suite(kind=SuiteKind.imagenet_c_on_the_fly))
