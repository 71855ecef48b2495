"""Item fit: Orlando and Thissen's S-X2 with its degrees of freedom, and infit / outfit.

S-X2 compares, within each group of models with the same summed score, the observed
share of right answers to an item with the share the fitted model predicts for that
summed score. The prediction integrates over the N(0, 1) ability distribution with the
Lord-Wingersky recursion (the summed-score distribution of all items, and of all items
but one by exact deconvolution), so it does not lean on any one model's ability
estimate. Adjacent score groups are pooled until each pooled group expects at least
``min_expected`` right and wrong answers; the statistic is referred to chi-square with
(groups - free item parameters) degrees of freedom.

Infit and outfit mean squares are the residual statistics of Rasch practice, kept as
descriptions (they have no reliable reference distribution with estimated abilities).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import SmallSampleWarning
from hierlab.irt._checks import (
    check_nonnegative,
    check_probability,
    expected_scores,
    fitted,
    is_binary,
    n_item_parameters,
    normal_grid,
    right_probabilities,
    theta_of,
)
from hierlab.irt.fit import IRTFit
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_correction

__all__ = ["ItemFit", "item_fit"]

#: Below this many models with complete responses S-X2's chi-square reference is rough.
SMALL_SAMPLE = 200


@dataclass(frozen=True, eq=False)
class ItemFit(Result):
    """Item fit statistics of every item of a fit.

    Attributes
    ----------
    table : polars.DataFrame
        One row per item: ``item``, ``statistic`` (S-X2), ``df``, ``p_value``,
        ``p_adjusted``, ``flagged`` (``p_adjusted < significance``), ``n_groups`` (pooled
        score groups), ``infit``, ``outfit`` (mean squares, descriptive) and ``n``
        (responses).
    n_models : int
        Models with complete responses, the sample of S-X2.
    correction : str or None
        The multiple-testing correction behind ``p_adjusted``.
    significance : float
        The threshold of ``flagged``.
    notes : tuple of str
        Remarks on the reference distribution (small samples, graded items).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(500, 10, seed=2).responses)
    >>> item_fit(fit).to_polars().columns[:4]
    ['item', 'statistic', 'df', 'p_value']
    """

    table: pl.DataFrame
    n_models: int
    correction: str | None = "bh"
    significance: float = 0.05
    notes: tuple[str, ...] = ()

    def summary(self) -> Summary:
        """Summarise the item fit: the test, the sample and the misfitting items.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(500, 10, seed=2).responses)
        >>> item_fit(fit).summary().title
        'Item fit (S-X2, Orlando and Thissen)'
        """
        flagged = self.table.filter("flagged").sort("p_value")
        tested = self.table.filter(pl.col("p_value").is_not_null()).height
        return Summary(
            "Item fit (S-X2, Orlando and Thissen)",
            facts=[
                ("items", self.table.height),
                ("items tested", tested),
                ("models with complete responses", self.n_models),
                ("correction", self.correction or "none"),
                ("significance", self.significance),
                ("misfitting items", flagged.height),
                ("expected by chance if the model holds", self.significance * tested),
            ],
            tables={
                "misfitting items": flagged.select(
                    "item", "statistic", "df", "p_value", "p_adjusted", "infit", "outfit"
                )
            },
            notes=list(self.notes),
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the item fit table, one row per item.

        Returns
        -------
        polars.DataFrame

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(500, 10, seed=2).responses)
        >>> item_fit(fit).to_polars().height
        10
        """
        return self.table


def summed_score_distribution(right: np.ndarray) -> np.ndarray:
    """Return P(summed score = s | theta) for binary items (Lord-Wingersky), shape (Q, J + 1).

    ``right`` is P(right) of every item at each of Q abilities, shape (Q, J). The recursion
    adds one item at a time (it is sequential by nature) and is vectorised over abilities
    and scores.

    Examples
    --------
    >>> summed_score_distribution(np.array([[0.5, 0.5]])).tolist()
    [[0.25, 0.5, 0.25]]
    """
    q, j = right.shape
    dist = np.zeros((q, j + 1))
    dist[:, 0] = 1.0
    for k in range(j):
        p = right[:, k : k + 1]
        dist[:, 1 : k + 2] = dist[:, 1 : k + 2] * (1 - p) + dist[:, : k + 1] * p
        dist[:, 0] *= 1 - right[:, k]
    return dist


