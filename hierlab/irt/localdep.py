"""Local dependence between item pairs: Yen's Q3 and Chen and Thissen's LD chi-square.

IRT assumes that, given ability, a model's answers to two items are independent. LLM
results break this when items are near-duplicates, share a template or a passage, or
when one model's repeated runs are scored as separate items. Yen's Q3 is the
correlation, over models, of two items' residuals (response minus its expectation at
the model's ability). Under local independence Q3 sits slightly below 0 (about
``-1 / (J - 1)``), so the usual cut-off is applied to Q3 minus the mean Q3 of all pairs
(Christensen, Makransky and Horton's ``Q3*``, with 0.2 as the customary threshold).

How far Q3 strays by chance depends on the number of models (its SD is about
``1 / sqrt(N)``: 0.2 with 23 models, where the 0.2 cut-off means nothing). The pairs'
p-values therefore come from a parametric bootstrap: ``n_boot`` response sets are drawn
from the fitted model, each pair's Q3* is standardised by its own bootstrap mean and SD,
and the standardised observed value is referred to the pooled bootstrap values, each
standardised by the other draws' mean and SD (leave one out, so that they are distributed
like the observed value); Benjamini-Hochberg runs over pairs. The bootstrap also gives the number of
pairs expected over the cut-off by chance.

Chen and Thissen's LD chi-square compares each pair's observed cross-table with the one
expected at the models' abilities; its chi-square reference needs many models.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.irt._checks import (
    check_count,
    check_nonnegative,
    check_probability,
    draw,
    fitted,
    generator,
    probabilities,
    theta_of,
)
from hierlab.irt.fit import IRTFit
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_correction

__all__ = ["LocalDependence", "local_dependence"]

#: Pooled standardised bootstrap values kept for the pairs' p-values.
POOL_SIZE = 2_000_000


@dataclass(frozen=True, eq=False)
class LocalDependence(Result):
    """Local dependence of item pairs: Q3, its bootstrap calibration, the LD chi-square.

    Attributes
    ----------
    pairs : polars.DataFrame
        The pairs over the cut-off or flagged (and at least the ``top`` pairs by Q3*):
        ``item_1, item_2, q3, q3_adjusted`` (Q3 minus the mean Q3), ``statistic``
        (Q3* standardised by its bootstrap mean and SD), ``p_value, p_adjusted``,
        ``ld_statistic, ld_df, ld_p_value`` (Chen-Thissen chi-square), ``n`` (models
        that answered both), ``over_cutoff`` and ``flagged`` (``p_adjusted <
        significance``); sorted by ``q3_adjusted``.
    distribution : polars.DataFrame
        ``q3_adjusted`` bin centres, ``pairs`` (observed count) and ``expected`` (mean
        count over the bootstrap), for a histogram.
    mean_q3 : float
        The mean Q3 of all pairs.
    cutoff : float
        The Q3* cut-off.
    n_pairs : int
        Pairs with a Q3 (answered by at least 3 models in common).
    over_cutoff : int
        Pairs with Q3* above the cut-off.
    expected_over_cutoff : float
        Mean number of pairs above the cut-off over the bootstrap.
    n_boot : int
        Response sets drawn from the fitted model.
    correction : str or None
        The multiple-testing correction over pairs.
    significance : float
        The threshold of ``flagged``.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> ld = local_dependence(fit_irt(simulate_responses(300, 12, seed=1).responses), n_boot=20)
    >>> ld.to_polars().columns[:4]
    ['item_1', 'item_2', 'q3', 'q3_adjusted']
    """

    pairs: pl.DataFrame
    distribution: pl.DataFrame
    mean_q3: float
    cutoff: float
    n_pairs: int
    over_cutoff: int
    expected_over_cutoff: float
    n_boot: int
    correction: str | None = "bh"
    significance: float = 0.05

    def summary(self) -> Summary:
        """Summarise local dependence: pairs over the cut-off against chance, flagged pairs.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> ld = local_dependence(fit_irt(simulate_responses(300, 12, seed=1).responses), n_boot=20)
        >>> ld.summary().title
        "Local dependence (Yen's Q3)"
        """
        flagged = self.pairs.filter("flagged")
        return Summary(
            "Local dependence (Yen's Q3)",
            facts=[
                ("item pairs", self.n_pairs),
                ("mean Q3", self.mean_q3),
                (f"pairs with Q3* > {self.cutoff:g}", self.over_cutoff),
                ("expected by chance", round(self.expected_over_cutoff, 1)),
                ("flagged pairs", flagged.height),
                ("correction", self.correction or "none"),
                ("calibration", f"parametric bootstrap, {self.n_boot} response sets"),
            ],
            tables={
                "flagged pairs": flagged.select(
                    "item_1", "item_2", "q3", "q3_adjusted", "p_adjusted", "ld_statistic"
                ).head(30)
            },
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the table of pairs.

        Returns
        -------
        polars.DataFrame

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> ld = local_dependence(fit_irt(simulate_responses(300, 12, seed=1).responses), n_boot=20)
        >>> bool(ld.to_polars().height >= 1)
        True
        """
        return self.pairs


