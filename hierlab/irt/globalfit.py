"""Fit of the whole model: Maydeu-Olivares and Joe's M2, RMSEA and SRMSR.

M2 is a limited-information test: it compares the observed proportions of right answers
to every item and to every pair of items with the proportions the fitted model
implies (integrated over the N(0, 1) ability distribution), weighted by their
asymptotic covariance with the estimation of the item parameters projected out:

    M2 = N e' (Xi^-1 - Xi^-1 D (D' Xi^-1 D)^-1 D' Xi^-1) e,   df = s - q,

with ``e`` the residual moments, ``Xi`` their covariance under the model, ``D`` their
derivatives with respect to the ``q`` free item parameters and ``s = J (J + 1) / 2``
moments. It is chi-square with ``df`` degrees of freedom when the model holds and the
parameters are maximum likelihood estimates (with the default weak priors it is
approximate). RMSEA2 = sqrt(max(M2 - df, 0) / (N df)) with its noncentral chi-square
interval, and SRMSR is the root mean square of the residual inter-item correlations.

The covariance has ``s x s`` entries, so M2 is for tests of at most
:data:`MAX_ITEMS` items (evaluate a long benchmark on item subsets, or one topic at a
time), answered completely by every model used.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.errors import InvalidValueError, SmallSampleWarning
from hierlab.irt._checks import check_probability, fitted, normal_grid
from hierlab.irt.fit import IRTFit
from hierlab.irt.models import item_parameters
from hierlab.results import Result, Summary, TestResult

__all__ = ["GlobalFit", "global_fit"]

#: Most items M2 handles (its covariance has (J (J + 1) / 2)^2 entries).
MAX_ITEMS = 100


@dataclass(frozen=True, eq=False)
class GlobalFit(Result):
    """Limited-information fit of the whole model.

    Attributes
    ----------
    test : TestResult
        The M2 test (``statistic, df, p_value``).
    rmsea : float
        RMSEA2 from M2.
    rmsea_ci_low, rmsea_ci_high : float
        Its ``confidence`` interval (noncentral chi-square).
    srmsr : float
        Standardised root mean square residual of the inter-item correlations.
    n_models : int
        Models with complete responses (the sample).
    n_items : int
        Items.
    confidence : float
        Coverage of the RMSEA interval.
    notes : tuple of str
        Remarks (priors, models left out).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> g = global_fit(fit_irt(simulate_responses(1000, 8, seed=0).responses, prior=None))
    >>> g.test.df
    20.0
    """

    test: TestResult
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmsr: float
    n_models: int
    n_items: int
    confidence: float = 0.9
    notes: tuple[str, ...] = ()

    def summary(self) -> Summary:
        """Summarise the fit: M2, RMSEA with its interval, SRMSR.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> g = global_fit(fit_irt(simulate_responses(1000, 8, seed=0).responses, prior=None))
        >>> g.summary().title
        'Global fit (M2, Maydeu-Olivares and Joe)'
        """
        return Summary(
            "Global fit (M2, Maydeu-Olivares and Joe)",
            facts=[
                ("models", self.n_models),
                ("items", self.n_items),
                ("M2", self.test.statistic),
                ("df", self.test.df),
                ("p-value", self.test.p_value),
                ("RMSEA2", self.rmsea),
                (
                    f"RMSEA2 {self.confidence:.0%} interval",
                    f"[{self.rmsea_ci_low:.4f}, {self.rmsea_ci_high:.4f}]",
                ),
                ("SRMSR", self.srmsr),
            ],
            notes=list(self.notes),
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the statistics as one row.

        Returns
        -------
        polars.DataFrame
            ``statistic, df, p_value, rmsea, rmsea_ci_low, rmsea_ci_high, srmsr,
            n_models, n_items``.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> g = global_fit(fit_irt(simulate_responses(1000, 8, seed=0).responses, prior=None))
        >>> g.to_polars().columns[:3]
        ['statistic', 'df', 'p_value']
        """
        return pl.DataFrame(
            {
                "statistic": [float(self.test.statistic)],
                "df": [float(self.test.df or 0)],
                "p_value": [float(self.test.p_value)],
                "rmsea": [self.rmsea],
                "rmsea_ci_low": [self.rmsea_ci_low],
                "rmsea_ci_high": [self.rmsea_ci_high],
                "srmsr": [self.srmsr],
                "n_models": [self.n_models],
                "n_items": [self.n_items],
            }
        )


