"""Size of the M2 test of global fit under a correctly specified 2PL.

Run with ``python benchmarks/m2_size.py [--seeds N] [--models N] [--items N] [--prior none]``
(at low priority: ``nice``). Every run simulates a 2PL (abilities N(0, 1), log-normal
discriminations, normal difficulties), fits the 2PL, and computes M2. Under the null the
p-values are uniform: the script prints the statistic's mean and variance against ``df``
and ``2 df``, the rejection rates at 5% and 1% with their Monte-Carlo standard errors, and
a Kolmogorov-Smirnov test of uniformity of the p-values.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
from scipy.stats import kstest

from hierlab.irt import Prior, fit_irt, global_fit, response_probability


def m2_size(seeds: int, n_models: int, n_items: int, prior: Prior | None) -> str:
    """Simulate, fit and test ``seeds`` times; return a one-line summary."""
    statistics, p_values, df = [], [], 0.0
    start = time.perf_counter()
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        theta = rng.normal(size=n_models)
        a, b = np.exp(rng.normal(0, 0.3, n_items)), rng.normal(size=n_items)
        values = (rng.random((n_models, n_items)) < response_probability(theta, a, b)).astype(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            test = global_fit(fit_irt(values, "2pl", prior=prior)).test
        statistics.append(test.statistic)
        p_values.append(test.p_value)
        df = test.df
    stat, p = np.array(statistics), np.array(p_values)
    mc = np.sqrt(0.05 * 0.95 / seeds)
    return (
        f"{n_models} x {n_items}, prior={'none' if prior is None else 'default'}, {seeds} runs: "
        f"M2 mean {stat.mean():.1f} (df {df:.0f}), variance {stat.var(ddof=1):.0f} "
        f"(2 df {2 * df:.0f}); rejection at 5% {np.mean(p < 0.05):.3f} (Monte-Carlo SE "
        f"{mc:.3f}), at 1% {np.mean(p < 0.01):.3f}; KS uniformity p = "
        f"{kstest(p, 'uniform').pvalue:.2f}; {time.perf_counter() - start:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=300, help="simulated data sets")
    parser.add_argument("--models", type=int, default=500, help="models (respondents)")
    parser.add_argument("--items", type=int, default=15, help="items")
    parser.add_argument("--prior", choices=["default", "none"], default="default")
    args = parser.parse_args()
    prior = None if args.prior == "none" else Prior()
    print(m2_size(args.seeds, args.models, args.items, prior))


if __name__ == "__main__":
    main()
