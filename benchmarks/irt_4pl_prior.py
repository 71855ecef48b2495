"""Choosing the default prior on the 4PL's upper asymptote ``u`` by seeded simulation.

For each shape (models x items) and seed, responses are simulated under a 4PL with a
realistic spread of ceilings: abilities N(0, 1), a ~ lognormal(0, 0.3), b ~ N(0, 1),
c ~ Uniform(0.1, 0.3), and ``u = 1`` for 30% of the items (clean items), Uniform(0.8, 1)
for the others (items that strong models still miss: a wrong key, an ambiguous
question). The same responses are fitted with each candidate Beta prior on ``u`` (every
other prior at its default) and, as a baseline, with the 3PL (``u = 1``).

Printed per shape and prior, as the mean over seeds (and the Monte Carlo SE of the mean):

- ``rmse_u``: root mean squared error of ``u``;
- ``curve_mean`` / ``curve_worst``: the item-curve error ``max over theta in [-3, 3] of
  |P_hat(theta) - P_true(theta)|``, averaged over items / its worst item, with the truth
  put on the calibration sample's scale (``b' = (b - mean) / sd``, ``a' = a sd`` with the
  mean and SD of the simulated abilities, the scale the fit estimates);
- ``cover_u``: share of 95% intervals of ``u`` (``item_intervals``, logit scale) that
  contain the true ``u``, over the items with ``u < 1`` (an interval on the logit scale
  never contains 1); ``u1_above``: for the items with ``u = 1``, the share whose interval
  reaches above 0.95;
- ``cover_b``: share of 95% intervals of ``b`` that contain the true ``b`` (the
  simulation's scale, as in ``irt_coverage.py``: the standard errors include the
  uncertainty of the common location and scale);
- ``time_s``: fit time in seconds.

The default, Beta(12, 1.5), is the prior with the smallest curve errors whose intervals
keep their coverage (``DEFAULT`` below; paired differences from it are printed too).
Fits of the 4PL take 5 to 6 s each at these shapes on an idle core, longer under weaker
priors (more iterations).

Run (about 25 minutes on one idle core; split seeds over processes with
``--first-seed``)::

    nice python benchmarks/irt_4pl_prior.py --shapes 30x1000,3000x10 --seeds 6

``--jsonl FILE`` appends every fit's numbers to FILE as it goes; ``--table FILE ...``
prints the table from such files without fitting.
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np

from hierlab.irt import Prior, fit_irt, response_probability
from hierlab.irt.data import ResponseMatrix

PRIORS = {
    "Beta(20, 1.5)": (20.0, 1.5),
    "Beta(12, 1.5)": (12.0, 1.5),
    "Beta(8, 1.5)": (8.0, 1.5),
    "Beta(5, 1.5)": (5.0, 1.5),
    "Beta(3, 1.2)": (3.0, 1.2),
}
SHARE_CLEAN = 0.3
GRID = np.linspace(-3.0, 3.0, 121)
DEFAULT = "Beta(12, 1.5)"  # the prior fit_irt uses (the study's choice)
METRICS = ("rmse_u", "curve_mean", "curve_worst", "cover_u", "u1_above", "cover_b", "time_s")


def simulate(n: int, j: int, seed: int):
    """Return the responses and the true parameters of one seeded 4PL data set."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = np.exp(rng.normal(0.0, 0.3, j))
    b = rng.normal(size=j)
    c = rng.uniform(0.1, 0.3, j)
    u = np.where(rng.random(j) < SHARE_CLEAN, 1.0, rng.uniform(0.8, 1.0, j))
    p = response_probability(theta, a, b, c, u=u)
    values = (rng.random((n, j)) < p).astype(float)
    m = ResponseMatrix(values, tuple(f"m{k}" for k in range(n)), tuple(f"i{k}" for k in range(j)))
    return m, theta, a, b, c, u


def evaluate(fit, theta, a, b, c, u) -> dict[str, float]:
    """Return the numbers of one fit against the truth."""
    it = fit.items
    m, sd = theta.mean(), theta.std()
    p_true = response_probability(GRID, a * sd, (b - m) / sd, c, u=u)
    u_hat = it["u"].to_numpy() if "u" in it.columns else np.ones(len(u))
    p_hat = response_probability(GRID, it["a"], it["b"], it["c"], u=u_hat)
    curve = np.abs(p_hat - p_true).max(axis=0)
    ci = fit.item_intervals()
    out = {
        "rmse_u": float(np.sqrt(np.mean((u_hat - u) ** 2))),
        "curve_mean": float(curve.mean()),
        "curve_worst": float(curve.max()),
    }
    part = ci.filter(ci["parameter"] == "b")
    lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
    out["cover_b"] = float(np.mean((lo <= b) & (b <= hi)))
    if "u" in it.columns:
        part = ci.filter(ci["parameter"] == "u")
        lo, hi = part["ci_low"].to_numpy(), part["ci_high"].to_numpy()
        below = u < 1
        out["cover_u"] = float(np.mean(((lo <= u) & (u <= hi))[below]))
        out["u1_above"] = float(np.mean(hi[~below] > 0.95)) if (~below).any() else float("nan")
    else:
        out["cover_u"] = out["u1_above"] = float("nan")
    return out