def q3_matrix(residuals: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return Yen's Q3 (J x J, pairwise over models answering both) and the pair counts.

    Examples
    --------
    >>> r = np.array([[1.0, 1.0], [-1.0, -1.0], [0.5, -0.5]])
    >>> q, n = q3_matrix(r, np.ones((3, 2), dtype=bool))
    >>> round(float(q[0, 1]), 3), int(n[0, 1])
    (0.846, 3)
    """
    o = observed.astype(float)
    d = np.where(observed, residuals, 0.0)
    n = o.T @ o
    sx = d.T @ o  # sum of item i's residuals over models answering j
    sxx = (d**2).T @ o
    sxy = d.T @ d
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx**2 / n
        q3 = cov / np.sqrt(var_i * var_i.T)
    q3[n < 3] = np.nan
    np.fill_diagonal(q3, np.nan)
    return q3, n


def _ld_chi_square(
    values: np.ndarray, observed: np.ndarray, probs: np.ndarray
) -> tuple[np.ndarray, int]:
    """Chen-Thissen LD X2 of every pair (expected tables at the models' abilities)."""
    k = probs.shape[2]
    o = observed.astype(float)
    stat = np.zeros((values.shape[1], values.shape[1]))
    for a in range(k):
        xa = np.where(observed, values == a, False).astype(float)
        pa = probs[..., a] * o
        for b in range(k):
            xb = np.where(observed, values == b, False).astype(float)
            pb = probs[..., b] * o
            obs_ab = xa.T @ xb
            exp_ab = pa.T @ pb
            with np.errstate(invalid="ignore", divide="ignore"):
                stat += np.where(exp_ab > 0, (obs_ab - exp_ab) ** 2 / exp_ab, 0.0)
    return stat, (k - 1) ** 2


def _adjusted(q3: np.ndarray) -> tuple[np.ndarray, float]:
    mean = float(np.nanmean(q3)) if np.isfinite(q3).any() else float("nan")
    return q3 - mean, mean


def local_dependence(
    fit: IRTFit,
    *,
    cutoff: float = 0.2,
    n_boot: int = 50,
    correction: str | None = "bh",
    significance: float = 0.05,
    top: int = 20,
    seed: int | np.random.Generator = 0,
) -> LocalDependence:
    """Find locally dependent item pairs with Yen's Q3, calibrated by a parametric bootstrap.

    Parameters
    ----------
    fit : IRTFit
        The fitted model, with its responses attached.
    cutoff : float, default 0.2
        The customary threshold on Q3* (Q3 minus the mean Q3 of all pairs).
    n_boot : int, default 50
        Response sets drawn from the fitted model (the pairs' null distribution).
    correction : {"bh", "holm", "bonferroni"} or None, default "bh"
        Multiple-testing correction over pairs.
    significance : float, default 0.05
        A pair is ``flagged`` when its adjusted p-value is below this.
    top : int, default 20
        The table also lists the ``top`` pairs by Q3*, flagged or not.
    seed : int or numpy.random.Generator, default 0
        Randomness of the bootstrap.

    Returns
    -------
    LocalDependence

    Raises
    ------
    InputTypeError
        ``fit`` is not an IRTFit.
    InvalidValueError
        The fit has no responses, or an option is out of range.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(500, 15, seed=2)
    >>> values = sim.responses.values.copy()
    >>> copy = np.random.default_rng(0).random(500) < 0.6
    >>> values[:, 1] = np.where(copy, values[:, 0], values[:, 1])  # item_1 echoes item_0
    >>> ld = local_dependence(fit_irt(values), n_boot=20)
    >>> ld.pairs.filter("flagged").select("item_1", "item_2").rows()
    [('item_0', 'item_1')]
    """
    fit, m = fitted(fit)
    cutoff = check_nonnegative(cutoff, "cutoff")
    n_boot = check_count(n_boot, "n_boot", 5)
    correction = check_correction(correction)
    significance = check_probability(significance, "significance")
    top = check_count(top, "top", 0)
    rng = generator(seed)
    obs = m.observed
    theta = theta_of(fit)
    probs = probabilities(fit, theta)
    scores = np.arange(probs.shape[2], dtype=float)
    expected = probs @ scores

    def adjusted_q3(values: np.ndarray) -> np.ndarray:
        q3, _ = q3_matrix(np.nan_to_num(values) - expected, obs)
        return _adjusted(q3)[0]

    q3, n_pair = q3_matrix(np.nan_to_num(m.values) - expected, obs)
    q3_star, mean_q3 = _adjusted(q3)
    upper = np.triu(np.ones_like(q3, dtype=bool), k=1) & np.isfinite(q3)
    bins = np.linspace(-1.0, 1.0, 41)
    # pass 1: each pair's bootstrap mean and SD (Welford), chance counts and histogram
    state = rng.bit_generator.state
    mean = np.zeros_like(q3)
    m2 = np.zeros_like(q3)
    over = np.zeros(n_boot)
    hist = np.zeros(len(bins) - 1)
    for b in range(n_boot):
        sim = adjusted_q3(draw(probs, obs, rng))
        sim = np.where(upper, np.nan_to_num(sim), 0.0)
        delta = sim - mean
        mean += delta / (b + 1)
        m2 += delta * (sim - mean)
        over[b] = (sim[upper] > cutoff).sum()
        hist += np.histogram(sim[upper], bins=bins)[0]
    sd = np.sqrt(np.maximum(m2 / max(n_boot - 1, 1), 1e-12))
    # pass 2: the same draws again, standardised, pooled into one null distribution
    rng.bit_generator.state = state
    per_draw = max(1, POOL_SIZE // n_boot)
    pooled = []
    for _ in range(n_boot):
        sim = np.where(upper, np.nan_to_num(adjusted_q3(draw(probs, obs, rng))), 0.0)
        # standardise each draw by the others' mean and SD (leave one out), so that it is
        # distributed like the observed value, which is not part of the bootstrap
        loo_mean = (n_boot * mean - sim) / (n_boot - 1)
        loo_m2 = np.maximum(m2 - (sim - mean) * (sim - loo_mean), 0.0)
        loo_sd = np.sqrt(np.maximum(loo_m2 / max(n_boot - 2, 1), 1e-12))
        z = ((sim - loo_mean) / loo_sd)[upper]
        z = z[np.isfinite(z)]
        if len(z) > per_draw:
            z = rng.choice(z, per_draw, replace=False)
        pooled.append(z)
    null = np.sort(np.concatenate(pooled))
    statistic = np.where(upper, (q3_star - mean) / sd, np.nan)
    iu = np.nonzero(upper)
    z_obs = statistic[iu]
    p = (len(null) - np.searchsorted(null, z_obs, side="left") + 1) / (len(null) + 1)
    p_adjusted = adjust_pvalues(p, correction)
    ld_stat, ld_df = _ld_chi_square(m.values, obs, probs)
    from scipy.stats import chi2

    names = np.asarray(m.items, dtype=object)
    star = q3_star[iu]
    keep = (star > cutoff) | (p_adjusted < significance)
    if top:
        order = np.argsort(-np.nan_to_num(star, nan=-np.inf), kind="stable")[:top]
        keep[order] = True
    idx = np.flatnonzero(keep)
    i, j = iu[0][idx], iu[1][idx]
    pairs = pl.DataFrame(
        {
            "item_1": names[i].tolist(),
            "item_2": names[j].tolist(),
            "q3": q3[i, j],
            "q3_adjusted": star[idx],
            "statistic": z_obs[idx],
            "p_value": p[idx],
            "p_adjusted": p_adjusted[idx],
            "ld_statistic": ld_stat[i, j],
            "ld_df": np.full(len(idx), ld_df),
            "ld_p_value": chi2.sf(ld_stat[i, j], ld_df),
            "n": n_pair[i, j].astype(np.int64),
            "over_cutoff": star[idx] > cutoff,
            "flagged": p_adjusted[idx] < significance,
        },
        schema_overrides={"item_1": pl.String, "item_2": pl.String},
    ).sort("q3_adjusted", descending=True)
    centres = (bins[:-1] + bins[1:]) / 2
    distribution = pl.DataFrame(
        {
            "q3_adjusted": centres,
            "pairs": np.histogram(star[np.isfinite(star)], bins=bins)[0],
            "expected": hist / n_boot,
        }
    )
    return LocalDependence(
        pairs=pairs,
        distribution=distribution,
        mean_q3=mean_q3,
        cutoff=cutoff,
        n_pairs=int(upper.sum()),
        over_cutoff=int((star > cutoff).sum()),
        expected_over_cutoff=float(over.mean()),
        n_boot=n_boot,
        correction=correction,
        significance=significance,
    )
