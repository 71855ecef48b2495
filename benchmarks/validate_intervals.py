"""Coverage of every interval hierlab reports, under simulated truth.

Run ``python benchmarks/validate_intervals.py [--reps 2000]``: for each interval the
share of simulated benchmarks whose 95% interval covers the known truth, with its
Monte-Carlo standard error, printed as a table (and, for the tests, the rejection rate
under the null and the power to detect a planted gap). ``tests/test_validate_intervals.py``
runs the same checks with few replicates.

Every check builds its data with numpy and calls hierlab's public functions exactly as
a user would.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import polars as pl
from scipy.special import expit
from scipy.stats import lognorm, norm

from hierlab.bias import contrast, disaggregate, disparity, heterogeneity_test
from hierlab.depth import depth_regression
from hierlab.errors import HierlabWarning
from hierlab.geo import geo_accuracy
from hierlab.leaderboard import compare_models
from hierlab.stats import newcombe_interval, ratio_interval, wilson_interval

CONFIDENCE = 0.95
#: Gauss-Hermite nodes for expectations over a standard normal item effect.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(80)
_GH_W = _GH_W / _GH_W.sum()


def _normal_mean(f: Callable[[np.ndarray], np.ndarray]) -> float:
    return float(np.sum(_GH_W * f(_GH_X)))


def _results(y: np.ndarray, group: list[str] | np.ndarray, model: str = "m") -> pl.DataFrame:
    return pl.DataFrame(
        {"model": model, "item": [f"i{k}" for k in range(len(y))], "correct": y, "region": group}
    )


# --------------------------------------------------------------------------- checks


def wilson(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Wilson interval of one model's accuracy: 60 items of varying difficulty, truth 0.4."""
    p_items = rng.beta(2, 3, size=(reps, 60))
    k = (rng.random((reps, 60)) < p_items).sum(axis=1)
    lo, hi = wilson_interval(k, np.full(reps, 60), confidence=CONFIDENCE)
    return (lo <= 0.4) & (0.4 <= hi)