def _derivatives(
    irt_model: str, z: np.ndarray, a: np.ndarray, d: np.ndarray, c: np.ndarray
) -> tuple[np.ndarray, list[np.ndarray]]:
    """P(right) on the grid (Q, J) and its derivatives, one (Q, J) array per item parameter.

    The parametrisation is slope-intercept (``P = c + (1 - c) sigmoid(a z + d)``); M2 does
    not depend on it. The 1PL's common slope is handled by the caller.
    """
    s = 1.0 / (1.0 + np.exp(-(z[:, None] * a[None, :] + d[None, :])))
    p = c + (1 - c) * s
    ds = (1 - c) * s * (1 - s)
    parts = [ds]  # intercept
    if irt_model != "rasch":
        parts.append(z[:, None] * ds)  # slope
    if irt_model == "3pl":
        parts.append(1 - s)  # guessing
    return p, parts


def _moments_covariance(p: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Univariate and bivariate model moments and their covariance Xi2 (s x s)."""
    _q, j = p.shape
    iu, ju = np.triu_indices(j, k=1)
    pair = np.full((j, j), -1)
    pair[iu, ju] = np.arange(len(iu)) + j
    pair[ju, iu] = pair[iu, ju]
    y = np.concatenate([p.T, (p[:, iu] * p[:, ju]).T])  # conditional means (s, Q)
    pi = y @ w
    cross = (y * w[None, :]) @ y.T
    v = p * (1 - p)  # (Q, J)
    t2 = np.einsum("q,qi,qj->ij", w, v, p)  # sum w v_i P_j
    t3 = np.einsum("q,qi,qj,qk->ijk", w, v, p, p)  # sum w v_i P_j P_k
    cross[np.arange(j), np.arange(j)] += w @ v
    # (x_i, x_i x_k): shared item i
    rows = np.repeat(np.arange(j), j)
    others = np.tile(np.arange(j), j)
    keep = rows != others
    rows, others = rows[keep], others[keep]
    cols = pair[rows, others]
    add = t2[rows, others]
    cross[rows, cols] += add
    cross[cols, rows] += add
    # (x_i x_k, x_i x_l), k != l: shared item i
    shared = np.repeat(np.arange(j), (j - 1) * (j - 1))
    partners = np.array([[o for o in range(j) if o != i] for i in range(j)])  # (J, J-1)
    k_idx = np.repeat(partners, j - 1, axis=1).ravel()
    l_idx = np.tile(partners, (1, j - 1)).ravel()
    distinct = k_idx != l_idx
    shared, k_idx, l_idx = shared[distinct], k_idx[distinct], l_idx[distinct]
    cross[pair[shared, k_idx], pair[shared, l_idx]] += t3[shared, k_idx, l_idx]
    # (x_i x_k, x_i x_k)
    both = p[:, iu] * p[:, ju]
    cross[np.arange(j, j + len(iu)), np.arange(j, j + len(iu))] += w @ (both * (1 - both))
    return pi, cross - np.outer(pi, pi)


def global_fit(fit: IRTFit, *, confidence: float = 0.9) -> GlobalFit:
    """Test the fit of the whole model with M2, and report RMSEA2 and SRMSR.

    Parameters
    ----------
    fit : IRTFit
        A binary fit (Rasch, 1PL, 2PL or 3PL) of at most 100 items, with its responses
        attached. Models with a missing response are left out (a warning says how many).
    confidence : float, default 0.9
        Coverage of the RMSEA interval (90% is the convention for RMSEA).

    Returns
    -------
    GlobalFit

    Raises
    ------
    InputTypeError
        ``fit`` is not an IRTFit.
    InvalidValueError
        A graded fit, more than 100 items, or fewer complete models than items.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> sim = simulate_responses(2000, 10, irt_model="3pl", seed=1)
    >>> g = global_fit(fit_irt(sim.responses, "1pl", prior=None))  # the wrong model
    >>> bool(g.test.p_value < 0.001)
    True
    """
    from scipy.linalg import cho_factor, cho_solve
    from scipy.stats import chi2

    fit, m = fitted(fit)
    confidence = check_probability(confidence, "confidence")
    if m.n_categories != 2 or fit.irt_model not in ("rasch", "1pl", "2pl", "3pl"):
        raise InvalidValueError(
            f"global_fit computes M2 for binary Rasch, 1PL, 2PL and 3PL fits; this fit is "
            f"{fit.irt_model!r} with {m.n_categories} response categories."
        )
    j = m.n_items
    if j > MAX_ITEMS:
        raise InvalidValueError(
            f"M2 needs the covariance of J (J + 1) / 2 = {j * (j + 1) // 2:,} moments for "
            f"{j:,} items; it handles at most {MAX_ITEMS} items. Fit and test a subset of "
            "items (one topic, or a sample of items) instead."
        )
    complete = m.observed.all(axis=1)
    n = int(complete.sum())
    notes = []
    if n < m.n_models:
        warnings.warn(
            f"M2 uses the {n} of {m.n_models} models that answered every item.",
            SmallSampleWarning,
            stacklevel=2,
        )
        notes.append(f"{m.n_models - n} models with missing responses left out")
    if n <= j:
        raise InvalidValueError(
            f"M2 needs more models with complete responses ({n}) than items ({j})."
        )
    if fit.prior is not None:
        notes.append(
            "the items were estimated with priors (posterior modes): M2's chi-square "
            "reference is approximate; fit with prior=None for the textbook test"
        )
    params = item_parameters(fit.items)
    a, c = params["a"], params["c"]
    d = params["d"]
    z, w = normal_grid()
    p, parts = _derivatives(fit.irt_model, z, a, d, c)
    pi, xi = _moments_covariance(p, w)
    iu, ju = np.triu_indices(j, k=1)
    # derivatives of the moments with respect to each free parameter: (s, q)
    columns = []
    for part in parts:  # one parameter per item: items are independent columns
        uni = np.diag(w @ part)
        bi = np.zeros((len(iu), j))
        bi[np.arange(len(iu)), iu] = w @ (part[:, iu] * p[:, ju])
        bi[np.arange(len(iu)), ju] = w @ (p[:, iu] * part[:, ju])
        block = np.vstack([uni, bi])
        if fit.irt_model == "1pl" and part is parts[1]:
            columns.append(block.sum(axis=1, keepdims=True))  # one common slope
        else:
            columns.append(block)
    delta = np.hstack(columns)
    x = m.values[complete]
    observed = np.concatenate([x.mean(axis=0), (x[:, iu] * x[:, ju]).mean(axis=0)])
    e = observed - pi
    factor = cho_factor(xi + 1e-12 * np.eye(len(xi)))
    xi_e = cho_solve(factor, e)
    xi_d = cho_solve(factor, delta)
    middle = delta.T @ xi_d
    proj = delta.T @ xi_e
    statistic = float(n * (e @ xi_e - proj @ np.linalg.solve(middle, proj)))
    df = len(e) - np.linalg.matrix_rank(delta)
    p_value = float(chi2.sf(statistic, df))
    rmsea = float(np.sqrt(max(statistic - df, 0.0) / (n * df)))
    low, high = _rmsea_interval(statistic, df, n, confidence)
    # SRMSR: residual correlations
    var = pi[:j] * (1 - pi[:j])
    model_r = (pi[j:] - pi[iu] * pi[ju]) / np.sqrt(var[iu] * var[ju])
    ov = observed[:j] * (1 - observed[:j])
    with np.errstate(invalid="ignore", divide="ignore"):
        obs_r = (observed[j:] - observed[iu] * observed[ju]) / np.sqrt(ov[iu] * ov[ju])
    srmsr = float(np.sqrt(np.nanmean((obs_r - model_r) ** 2)))
    test = TestResult(
        method="M2 (Maydeu-Olivares and Joe)",
        statistic=statistic,
        df=float(df),
        p_value=p_value,
        null_hypothesis=f"the {fit.irt_model.upper()} model holds",
    )
    return GlobalFit(
        test=test,
        rmsea=rmsea,
        rmsea_ci_low=low,
        rmsea_ci_high=high,
        srmsr=srmsr,
        n_models=n,
        n_items=j,
        confidence=confidence,
        notes=tuple(notes),
    )


def _rmsea_interval(statistic: float, df: int, n: int, confidence: float) -> tuple[float, float]:
    """RMSEA interval from the noncentral chi-square (Browne and Cudeck's inversion)."""
    from scipy.optimize import brentq
    from scipy.stats import chi2, ncx2

    def bound(target: float) -> float:
        # the noncentrality at which P(X <= statistic) equals target (0 if impossible)
        if chi2.cdf(statistic, df) < target:
            return 0.0

        def gap(lam: float) -> float:
            return float(ncx2.cdf(statistic, df, lam) - target)

        hi = max(10.0, statistic)
        while gap(hi) > 0:
            hi *= 2
        return brentq(gap, 1e-10, hi)

    lam_high = bound((1 - confidence) / 2)
    lam_low = bound((1 + confidence) / 2)
    scale = float(n * df)
    return float(np.sqrt(lam_low / scale)), float(np.sqrt(lam_high / scale))
