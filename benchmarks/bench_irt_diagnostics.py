"""Full-size validation of the IRT diagnostics on seeded simulations.

Run with ``python benchmarks/bench_irt_diagnostics.py [--seeds N]`` (at low priority:
``nice``). Prints, for each check, the measured rate and the requirement:

* reversed keys: ten reversed answer keys in a simulated 23 x 1,000 benchmark
  (evenly spread abilities, 2PL items with discriminations around 2 or around 1);
  keys found and false reversed-key flags at three false discovery rates, against two
  references: the best audit that does not know each item's own parameters (true
  abilities and parameter distributions) and oracles that know every parameter;
* calibration: under a correctly specified 2PL (23 models x 150 items, the weakest
  model as baseline) the audit's flag count falls within its own chance range in
  >= 90% of runs;
* size of S-X2, lz*, M2 and Q3 under a correctly specified 2PL (500 x 15): rejection
  rates at 5% (near 5% expected; FDR-controlled Q3 flags near 0);
* DIF: Mantel-Haenszel size without DIF and power against a planted uniform DIF.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import polars as pl
from scipy.stats import norm

from hierlab.errors import HierlabWarning
from hierlab.irt import (
    audit_items,
    dif,
    fit_irt,
    global_fit,
    item_fit,
    local_dependence,
    person_fit,
    response_probability,
)


def _fit(values: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        return fit_irt(values, "2pl")


def _reversed_benchmark(seed: int, log_a: float):
    """23 evenly spread models x 1,000 2PL items with ten reversed keys (and the truth)."""
    rng = np.random.default_rng(seed)
    theta = norm.ppf((np.arange(23) + 0.5) / 23)
    a = np.exp(rng.normal(log_a, 0.3, 1000))
    b = rng.normal(size=1000)
    values = (rng.random((23, 1000)) < response_probability(theta, a, b)).astype(float)
    planted = rng.choice(1000, 10, replace=False)
    values[:, planted] = 1 - values[:, planted]
    return theta, a, b, values, planted


def _found(flagged: np.ndarray, planted: np.ndarray) -> tuple[int, int]:
    """Planted keys found, and false flags, of a boolean flag vector over items."""
    hits = np.flatnonzero(flagged)
    return len(set(hits) & set(planted)), len(set(hits) - set(planted))


def reversed_keys(
    seeds: int, log_a: float, levels: tuple[float, ...] = (0.05,)
) -> dict[float, tuple[float, float, float, int]]:
    """The audit's reversed-key flags at each false discovery rate in ``levels``.

    Returns, per level: mean keys found, share of runs with >= 9 found, mean and largest
    number of false flags. The flags do not depend on the bootstrap, so each level reads
    the audit's q-values and item-rest correlations of one run.
    """
    out: dict[float, list[tuple[int, int]]] = {level: [] for level in levels}
    for seed in range(seeds):
        _, _, _, values, planted = _reversed_benchmark(seed, log_a)
        items = audit_items(_fit(values), n_boot=20, seed=seed).items
        order = items["item"].str.slice(5).cast(pl.Int64).arg_sort()
        q = items["reversed_q_value"].fill_null(2.0).to_numpy()[order]
        negative = items["item_rest"].fill_null(0.0).to_numpy()[order] < 0
        for level in levels:
            out[level].append(_found((q <= level) & negative, planted))
    return {
        level: (
            float(np.mean([f for f, _ in runs])),
            float(np.mean([f >= 9 for f, _ in runs])),
            float(np.mean([x for _, x in runs])),
            int(max(x for _, x in runs)),
        )
        for level, runs in out.items()
    }


def oracle_reversed_keys(seeds: int, log_a: float) -> tuple[float, float]:
    """Keys found and false flags of a test that knows every true parameter, BH at 5%.

    The log likelihood ratio of a reversed against a working key is a sum over models of
    independent terms; its null p-value uses the normal approximation with the exact
    mean and variance (with 23 models that approximation is liberal: see its false flags).
    """
    from hierlab.stats import adjust_pvalues

    runs = []
    for seed in range(seeds):
        theta, a, b, values, planted = _reversed_benchmark(seed, log_a)
        p = response_probability(theta, a, b)
        logit = np.log(p / (1 - p))
        llr = ((1 - 2 * values) * logit).sum(axis=0)
        mean = ((1 - 2 * p) * logit).sum(axis=0)
        sd = np.sqrt((4 * p * (1 - p) * logit**2).sum(axis=0))
        runs.append(_found(adjust_pvalues(norm.sf((llr - mean) / sd), "bh") < 0.05, planted))
    return float(np.mean([f for f, _ in runs])), float(np.mean([x for _, x in runs]))


def exact_oracle_reversed_keys(
    seeds: int, log_a: float, level: float = 0.05
) -> tuple[float, float]:
    """Keys found and false flags of an oracle knowing every parameter, q-values <= level.

    The likelihood of each item's answers under its true parameters and under the
    reversed key feed the audit's two-group local fdr (so its false flags are controlled
    like the audit's, unlike the normal approximation of :func:`oracle_reversed_keys`).
    """
    from hierlab.irt._reversal import local_fdr, q_values

    runs = []
    for seed in range(seeds):
        theta, a, b, values, planted = _reversed_benchmark(seed, log_a)
        p = response_probability(theta, a, b)
        working = (values * np.log(p) + (1 - values) * np.log1p(-p)).sum(axis=0)
        flipped = ((1 - values) * np.log(p) + values * np.log1p(-p)).sum(axis=0)
        runs.append(_found(q_values(local_fdr(working, flipped)[0]) <= level, planted))
    return float(np.mean([f for f, _ in runs])), float(np.mean([x for _, x in runs]))


def bayes_oracle_reversed_keys(
    seeds: int, log_a: float, level: float = 0.05
) -> tuple[float, float]:
    """Keys found and false flags of the best audit that does not know each item.

    It knows the true abilities and the true population distributions of discrimination
    and difficulty, not each item's own: each item's likelihood under a working and under
    a reversed key is integrated over those distributions (20 x 40 quantile grid), and
    the same two-group local fdr and q-value cut-off as the audit's pick the flags. No
    rule that must learn an item's difficulty from its own answers can do better on
    average; the gap to :func:`oracle_reversed_keys` is the price of not knowing it.
    """
    from scipy.special import logsumexp

    from hierlab.irt._reversal import local_fdr, q_values

    a_grid = np.exp(log_a + 0.3 * norm.ppf((np.arange(20) + 0.5) / 20))
    b_grid = norm.ppf((np.arange(40) + 0.5) / 40)
    runs = []
    for seed in range(seeds):
        theta, _, _, values, planted = _reversed_benchmark(seed, log_a)
        logs = []
        for sign in (1.0, -1.0):
            eta = sign * a_grid[:, None, None] * (theta[None, None, :] - b_grid[None, :, None])
            right, wrong = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
            ll = np.einsum("gbn,nj->gbj", right, values) + np.einsum(
                "gbn,nj->gbj", wrong, 1 - values
            )
            logs.append(logsumexp(ll.reshape(-1, values.shape[1]), axis=0))
        q = q_values(local_fdr(logs[0], logs[1])[0])
        runs.append(_found(q <= level, planted))
    return float(np.mean([f for f, _ in runs])), float(np.mean([x for _, x in runs]))


def calibration(seeds: int) -> float:
    inside = 0
    for seed in range(seeds):
        rng = np.random.default_rng(1000 + seed)
        theta = np.sort(rng.normal(size=23))
        a, b = np.exp(rng.normal(0, 0.3, 150)), rng.normal(size=150)
        values = (rng.random((23, 150)) < response_probability(theta, a, b)).astype(float)
        fit = _fit(values)
        weakest = fit.abilities.sort("theta")["model"][0]
        audit = audit_items(fit, baseline=weakest, n_boot=100, seed=seed)
        row = audit.rules.filter(pl.col("rule") == "any tested rule").row(0, named=True)
        inside += row["chance_low"] <= row["flagged"] <= row["chance_high"]
    return inside / seeds


def fit_statistics(seeds: int) -> dict[str, float]:
    sx2, lz, m2, q3 = [], [], [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        theta, a, b = rng.normal(size=500), np.exp(rng.normal(0, 0.3, 15)), rng.normal(size=15)
        fit = _fit((rng.random((500, 15)) < response_probability(theta, a, b)).astype(float))
        sx2.append(item_fit(fit).table["p_value"].to_numpy())
        lz.append(person_fit(fit).table["p_value"].to_numpy())
        m2.append(global_fit(fit).test.p_value)
        q3.append(local_dependence(fit, n_boot=50, seed=seed).pairs["flagged"].sum())
    return {
        "S-X2 rejection at 5%": float(np.mean(np.concatenate(sx2) < 0.05)),
        "lz* rejection at 5%": float(np.mean(np.concatenate(lz) < 0.05)),
        "M2 rejection at 5%": float(np.mean(np.array(m2) < 0.05)),
        "Q3 flagged pairs per fit (FDR 5%)": float(np.mean(q3)),
    }


def dif_checks(seeds: int) -> dict[str, float]:
    size, power = [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        n, j = 300, 15
        theta, a, b = rng.normal(size=n), np.exp(rng.normal(0, 0.2, j)), rng.normal(size=j)
        focal = np.arange(n) >= n // 2
        p = response_probability(theta, a, b)
        logit = np.log(p / (1 - p))
        logit[focal, 0] -= 1.0
        values = (rng.random((n, j)) < 1 / (1 + np.exp(-logit))).astype(float)
        groups = {str(i): ("focal" if focal[i] else "ref") for i in range(n)}
        t = dif(values, groups, reference="ref", correction=None).table
        size.append(t["mh_p_value"].to_numpy()[1:])
        power.append(t["mh_p_value"][0] < 0.05)
    return {
        "MH rejection at 5% without DIF": float(np.mean(np.concatenate(size) < 0.05)),
        "MH power, uniform DIF of 1 logit, 150 vs 150 models": float(np.mean(power)),
    }


def mirt_agreement() -> dict[str, float]:
    """Largest differences from the PyPI package ``mirt`` on the same items and abilities.

    lz against mirt's ``Zh``; Q3 against mirt's pairwise-complete residual correlations of
    the raw residuals x - P (Yen's definition; mirt's ``compute_q3`` correlates
    standardised residuals instead, which differs by a few hundredths).
    """
    from mirt._correlation import q3_correlations
    from mirt.diagnostics.personfit import compute_personfit
    from mirt.models.dichotomous import TwoParameterLogistic

    from hierlab.irt import simulate_responses

    sim = simulate_responses(300, 15, seed=0, missing=0.1)
    fit = _fit(sim.responses.values)
    a, b = fit.items["a"].to_numpy(), fit.items["b"].to_numpy()
    model = TwoParameterLogistic(n_items=15).set_parameters(discrimination=a, difficulty=b)
    values = sim.responses.values
    pf = person_fit(fit).table
    codes = np.where(np.isnan(values), -1, values).astype(int)
    zh = compute_personfit(model, codes, pf["theta"].to_numpy(), ["Zh"])["Zh"]
    theta = fit.abilities["theta"].to_numpy()
    q3 = q3_correlations(
        np.nan_to_num(values) - response_probability(theta, a, b), ~np.isnan(values)
    )
    ld = local_dependence(fit, n_boot=20, top=200)
    index = {item: i for i, item in enumerate(fit.items["item"].to_list())}
    q3_diff = max(
        abs(q3[index[r["item_1"]], index[r["item_2"]]] - r["q3"])
        for r in ld.pairs.iter_rows(named=True)
    )
    return {
        "lz vs mirt Zh, max |difference|": float(np.nanmax(np.abs(zh - pf["lz"].to_numpy()))),
        "Q3 vs mirt residual correlations, max |difference|": float(q3_diff),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeded runs per check")
    args = parser.parse_args()
    start = time.perf_counter()
    for label, log_a in (("a ~ 2", np.log(2.0)), ("a ~ 1", 0.0)):
        by_level = reversed_keys(args.seeds, log_a, (0.05, 0.1, 0.2))
        for level, (mean_found, share9, mean_false, max_false) in by_level.items():
            print(
                f"reversed keys, 23 x 1000, {label}, significance {level}: "
                f"{mean_found:.2f} of 10 found on average, >= 9 found in {share9:.0%} of "
                f"runs, {mean_false:.2f} false flags on average (at most {max_false})"
            )
        for level in (0.05, 0.1, 0.2):
            bayes_found, bayes_false = bayes_oracle_reversed_keys(args.seeds, log_a, level)
            exact_found, exact_false = exact_oracle_reversed_keys(args.seeds, log_a, level)
            print(
                f"  significance {level}: best possible without each item's own parameters "
                f"{bayes_found:.2f} found, {bayes_false:.2f} false; oracle knowing every "
                f"parameter {exact_found:.2f} found, {exact_false:.2f} false"
            )
        full_found, full_false = oracle_reversed_keys(args.seeds, log_a)
        print(
            f"  oracle knowing every parameter, normal approximation and BH 5%: "
            f"{full_found:.2f} found, {full_false:.2f} false"
        )
    print(
        f"calibration: flag count within the audit's chance range in "
        f"{calibration(max(args.seeds, 20) * 5):.0%} of runs (>= 90% required)"
    )
    for name, value in (fit_statistics(args.seeds) | dif_checks(args.seeds)).items():
        print(f"{name}: {value:.3f}")
    for name, value in mirt_agreement().items():
        print(f"{name}: {value:.1e}")
    print(f"total time {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