def run(
    shapes: list[tuple[int, int]],
    seeds: int,
    first_seed: int,
    jsonl: str | None,
    priors: dict[str, tuple[float, float]] | None = None,
) -> list:
    records = []
    done = set()
    if jsonl:  # resume: skip the fits already in the file
        try:
            with open(jsonl) as fh:
                records = [json.loads(line) for line in fh if line.strip()]
        except FileNotFoundError:
            pass
        done = {(r["shape"], r["seed"], r["prior"]) for r in records}
    for n, j in shapes:
        for seed in range(first_seed, first_seed + seeds):
            m, theta, a, b, c, u = simulate(n, j, 1000 * n + j + seed)
            candidates = [
                (name, "4pl", Prior(upper_alpha=al, upper_beta=be))
                for name, (al, be) in (priors or PRIORS).items()
            ]
            if priors is None:
                candidates.append(("3PL (u = 1)", "3pl", "default"))
            for name, model, prior in candidates:
                if (f"{n}x{j}", seed, name) in done:
                    continue
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    fit = fit_irt(m, model, prior=prior)
                rec = {"shape": f"{n}x{j}", "seed": seed, "prior": name}
                rec |= evaluate(fit, theta, a, b, c, u)
                rec["time_s"] = time.perf_counter() - start
                rec["converged"] = bool(fit.converged)
                records.append(rec)
                if jsonl:
                    with open(jsonl, "a") as fh:
                        fh.write(json.dumps(rec) + "\n")
            print(f"  {n} x {j} seed {seed} done", flush=True)
    return records


def table(records: list) -> None:
    shapes = list(dict.fromkeys(r["shape"] for r in records))
    names = list(dict.fromkeys(r["prior"] for r in records))
    for shape in shapes:
        rows = [r for r in records if r["shape"] == shape]
        n_seeds = len({r["seed"] for r in rows})
        print(
            f"\n== {shape.replace('x', ' x ')}: {n_seeds} seeds; mean over seeds (Monte Carlo SE)"
        )
        print(f"{'prior on u':<14}" + "".join(f"{k:>17}" for k in METRICS) + "  converged")
        for name in names:
            cell = [r for r in rows if r["prior"] == name]
            if not cell:
                continue
            line = f"{name:<14}"
            for k in METRICS:
                v = np.array([r[k] for r in cell], dtype=float)
                v = v[np.isfinite(v)]
                if len(v) == 0:
                    line += f"{'-':>17}"
                    continue
                mc = v.std(ddof=1) / np.sqrt(len(v)) if len(v) > 1 else float("nan")
                line += f"{v.mean():>10.3f} ({mc:.3f})"
            line += f"  {sum(r['converged'] for r in cell)}/{len(cell)}"
            print(line)
        # paired over seeds (same responses): differences from the default prior
        base = {r["seed"]: r for r in rows if r["prior"] == DEFAULT}
        print(f"paired differences from {DEFAULT} (negative: better than it), mean (SE)")
        for name in names:
            cell = [r for r in rows if r["prior"] == name and r["seed"] in base]
            if name == DEFAULT or len(cell) < 2:
                continue
            line = f"{name:<14}"
            for k in ("rmse_u", "curve_mean", "curve_worst"):
                v = np.array([r[k] - base[r["seed"]][k] for r in cell])
                line += f"  {k} {v.mean():+.4f} ({v.std(ddof=1) / np.sqrt(len(v)):.4f})"
            print(line + f"  [{len(cell)} seeds]")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shapes", default="30x1000,3000x10")
    parser.add_argument("--seeds", type=int, default=8)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--priors", default=None, help="only these Beta priors on u (no 3PL), e.g. 12:1.5,8:1.5"
    )
    parser.add_argument("--jsonl", default=None, help="append each fit's numbers to this file")
    parser.add_argument("--table", nargs="+", default=None, help="print the table of these files")
    args = parser.parse_args()
    if args.table:
        records = []
        for path in args.table:
            with open(path) as fh:
                records += [json.loads(line) for line in fh if line.strip()]
    else:
        shapes = [tuple(map(int, s.split("x"))) for s in args.shapes.split(",")]
        priors = None
        if args.priors:
            pairs = [tuple(map(float, p.split(":"))) for p in args.priors.split(",")]
            priors = {f"Beta({al:g}, {be:g})": (al, be) for al, be in pairs}
        records = run(shapes, args.seeds, args.first_seed, args.jsonl, priors)
    table(records)


if __name__ == "__main__":
    main()
