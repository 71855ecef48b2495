"""Coverage of hierlab's IRT intervals under a known truth (seeded simulations).

For each shape, ``--reps`` data sets are simulated (abilities N(0, 1), a ~ lognormal(0, 0.3),
b ~ N(0, 1) or N(1, 1)), fitted with the defaults, and the share of 95% intervals that
cover the truth is printed for a, b (Fieller's intervals, as ``item_intervals`` gives them,
with the share left unbounded, and Wald intervals ``estimate +- 1.96 se`` for comparison)
and, for few models, for the abilities with item uncertainty included. Difficulties and
abilities are compared with the truth on the population's scale and on the calibration
sample's (hierlab's scale: the fitted models' abilities have mean 0 and SD 1). The a intervals are those of ``IRTFit.item_intervals`` (log scale under the lognormal
prior); symmetric Wald intervals for a are printed too. The Monte Carlo standard error
of each share is printed beside it (replications are independent; intervals within one
replication share the common location and scale, so the error uses the spread of the
per-replication shares).

Run: ``python benchmarks/irt_coverage.py --reps 100`` (about 10 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from hierlab.irt import fit_irt, response_probability
from hierlab.irt.data import ResponseMatrix


def simulate(n: int, j: int, mean_b: float, rng: np.random.Generator):
    theta = rng.normal(size=n)
    a = np.exp(rng.normal(0.0, 0.3, j))
    b = rng.normal(mean_b, 1.0, j)
    values = (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)
    m = ResponseMatrix(values, tuple(map(str, range(n))), tuple(f"i{k}" for k in range(j)))
    return m, theta, a, b


def replicate(n: int, j: int, mean_b: float, seed: int, abilities: bool) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    m, theta, a, b = simulate(n, j, mean_b, rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fit_irt(m, "2pl")
    out = {}
    ci = fit.item_intervals()
    # hierlab's scale is the calibration sample's (its abilities have mean 0 and SD 1), so
    # the truth is also put on that scale; the population scale differs by the sample's own
    # mean and SD (about 1 / sqrt(n) off), which no interval from these data can carry
    centre, spread = theta.mean(), theta.std()
    sample_b = (b - centre) / spread
    part = ci.filter(ci["parameter"] == "b")
    lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
    out["b, sample scale"] = float(np.mean((lo <= sample_b) & (sample_b <= hi)))
    out["b unbounded share"] = float(np.mean(np.isinf(hi)))
    est, se = part["estimate"].to_numpy(), part["se"].to_numpy()
    out["b (wald), sample scale"] = float(np.mean(np.abs(est - sample_b) <= 1.959964 * se))
    for name, truth in (("a", a), ("b", b)):
        part = ci.filter(ci["parameter"] == name)
        lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
        out[f"{name} ({part['interval'][0]})"] = float(np.mean((lo <= truth) & (truth <= hi)))
        est = part["estimate"].to_numpy()
        se = part["se"].to_numpy()
        if name == "a":
            out["a (wald)"] = float(np.mean(np.abs(est - truth) <= 1.959964 * se))
    if abilities:
        ci = fit.ability_intervals()
        lo, hi = ci["theta_ci_low"].to_numpy(), ci["theta_ci_high"].to_numpy()
        out["theta"] = float(np.mean((lo <= theta) & (theta <= hi)))
        sample_theta = (theta - centre) / spread
        out["theta, sample scale"] = float(np.mean((lo <= sample_theta) & (sample_theta <= hi)))
        post = fit.ability_intervals(item_uncertainty=False)
        lo, hi = post["theta_ci_low"].to_numpy(), post["theta_ci_high"].to_numpy()
        out["theta (items known)"] = float(np.mean((lo <= theta) & (theta <= hi)))
    out["mean theta error"] = float(fit.abilities["theta"].mean() - theta.mean())
    out["mean b error"] = float(fit.items["b"].mean() - b.mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--shapes", default="30x2000,1000x30")
    parser.add_argument("--mean-b", type=float, default=0.0, help="mean of the difficulties")
    args = parser.parse_args()
    for shape in args.shapes.split(","):
        n, j = map(int, shape.split("x"))
        start = time.perf_counter()
        rows = [replicate(n, j, args.mean_b, seed, abilities=n <= 100) for seed in range(args.reps)]
        print(
            f"\n== 2PL {n} x {j:,}, mean difficulty {args.mean_b:+.1f}, {args.reps} replications "
            f"({time.perf_counter() - start:.0f} s)"
        )
        for key in rows[0]:
            vals = np.array([r[key] for r in rows])
            if "error" in key:
                print(f"  {key:<22} mean {vals.mean():+.3f}  sd {vals.std(ddof=1):.3f}")
            elif "share" in key:
                print(f"  {key:<31} {vals.mean():.3f}")
            else:
                mc = vals.std(ddof=1) / np.sqrt(len(vals))
                print(f"  coverage {key:<20} {vals.mean():.3f}  (Monte Carlo SE {mc:.3f})")


if __name__ == "__main__":
    main()
