"""A fast, seeded run of benchmarks/validate_intervals.py: every interval hierlab reports
covers its simulated truth, and the disparity interval detects a planted gap as often as a
test of correct size can.

Few replicates here (bands are 99.9% Monte-Carlo bands around 95%); the full-size run,
2,000 replicates per check, is ``python benchmarks/validate_intervals.py``.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import validate_intervals as vi

#: check -> replicates in this fast run (cheap vectorised checks get many)
REPS = {
    "wilson": 4000,
    "cluster bootstrap": 120,
    "disparity, equal groups (contains 0)": 150,
    "disparity, selected pair (gap)": 100,
    "disparity, selected pair (ratio)": 100,
    "disparity, scores (bootstrap max-T, all pairs)": 100,
    "contrast difference (Newcombe)": 4000,
    "contrast ratio (MOVER-R)": 4000,
    "contrast() end to end": 100,
    "contrast (cluster bootstrap)": 100,
    "depth slope (item-clustered)": 60,
    "Acc@k (Wilson, missing = wrong)": 200,
    "GeoScore (t)": 200,
    "paired difference (Agresti-Min)": 150,
    "paired bootstrap (scores)": 100,
    "heterogeneity permutation fallback": 60,
}


@pytest.mark.parametrize("name", sorted(REPS))
def test_interval_covers_its_truth(name: str) -> None:
    check, kind = vi.COVERAGE_CHECKS[name]
    reps = REPS[name]
    rate = float(check(reps, np.random.default_rng([2024, len(name)])).mean())
    assert kind in ("coverage", "size")
    target = 0.95 if kind == "coverage" else 0.05
    half = 3.3 * np.sqrt(target * (1 - target) / reps)
    assert target - half <= rate <= target + half, f"{name}: {rate:.3f} over {reps} replicates"


def test_planted_gap_is_detected() -> None:
    """0.2 gap at 200 vs 30 items: >= 80% when the large group is the better one (0.9 vs 0.7);
    with the small group better (0.7 vs 0.9) no test of correct size reaches 80%, and the
    disparity interval matches the exact power of the pooled score test (69.6%)."""
    reps = 120
    band = 3.3 * np.sqrt(0.8 * 0.2 / reps)
    detected = vi.disparity_power(reps, np.random.default_rng(5), 0.9, 0.7).mean()
    assert detected >= 0.80 - band
    score_power = vi._two_proportion_power(0.7, 0.9, 200, 30)
    assert 0.68 < score_power < 0.71
    detected = vi.disparity_power(reps, np.random.default_rng(6), 0.7, 0.9).mean()
    assert abs(detected - score_power) <= band
    # the higher-powered Wald test pays with its size when the small group is near 1
    assert vi._two_proportion_power(0.95, 0.95, 200, 30, pooled=False) > 0.15
    assert vi._two_proportion_power(0.95, 0.95, 200, 30) < 0.05