def _right_and_score(full: np.ndarray, p: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return P(x_j = 1, summed score = s) for s = 1..J, shape (J, J) (scores first).

    ``full`` (Q, J + 1) is the summed-score distribution of all items at each ability and
    ``p`` (J, Q) every item's P(right). The distribution without item j follows by exact
    deconvolution, run upwards where p < 1/2 (errors shrink by p / (1 - p)) and downwards
    elsewhere; each step is integrated at once, so nothing of size J x Q x J is stored.
    """
    j, q = p.shape
    low = p < 0.5
    upward = weights[None, :] * p * low
    downward = weights[None, :] * p * ~low
    joint = np.zeros((j, j))
    # each direction only runs where it is stable; elsewhere its terms are neutral (and
    # weighted 0), so nothing overflows for items whose P(right) is near 0 or 1
    p_up, inv_up = np.where(low, p, 0.0), 1.0 / np.where(low, 1.0 - p, 1.0)
    q_down, inv_down = np.where(low, 0.0, 1.0 - p), 1.0 / np.where(low, 1.0, p)
    by_score = np.ascontiguousarray(full.T)  # (J + 1, Q)
    prev, scratch = np.zeros((j, q)), np.empty((j, q))
    # the recursions are sequential over scores, vectorised over items; every step works
    # in place (no temporaries of size J x Q), which halves the time for large J
    for s in range(j):
        np.multiply(p_up, prev, out=scratch)
        np.subtract(by_score[s], scratch, out=prev)
        prev *= inv_up
        np.maximum(prev, 0.0, out=prev)
        joint[s] += np.einsum("jq,jq->j", upward, prev)
    prev[:] = 0.0
    for s in range(j, 0, -1):
        np.multiply(q_down, prev, out=scratch)
        np.subtract(by_score[s], scratch, out=prev)
        prev *= inv_down
        np.maximum(prev, 0.0, out=prev)
        joint[s - 1] += np.einsum("jq,jq->j", downward, prev)
    return joint


def expected_right_by_score(right: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Return E[x_j | summed score = s] under the model, shape (J + 1, J).

    Parameters are P(right) on an ability grid (Q, J) and the grid's probability weights
    (Q,). Rows s = 0 and s = J are 0 and 1.

    Examples
    --------
    >>> e = expected_right_by_score(np.array([[0.3, 0.6], [0.5, 0.9]]), np.array([0.5, 0.5]))
    >>> e.shape, float(e[0, 0]), float(e[2, 1])
    ((3, 2), 0.0, 1.0)
    """
    j = right.shape[1]
    full = summed_score_distribution(right)
    marginal = weights @ full  # (J + 1,)
    out = np.zeros((j + 1, j))
    joint = _right_and_score(full, right.T, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        out[1:] = joint / marginal[1:, None]
    out[0] = 0.0
    out[j] = 1.0
    return np.clip(np.nan_to_num(out), 0.0, 1.0)


def sx2_statistics(
    values: np.ndarray, expected: np.ndarray, n_parameters: int, min_expected: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return S-X2, its df and the number of pooled groups of every item.

    ``values`` (n, J) are complete binary responses; ``expected`` (J + 1, J) is
    E[x_j | summed score]. Models with score 0 or J carry no information and are left
    out. Score groups are pooled from the lowest score upwards until a pooled group
    expects at least ``min_expected`` right and wrong answers; a last group short of that
    joins the group before it. The loop runs over the distinct observed scores (at most
    the number of models), vectorised over items.

    Examples
    --------
    >>> x = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 0, 1.0]])
    >>> e = np.full((4, 3), 0.5)
    >>> stat, df, groups = sx2_statistics(x, e, 0, 0.0)
    >>> groups.tolist()
    [2, 2, 2]
    """
    _n, j = values.shape
    score = values.sum(axis=1).astype(int)
    inner = (score > 0) & (score < j)
    levels, inverse = np.unique(score[inner], return_inverse=True)
    counts = np.bincount(inverse, minlength=len(levels)).astype(float)  # models per score
    right = np.zeros((len(levels), j))
    np.add.at(right, inverse, values[inner])
    expected_right = counts[:, None] * expected[levels]  # (L, J)
    stat = np.zeros(j)
    groups = np.zeros(j, dtype=int)
    # the running (open) group and the last closed group of every item
    o_run = np.zeros(j)
    e_run = np.zeros(j)
    n_run = np.zeros(j)
    o_last = np.zeros(j)
    e_last = np.zeros(j)
    n_last = np.zeros(j)

    def term(o: np.ndarray, e: np.ndarray, size: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = (o - e) ** 2 / e + ((size - o) - (size - e)) ** 2 / (size - e)
        return np.where((e > 0) & (size - e > 0), t, 0.0)

    for level in range(len(levels)):
        o_run += right[level]
        e_run += expected_right[level]
        n_run += counts[level]
        close = (e_run >= min_expected) & (n_run - e_run >= min_expected)
        if min_expected == 0:
            close = np.ones(j, dtype=bool)
        stat += np.where(close, term(o_run, e_run, n_run), 0.0)
        groups += close
        o_last = np.where(close, o_run, o_last)
        e_last = np.where(close, e_run, e_last)
        n_last = np.where(close, n_run, n_last)
        o_run = np.where(close, 0.0, o_run)
        e_run = np.where(close, 0.0, e_run)
        n_run = np.where(close, 0.0, n_run)
    # a last, sparse group joins the group before it (or stands alone if there is none)
    left = n_run > 0
    merge = left & (groups > 0)
    stat -= np.where(merge, term(o_last, e_last, n_last), 0.0)
    stat += np.where(merge, term(o_last + o_run, e_last + e_run, n_last + n_run), 0.0)
    alone = left & (groups == 0)
    stat += np.where(alone, term(o_run, e_run, n_run), 0.0)
    groups += alone
    df = groups - n_parameters
    return stat, df, groups


def _infit_outfit(fit: IRTFit) -> tuple[np.ndarray, np.ndarray]:
    m = fit.responses
    assert m is not None
    obs = m.observed
    mean, variance = expected_scores(fit, theta_of(fit))
    x = np.nan_to_num(m.values)
    resid2 = np.where(obs, (x - mean) ** 2, 0.0)
    var = np.where(obs, np.maximum(variance, 1e-12), 0.0)
    n = obs.sum(axis=0)
    outfit = np.where(obs, resid2 / np.maximum(var, 1e-12), 0.0).sum(axis=0) / np.maximum(n, 1)
    infit = resid2.sum(axis=0) / np.maximum(var.sum(axis=0), 1e-12)
    return infit, outfit


def sx2_setup(fit: IRTFit) -> tuple[np.ndarray, np.ndarray]:
    """Return the complete-response rows mask and E[x_j | summed score] of a binary fit.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> rows, expected = sx2_setup(fit)
    >>> int(rows.sum()), expected.shape
    (100, (6, 5))
    """
    m = fit.responses
    assert m is not None
    z, w = normal_grid()
    expected = expected_right_by_score(right_probabilities(fit, z), w)
    return m.observed.all(axis=1), expected


def item_fit(
    fit: IRTFit,
    *,
    min_expected: float = 1.0,
    correction: str | None = "bh",
    significance: float = 0.05,
) -> ItemFit:
    """Test every item's fit with S-X2 (Orlando and Thissen), with infit and outfit.

    S-X2 needs complete responses: models that skipped an item are left out of it (a
    warning says how many). Its chi-square reference is approximate below about 200
    models; for few models use :func:`~hierlab.irt.audit_items`, which calibrates S-X2 by
    a parametric bootstrap. Graded fits get infit and outfit only.

    Parameters
    ----------
    fit : IRTFit
        The fitted model, with its responses attached (as :func:`~hierlab.irt.fit_irt`
        returns it).
    min_expected : float, default 1.0
        Adjacent score groups are pooled until each pooled group expects at least this
        many right and this many wrong answers (0: no pooling).
    correction : {"bh", "holm", "bonferroni"} or None, default "bh"
        Multiple-testing correction over items.
    significance : float, default 0.05
        An item is ``flagged`` when its adjusted p-value is below this.

    Returns
    -------
    ItemFit

    Raises
    ------
    InputTypeError
        ``fit`` is not an IRTFit.
    InvalidValueError
        The fit has no responses attached, or an option is out of range.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(1000, 12, seed=3)
    >>> values = sim.responses.values.copy()
    >>> bump = np.random.default_rng(0).random(1000) < 0.5
    >>> values[:, 0] = np.where(bump, (sim.theta < 0).astype(float), values[:, 0])  # non-monotone
    >>> out = item_fit(fit_irt(values, "2pl"))
    >>> out.table.filter("flagged")["item"].to_list()
    ['item_0']
    """
    fit, m = fitted(fit)
    min_expected = check_nonnegative(min_expected, "min_expected")
    correction = check_correction(correction)
    significance = check_probability(significance, "significance")
    infit, outfit = _infit_outfit(fit)
    n = m.observed.sum(axis=0)
    notes: list[str] = []
    j = m.n_items
    stat = np.full(j, np.nan)
    df = np.full(j, np.nan)
    groups = np.zeros(j, dtype=int)
    complete = 0
    if is_binary(fit):
        rows, expected = sx2_setup(fit)
        complete = int(rows.sum())
        if complete < m.n_models:
            warnings.warn(
                f"S-X2 uses the {complete} of {m.n_models} models with a response to every "
                "item; the others are left out of it (not of infit and outfit).",
                SmallSampleWarning,
                stacklevel=2,
            )
        if complete < SMALL_SAMPLE:
            notes.append(
                f"{complete} models: S-X2's chi-square reference is approximate below "
                f"{SMALL_SAMPLE}; audit_items calibrates it by a parametric bootstrap"
            )
        s, d, groups = sx2_statistics(
            m.values[rows], expected, n_item_parameters(fit), min_expected
        )
        stat = s
        df = np.where(d > 0, d, np.nan).astype(float)
    else:
        notes.append("S-X2 is computed for binary items; graded items get infit and outfit")
    from scipy.stats import chi2

    with np.errstate(invalid="ignore"):
        p = np.where(np.isfinite(df), chi2.sf(stat, np.nan_to_num(df, nan=1.0)), np.nan)
    p_adjusted = adjust_pvalues(p, correction)
    table = pl.DataFrame(
        {
            "item": list(m.items),
            "statistic": np.where(np.isfinite(df), stat, np.nan),
            "df": df,
            "p_value": p,
            "p_adjusted": p_adjusted,
            "n_groups": groups,
            "infit": infit,
            "outfit": outfit,
            "n": n,
        }
    ).with_columns(
        pl.col("statistic", "df", "p_value", "p_adjusted").fill_nan(None),
    )
    table = table.with_columns(
        flagged=(pl.col("p_adjusted") < significance).fill_null(False)
    ).select(
        "item",
        "statistic",
        "df",
        "p_value",
        "p_adjusted",
        "flagged",
        "n_groups",
        "infit",
        "outfit",
        "n",
    )
    return ItemFit(
        table=table,
        n_models=complete,
        correction=correction,
        significance=significance,
        notes=tuple(notes),
    )


def sx2_null_moments(
    fit: IRTFit, rows: np.ndarray, expected: np.ndarray, min_expected: float, draws: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Return the mean and variance of every item's S-X2 over simulated response sets.

    ``draws`` yields response matrices (n, J) simulated under the fitted model.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 6, seed=0).responses)
    >>> rows, e = sx2_setup(fit)
    >>> sims = [simulate_responses(300, 6, seed=s).responses.values for s in range(3)]
    >>> [a.shape for a in sx2_null_moments(fit, rows, e, 1.0, sims)]
    [(6,), (6,)]
    """
    k = n_item_parameters(fit)
    total = np.zeros(fit.n_items)
    square = np.zeros(fit.n_items)
    count = 0
    for values in draws:
        s, _, _ = sx2_statistics(values[rows], expected, k, min_expected)
        total += s
        square += s**2
        count += 1
    mean = total / max(count, 1)
    return mean, np.maximum(square / max(count, 1) - mean**2, 0.0) * count / max(count - 1, 1)