def cluster_bootstrap(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Cluster bootstrap of a score's mean: 60 items in 15 correlated clusters, truth 0.5."""
    hits = []
    for r in range(reps):
        centre = rng.beta(4, 4, 15)
        cluster = np.repeat(np.arange(15), 4)
        score = rng.beta(centre[cluster] * 8, (1 - centre[cluster]) * 8)
        table = _results(score, ["R"] * 60).with_columns(country=pl.Series(cluster))
        row = disaggregate(table, "region", cluster="country", n_boot=400, seed=r).table.row(
            0, named=True
        )
        hits.append(row["ci_low"] <= 0.5 <= row["ci_high"])
    return np.array(hits)


def _two_groups(rng: np.random.Generator, sizes: tuple[int, ...], rates: tuple[float, ...]):
    groups = np.concatenate([[f"g{j}"] * n for j, n in enumerate(sizes)])
    p = np.concatenate([[r] * n for r, n in zip(rates, sizes, strict=True)])
    return _results((rng.random(len(p)) < p).astype(float), groups)


def disparity_equal(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Best-minus-worst interval contains 0 when two regions (233 vs 30 items) are equal."""
    hits = []
    for r in range(reps):
        table = _two_groups(rng, (233, 30), (0.7, 0.7))
        row = disparity(disaggregate(table, "region", n_boot=500, seed=r)).table.row(0, named=True)
        hits.append(row["gap_ci_low"] <= 0 <= row["gap_ci_high"])
    return np.array(hits)


def disparity_selected(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Best-minus-worst interval covers the true gap of the pair picked (4 unequal regions)."""
    sizes, rates = (60, 80, 100, 40), (0.55, 0.6, 0.65, 0.7)
    hits = []
    for r in range(reps):
        table = _two_groups(rng, sizes, rates)
        row = disparity(disaggregate(table, "region", n_boot=500, seed=r)).table.row(0, named=True)
        truth = rates[int(row["best_group"][1:])] - rates[int(row["worst_group"][1:])]
        hits.append(row["gap_ci_low"] <= truth <= row["gap_ci_high"])
    return np.array(hits)


def disparity_ratio_selected(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Best/worst ratio interval covers the true ratio of the pair picked (4 regions)."""
    sizes, rates = (60, 80, 100, 40), (0.55, 0.6, 0.65, 0.7)
    hits = []
    for r in range(reps):
        table = _two_groups(rng, sizes, rates)
        row = disparity(disaggregate(table, "region", n_boot=500, seed=r)).table.row(0, named=True)
        truth = rates[int(row["best_group"][1:])] / rates[int(row["worst_group"][1:])]
        hits.append(row["ratio_ci_low"] <= truth <= row["ratio_ci_high"])
    return np.array(hits)


def disparity_scores(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Score outcomes (studentised bootstrap max-T): 4 regions of Beta scores.

    Counts a benchmark as covered when the simultaneous intervals of all 6 pairs of
    regions cover their true differences together, the guarantee of max-T intervals (the
    selected best-minus-worst pair alone is covered more often: ``disparity_scores_pair``).
    """
    return _disparity_scores(reps, rng)[0]


def disparity_scores_pair(reps: int, rng: np.random.Generator) -> np.ndarray:
    """As ``disparity_scores``, but covering only the selected best-minus-worst pair."""
    return _disparity_scores(reps, rng)[1]


def _disparity_scores(reps: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    sizes, shapes = (60, 80, 100, 40), ((2.2, 1.8), (2.4, 1.6), (2.6, 1.4), (2.8, 1.2))
    means = {f"g{j}": a / (a + b) for j, (a, b) in enumerate(shapes)}
    joint, pair = [], []
    for r in range(reps):
        y = np.concatenate([rng.beta(a, b, n) for (a, b), n in zip(shapes, sizes, strict=True)])
        groups = np.concatenate([[f"g{j}"] * n for j, n in enumerate(sizes)])
        disp = disparity(disaggregate(_results(y, groups), "region", n_boot=500, seed=r))
        row = disp.table.row(0, named=True)
        truth = means[row["best_group"]] - means[row["worst_group"]]
        pair.append(row["gap_ci_low"] <= truth <= row["gap_ci_high"])
        true_pairs = np.array(
            [means[a] - means[b] for a, b in disp.pairs.select("group_a", "group_b").iter_rows()]
        )
        low, high = disp.pairs["ci_low"].to_numpy(), disp.pairs["ci_high"].to_numpy()
        joint.append(bool(np.all((low <= true_pairs) & (true_pairs <= high))))
    return np.array(joint), np.array(pair)


def contrast_difference(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Newcombe interval of a directed contrast: 100 vs 40 items, 0.6 vs 0.45."""
    ka, kb = rng.binomial(100, 0.6, reps), rng.binomial(40, 0.45, reps)
    lo, hi = newcombe_interval(ka, np.full(reps, 100), kb, np.full(reps, 40))
    return (lo <= 0.15) & (0.15 <= hi)


def contrast_ratio(reps: int, rng: np.random.Generator) -> np.ndarray:
    """MOVER-R interval of a ratio: 100 vs 40 items, 0.6 / 0.45."""
    ka, kb = rng.binomial(100, 0.6, reps), rng.binomial(40, 0.45, reps)
    lo, hi = ratio_interval(ka, np.full(reps, 100), kb, np.full(reps, 40))
    return (lo <= 0.6 / 0.45) & (0.6 / 0.45 <= hi)


def contrast_through_api(reps: int, rng: np.random.Generator) -> np.ndarray:
    """contrast() end to end (0/1 outcomes): difference interval covers 0.6 - 0.45."""
    hits = []
    for _ in range(reps):
        table = _two_groups(rng, (100, 40), (0.6, 0.45))
        row = contrast(disaggregate(table, "region", n_boot=0), "g0", "g1").row(0, named=True)
        hits.append(row["difference_ci_low"] <= 0.15 <= row["difference_ci_high"])
    return np.array(hits)


def contrast_bootstrap(reps: int, rng: np.random.Generator) -> np.ndarray:
    """contrast() of a score (cluster bootstrap): Beta(3,2) vs Beta(2,2), 80 vs 50 items."""
    truth = 0.6 - 0.5
    hits = []
    for r in range(reps):
        y = np.concatenate([rng.beta(3, 2, 80), rng.beta(2, 2, 50)])
        table = _results(y, ["a"] * 80 + ["b"] * 50)
        row = contrast(disaggregate(table, "region", n_boot=400, seed=r), "a", "b").row(
            0, named=True
        )
        hits.append(row["difference_ci_low"] <= truth <= row["difference_ci_high"])
    return np.array(hits)


def _depth_truth(a: float, b: float, depths: np.ndarray) -> float:
    """Population-averaged slope: the logistic fit to the marginal rates at each depth."""
    rates = np.array([_normal_mean(lambda u, d=d: expit(a + b * d + u)) for d in depths])
    beta = np.array([0.0, 0.0])
    x = np.column_stack([np.ones(len(depths)), depths])
    for _ in range(50):  # Newton on the aggregated logistic likelihood
        p = expit(x @ beta)
        beta += np.linalg.solve(x.T @ (x * (p * (1 - p))[:, None]), x.T @ (rates - p))
    return float(beta[1])


def depth_slope(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Item-clustered depth slope: 150 items x 4 depths, item effects, slope -0.6."""
    depths = np.arange(1, 5)
    truth = _depth_truth(1.5, -0.6, depths)
    hits = []
    for _ in range(reps):
        u = rng.normal(0, 1, 150)
        p = expit(1.5 - 0.6 * depths[None, :] + u[:, None])
        y = (rng.random(p.shape) < p).astype(float)
        table = pl.DataFrame(
            {
                "model": "m",
                "item": np.repeat(np.arange(150), 4),
                "depth": np.tile(depths, 150),
                "correct": y.ravel(),
            }
        )
        row = depth_regression(table).slopes.row(0, named=True)
        hits.append(row["ci_low"] <= truth <= row["ci_high"])
    return np.array(hits)


def _geo_predictions(rng: np.random.Generator, n: int) -> pl.DataFrame:
    d = rng.lognormal(mean=np.log(300), sigma=1.5, size=n)
    d[rng.random(n) < 0.1] = np.nan  # 10% of the answers are missing
    return pl.DataFrame({"model": "m", "item": np.arange(n), "distance_km": d})


def acc_at_k(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Acc@750km (Wilson), missing answers counted wrong: 150 predictions."""
    truth = 0.9 * lognorm.cdf(750, s=1.5, scale=300)
    hits = []
    for _ in range(reps):
        res = geo_accuracy(_geo_predictions(rng, 150), distance="distance_km", thresholds_km=(750,))
        row = res.table.row(0, named=True)
        hits.append(row["acc_750km_ci_low"] <= truth <= row["acc_750km_ci_high"])
    return np.array(hits)


def geoscore_mean(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Mean GeoScore (t interval), missing answers scored 0: 150 predictions."""
    z = np.random.default_rng(12345).lognormal(np.log(300), 1.5, 4_000_000)
    truth = 0.9 * float(np.mean(5000 * np.exp(-z / 1492.7)))
    hits = []
    for _ in range(reps):
        res = geo_accuracy(_geo_predictions(rng, 150), distance="distance_km", thresholds_km=(1,))
        row = res.table.row(0, named=True)
        hits.append(row["geoscore_ci_low"] <= truth <= row["geoscore_ci_high"])
    return np.array(hits)


def _paired(rng: np.random.Generator, n: int, score: bool = False) -> pl.DataFrame:
    u = rng.normal(0, 1.2, n)
    pa, pb = expit(0.5 + u), expit(0.1 + u)
    if score:
        ya, yb = (
            rng.beta(pa * 6 + 0.1, (1 - pa) * 6 + 0.1),
            rng.beta(pb * 6 + 0.1, (1 - pb) * 6 + 0.1),
        )
    else:
        ya, yb = (rng.random(n) < pa).astype(float), (rng.random(n) < pb).astype(float)
    return pl.DataFrame(
        {"model": ["a"] * n + ["b"] * n, "item": np.tile(np.arange(n), 2), "correct": np.r_[ya, yb]}
    )


def paired_difference(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Agresti-Min interval of a paired accuracy difference: 2 models, 120 shared items."""
    truth = _normal_mean(lambda u: expit(0.5 + 1.2 * u) - expit(0.1 + 1.2 * u))
    hits = []
    for _ in range(reps):
        row = compare_models(_paired(rng, 120)).table.row(0, named=True)
        hits.append(row["ci_low"] <= truth <= row["ci_high"])
    return np.array(hits)


def paired_bootstrap(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Paired bootstrap interval of a score difference: 2 models, 120 shared items."""

    def mean_beta(p: np.ndarray) -> np.ndarray:
        a, b = p * 6 + 0.1, (1 - p) * 6 + 0.1
        return a / (a + b)

    truth = _normal_mean(
        lambda u: mean_beta(expit(0.5 + 1.2 * u)) - mean_beta(expit(0.1 + 1.2 * u))
    )
    hits = []
    for r in range(reps):
        row = compare_models(_paired(rng, 120, score=True), n_boot=500, seed=r).table.row(
            0, named=True
        )
        hits.append(row["ci_low"] <= truth <= row["ci_high"])
    return np.array(hits)


# --------------------------------------------------------------------------- tests


def heterogeneity_size(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Wald test of equal regions (3 models share 160 items; no group effect): rejections."""
    rejected = []
    for _ in range(reps):
        item = rng.normal(0, 1, 160)
        group = rng.choice(["G1", "G2", "G3", "G4"], 160)
        frames = [
            pl.DataFrame(
                {
                    "model": m,
                    "item": np.arange(160),
                    "correct": (rng.random(160) < expit(item + 0.3 * j)).astype(float),
                    "g": group,
                }
            )
            for j, m in enumerate("abc")
        ]
        rejected.append(heterogeneity_test(pl.concat(frames), "g").p_value < 0.05)
    return np.array(rejected)


def permutation_size(reps: int, rng: np.random.Generator) -> np.ndarray:
    """Permutation fallback (a sparse 6-item region forces it), no group effect: rejections."""
    rejected = []
    for r in range(reps):
        item = rng.normal(1.0, 1, 120)
        group = np.array(["G1"] * 57 + ["G2"] * 57 + ["tiny"] * 6)
        frames = [
            pl.DataFrame(
                {
                    "model": m,
                    "item": np.arange(120),
                    "correct": (rng.random(120) < expit(item + 0.3 * j)).astype(float),
                    "g": group,
                }
            )
            for j, m in enumerate("ab")
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            test = heterogeneity_test(pl.concat(frames), "g", n_perm=199, seed=r)
        rejected.append(test.p_value < 0.05)
    return np.array(rejected)


def _oracle_power(p_large: float, p_small: float, n_large: int, n_small: int) -> float:
    """Power of the two-sided z test with the true variances (what no valid test beats much)."""
    se = np.sqrt(p_large * (1 - p_large) / n_large + p_small * (1 - p_small) / n_small)
    z = norm.ppf(0.975)
    shift = abs(p_large - p_small) / se
    return float(norm.sf(z - shift) + norm.cdf(-z - shift))


def _two_proportion_power(
    p_large: float, p_small: float, n_large: int, n_small: int, *, pooled: bool = True
) -> float:
    """Exact power (or size) of the two-sided 5% two-proportion z test, by enumeration.

    ``pooled=True`` is the score test (pooled variance, which keeps its size near 5%);
    ``pooled=False`` is the Wald test (each group's own variance), whose size exceeds 5%
    when a small group is near 0 or 1.
    """
    from scipy.stats import binom

    k1 = np.arange(n_large + 1)[:, None]
    k2 = np.arange(n_small + 1)[None, :]
    weight = binom.pmf(k1, n_large, p_large) * binom.pmf(k2, n_small, p_small)
    a, b = k1 / n_large, k2 / n_small
    if pooled:
        pp = (k1 + k2) / (n_large + n_small)
        se = np.sqrt(pp * (1 - pp) * (1 / n_large + 1 / n_small))
    else:
        se = np.sqrt(a * (1 - a) / n_large + b * (1 - b) / n_small)
    with np.errstate(divide="ignore", invalid="ignore"):
        reject = np.where(se > 0, np.abs(a - b) / se > norm.ppf(0.975), False)
    return float(np.sum(weight * reject))


def disparity_power(
    reps: int, rng: np.random.Generator, p_large: float, p_small: float
) -> np.ndarray:
    """Planted gap of 0.2 between regions of 200 and 30 items: share of intervals excluding 0."""
    detected = []
    for r in range(reps):
        table = _two_groups(rng, (200, 30), (p_large, p_small))
        row = disparity(disaggregate(table, "region", n_boot=500, seed=r)).table.row(0, named=True)
        detected.append(row["gap_ci_low"] > 0)
    return np.array(detected)


#: name -> (function, what it measures, the nominal rate)
COVERAGE_CHECKS: dict[str, tuple[Callable[[int, np.random.Generator], np.ndarray], str]] = {
    "wilson": (wilson, "coverage"),
    "cluster bootstrap": (cluster_bootstrap, "coverage"),
    "disparity, equal groups (contains 0)": (disparity_equal, "coverage"),
    "disparity, selected pair (gap)": (disparity_selected, "coverage"),
    "disparity, selected pair (ratio)": (disparity_ratio_selected, "coverage"),
    "disparity, scores (bootstrap max-T, all pairs)": (disparity_scores, "coverage"),
    "disparity, scores (selected pair)": (disparity_scores_pair, "coverage at least"),
    "contrast difference (Newcombe)": (contrast_difference, "coverage"),
    "contrast ratio (MOVER-R)": (contrast_ratio, "coverage"),
    "contrast() end to end": (contrast_through_api, "coverage"),
    "contrast (cluster bootstrap)": (contrast_bootstrap, "coverage"),
    "depth slope (item-clustered)": (depth_slope, "coverage"),
    "Acc@k (Wilson, missing = wrong)": (acc_at_k, "coverage"),
    "GeoScore (t)": (geoscore_mean, "coverage"),
    "paired difference (Agresti-Min)": (paired_difference, "coverage"),
    "paired bootstrap (scores)": (paired_bootstrap, "coverage"),
    "heterogeneity Wald test": (heterogeneity_size, "size"),
    "heterogeneity permutation fallback": (permutation_size, "size"),
}


def run(reps: int, seed: int = 0, names: list[str] | None = None) -> pl.DataFrame:
    """Run the checks; one row per check: rate, Monte-Carlo SE and whether it is in band."""
    rows = []
    for j, (name, (check, kind)) in enumerate(COVERAGE_CHECKS.items()):
        if names is not None and name not in names:
            continue
        start = time.perf_counter()
        hits = check(reps, np.random.default_rng([seed, j]))
        rate = float(hits.mean())
        target = CONFIDENCE if kind.startswith("coverage") else 1 - CONFIDENCE
        se = float(np.sqrt(target * (1 - target) / len(hits)))
        band = {"coverage": (0.93, 0.97), "coverage at least": (0.93, 1.0)}.get(kind, (0.03, 0.07))
        rows.append(
            {
                "check": name,
                "measures": kind,
                "reps": len(hits),
                "rate": rate,
                "mc_se": se,
                "band": f"{band[0]:.2f}-{band[1]:.2f}",
                "in_band": band[0] <= rate <= band[1],
                "seconds": time.perf_counter() - start,
            }
        )
    return pl.DataFrame(rows)


def power_table(reps: int, seed: int = 0) -> pl.DataFrame:
    """Detection of a planted 0.2 gap at 200/30 items, against the oracle z test's power."""
    rows = []
    for j, (p_large, p_small) in enumerate(((0.7, 0.9), (0.9, 0.7), (0.5, 0.7), (0.7, 0.5))):
        hits = disparity_power(reps, np.random.default_rng([seed, 100 + j]), p_large, p_small)
        rows.append(
            {
                "accuracy (200 items)": p_large,
                "accuracy (30 items)": p_small,
                "detected": float(hits.mean()),
                "mc_se": float(np.sqrt(hits.mean() * (1 - hits.mean()) / reps)),
                "score test power": _two_proportion_power(p_large, p_small, 200, 30),
                "oracle z test power": _oracle_power(p_large, p_small, 200, 30),
            }
        )
    return pl.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with pl.Config(
        tbl_rows=40, tbl_width_chars=160, fmt_str_lengths=50, tbl_hide_dataframe_shape=True
    ):
        table = run(args.reps, args.seed)
        print(f"Coverage of hierlab's 95% intervals ({args.reps} simulated benchmarks each)")
        print(table)
        print("\nPlanted gap of 0.2 between a 200-item and a 30-item region")
        print(power_table(args.reps, args.seed))
    sys.exit(0 if table["in_band"].all() else 1)


if __name__ == "__main__":
    main()
