"""bench.stats: nearest-rank percentiles and latency summaries."""

import pytest

from bench import stats


def test_percentile_is_an_observed_sample_by_nearest_rank():
    samples = list(range(1, 101))  # 1..100
    assert stats.percentile(samples, 50) == 50
    assert stats.percentile(samples, 95) == 95
    assert stats.percentile(samples, 99) == 99
    assert stats.percentile(samples, 100) == 100
    assert stats.percentile([5.0, 1.0, 3.0], 50) == 3.0  # unsorted input


def test_percentile_of_few_samples_is_the_largest_for_high_ranks():
    assert stats.percentile([10, 20], 99) == 20
    assert stats.percentile([10, 20], 50) == 10
    assert stats.percentile([7], 1) == 7
    assert stats.percentile([], 99) is None


@pytest.mark.parametrize("pct", [0, -1, 101])
def test_percentile_refuses_ranks_outside_0_100(pct):
    with pytest.raises(ValueError):
        stats.percentile([1, 2], pct)


def test_summarize_rounds_and_handles_empty():
    figures = stats.summarize([1.04, 2.0, 3.0, 4.0, 100.0])
    assert figures == {"count": 5, "p50": 3.0, "p95": 100.0, "p99": 100.0, "max": 100.0, "mean": 22.0}
    assert stats.summarize([]) == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None, "mean": None}


def test_rate():
    assert stats.rate(50, 20.0) == 2.5
    assert stats.rate(1, 3.0) == 0.3
    assert stats.rate(5, 0) is None
