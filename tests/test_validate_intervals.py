"""A fast, seeded run of benchmarks/validate_intervals.py: every interval hierlab reports
covers its simulated truth, and the "done when" bars of the disparity interval hold.

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
    "disparity, scores (bootstrap max-T)": 100,
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
    target = 0.95 if kind == "coverage" else 0.05
    half = 3.3 * np.sqrt(target * (1 - target) / reps)
    assert target - half <= rate <= target + half, f"{name}: {rate:.3f} over {reps} replicates"


def test_planted_gap_is_detected() -> None:
    """0.2 gap, 200 vs 30 items (0.7 vs 0.9): detected in >= 80% (oracle z test: 88%)."""
    detected = vi.disparity_power(120, np.random.default_rng(5), 0.7, 0.9).mean()
    assert detected >= 0.80 - 3.3 * np.sqrt(0.8 * 0.2 / 120)
    assert vi._oracle_power(0.7, 0.9, 200, 30) > 0.85
