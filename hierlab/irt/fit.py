"""Fitting item response models: :func:`fit_irt` and its result, :class:`IRTFit`.

Estimation is by marginal maximum likelihood (or marginal posterior mode with the weak
priors of :class:`~hierlab.irt.Prior`) with EM; the engine is :mod:`hierlab.irt.engine`,
the standard errors :mod:`hierlab.irt.covariance`, the abilities
:mod:`hierlab.irt.scoring`.

The latent scale is fixed by the abilities, ``theta ~ N(0, 1)``: the calibration sample's
posterior means average 0 and its posterior second moments 1, whatever the number of
items. The item priors act only relative to that scale (they cannot shift every
difficulty or stretch every discrimination), so with 20 models and 3,000 items the
difficulties are set by the data, not by the prior's centre. Standard errors come from the
full information of all item parameters, including the covariance between items through
the shared latent distribution.
"""

from __future__ import annotations

import numbers
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy.stats import norm

from hierlab._tables import as_float_array
from hierlab.errors import HierlabWarning, InputTypeError, InvalidValueError, format_items
from hierlab.irt import engine
from hierlab.irt.covariance import ItemCovariance, item_covariance
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.kernels import Prior, make_kernel
from hierlab.irt.models import (
    IRT_MODELS,
    grm_category_probabilities,
    grm_information,
    item_parameters,
    response_probability,
)
from hierlab.irt.models import item_information as binary_item_information
from hierlab.irt.plausible import ability_intervals, plausible_values
from hierlab.irt.scoring import estimate_abilities
from hierlab.results import Result, Summary

__all__ = ["IRTFit", "as_irt_fit", "fit_irt"]

DEFAULT = "default"


@dataclass(frozen=True, eq=False)
class IRTFit(Result):
    """A fitted item response model: item parameters with standard errors, and abilities.

    Attributes
    ----------
    irt_model : str
        "rasch", "1pl", "2pl", "3pl" or "grm".
    items : polars.DataFrame
        One row per item: ``item``, the parameters (``a``, ``b``, ``c`` or GRM thresholds
        ``b1, b2, ...``), their standard errors (``a_se`` ...), the intercept ``d`` and
        ``d_se`` (``-a b`` for binary models; ``d1, d2, ...`` for the GRM), ``n``
        (responses), ``mean`` (mean score) and ``flag`` ("all correct", "all wrong" ...
        for items with one response from every model; null otherwise). The Rasch model has
        no ``a`` column (a = 1).
    abilities : polars.DataFrame
        One row per model: ``model, theta`` (EAP), ``theta_se`` (posterior SD),
        ``theta_map, theta_map_se, n, mean``.
    loglik : float
        Marginal log-likelihood at the estimates (priors excluded).
    n_parameters : int
        Free item parameters.
    aic, bic : float
        Akaike's and the Bayesian information criteria.
    converged : bool
        Whether EM met its tolerance within ``max_iter`` iterations.
    iterations : int
        EM iterations run.
    max_change : float
        Largest internal parameter change in the last EM iteration.
    seconds : float
        Wall-clock time of the fit, abilities included.
    prior : Prior or None
        The priors on the item parameters (None: maximum likelihood).
    categories : tuple of float
        The score of each response category (``(0.0, 1.0)`` for binary models).
    n_quadrature : int
        Quadrature nodes per model in the E-step.
    quadrature : str
        "adaptive" (nodes centred on each model's posterior) or "grid" (one shared grid).
    backend : str
        "hierlab" or "girth".
    se_method : str
        How the standard errors were computed (see :func:`fit_irt`); "none" for girth.
    latent_sd : float
        SD of the abilities: estimated for the Rasch model, 1 otherwise.
    responses : ResponseMatrix or None
        The validated responses the model was fitted to (used by the diagnostics).
    covariance : ItemCovariance or None
        The covariance of all item parameters (see :meth:`vcov`).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses, "2pl")
    >>> fit.irt_model, fit.n_models, fit.n_items
    ('2pl', 200, 10)
    >>> fit.to_polars().columns[:3]
    ['item', 'a', 'b']
    """

    irt_model: str
    items: pl.DataFrame
    abilities: pl.DataFrame
    loglik: float
    n_parameters: int
    aic: float
    bic: float
    converged: bool
    iterations: int
    max_change: float
    seconds: float
    prior: Prior | None
    categories: tuple[float, ...]
    n_quadrature: int
    quadrature: str = "grid"
    backend: str = "hierlab"
    se_method: str = "louis"
    latent_sd: float = 1.0
    responses: ResponseMatrix | None = field(default=None, repr=False)
    covariance: ItemCovariance | None = field(default=None, repr=False)

    @property
    def n_models(self) -> int:
        """Return the number of models (rows of the responses)."""
        return self.abilities.height

    @property
    def n_items(self) -> int:
        """Return the number of items."""
        return self.items.height

    def category_probabilities(self, theta: Any) -> np.ndarray:
        """Return the probability of every response category of every item at each ability.

        Parameters
        ----------
        theta : array of float, shape (n,)
            Abilities.

        Returns
        -------
        numpy.ndarray
            Shape (n, n_items, K), abilities first as in a response matrix; K = 2 for
            binary models (``[..., 1]`` is P(correct)).

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> p = fit.category_probabilities([-1.0, 0.0, 1.0])
        >>> p.shape, bool(np.allclose(p.sum(axis=2), 1.0))
        ((3, 10, 2), True)
        """
        theta = as_float_array(theta, "`theta`", ndim=1)
        params = item_parameters(self.items)
        if "thresholds" in params:
            return grm_category_probabilities(theta, params["a"], params["thresholds"])
        right = response_probability(theta, params["a"], params["b"], params["c"])
        return np.stack([1.0 - right, right], axis=2)

    def item_information(self, theta: Any) -> np.ndarray:
        """Return the Fisher information of every item at each ability.

        Parameters
        ----------
        theta : array of float, shape (n,)
            Abilities.

        Returns
        -------
        numpy.ndarray
            Shape (n, n_items); sum over axis 1 for the test information.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> fit.item_information([0.0]).shape
        (1, 10)
        """
        theta = as_float_array(theta, "`theta`", ndim=1)
        params = item_parameters(self.items)
        if "thresholds" in params:
            return grm_information(theta, params["a"], params["thresholds"])
        return binary_item_information(theta, params["a"], params["b"], params["c"])

    def vcov(self, items: Any = None, *, scale: str = "difficulty") -> pl.DataFrame:
        """Return the covariance matrix of the item parameters (full information).

        Parameters
        ----------
        items : str or sequence of str, optional
            The items whose parameters to include (default every item; fits with more
            than 3,000 parameters need a selection, as the full matrix would not fit in a
            table).
        scale : {"difficulty", "intercept"}, default "difficulty"
            Difficulties ``b`` or intercepts ``d`` with the discriminations (and guessing).

        Returns
        -------
        polars.DataFrame
            ``parameter`` (``"item:a"`` ...) and one column per parameter.

        Raises
        ------
        InvalidValueError
            Unknown items, too many parameters, or a fit without standard errors.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(300, 5, seed=0).responses)
        >>> v = fit.vcov(["item_0", "item_1"])
        >>> v.shape, bool(v["item_0:b"][1] > 0)
        ((4, 5), True)
        """
        if self.covariance is None:
            raise InvalidValueError(
                f"This fit has no standard errors (backend={self.backend!r}); refit with "
                "backend='hierlab'."
            )
        return self.covariance.matrix(items, scale=scale)

    def item_intervals(self, confidence: float = 0.95) -> pl.DataFrame:
        """Return intervals for the item parameters, on the scale where they are near normal.

        Discriminations under the lognormal prior get intervals on the log scale
        (``a exp(+-z se / a)``), guessing parameters on the logit scale; difficulties,
        thresholds, intercepts and other discriminations Wald intervals ``estimate +- z se``.
        With few models a discrimination's posterior is skewed, and a symmetric interval
        around it over-covers on one side and under-covers on the other.

        Parameters
        ----------
        confidence : float, default 0.95
            Coverage of the intervals, in (0, 1).

        Returns
        -------
        polars.DataFrame
            One row per item and parameter: ``item, parameter, estimate, se, ci_low,
            ci_high, interval`` ("wald", "log" or "logit").

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(300, 5, seed=0).responses)
        >>> ci = fit.item_intervals()
        >>> ci.columns, ci.filter(pl.col("parameter") == "a")["interval"][0]
        (['item', 'parameter', 'estimate', 'se', 'ci_low', 'ci_high', 'interval'], 'log')
        """
        if isinstance(confidence, bool) or not isinstance(confidence, numbers.Real):
            raise InputTypeError(f"`confidence` must be a number, got {type(confidence).__name__}.")
        if not 0 < confidence < 1:
            raise InvalidValueError(f"`confidence` must be in (0, 1), got {confidence!r}.")
        z = float(norm.ppf(0.5 + confidence / 2))
        names = [
            c
            for c in self.items.columns
            if f"{c}_se" in self.items.columns and not c.startswith("d")
        ]
        log_a = (
            self.prior is not None
            and self.prior.discrimination == "lognormal"
            and self.irt_model != "rasch"
        )
        parts = []
        for name in names:
            est = self.items[name].to_numpy()
            se = self.items[f"{name}_se"].to_numpy()
            with np.errstate(divide="ignore", invalid="ignore"):
                if name == "a" and log_a:
                    spread = np.exp(z * se / est)
                    low, high, kind = est / spread, est * spread, "log"
                elif name == "c":
                    logit = np.log(est / (1 - est))
                    half = z * se / (est * (1 - est))
                    low = 1 / (1 + np.exp(-(logit - half)))
                    high = 1 / (1 + np.exp(-(logit + half)))
                    kind = "logit"
                else:
                    low, high, kind = est - z * se, est + z * se, "wald"
            parts.append(
                pl.DataFrame(
                    {
                        "item": self.items["item"],
                        "parameter": [name] * len(est),
                        "estimate": est,
                        "se": se,
                        "ci_low": low,
                        "ci_high": high,
                        "interval": [kind] * len(est),
                    }
                )
            )
        return pl.concat(parts)

    def ability_intervals(
        self, confidence: float = 0.95, *, item_uncertainty: bool = True
    ) -> pl.DataFrame:
        """Return intervals for the abilities, optionally widened by item calibration error.

        Parameters
        ----------
        confidence : float, default 0.95
            Coverage of the intervals.
        item_uncertainty : bool, default True
            Add the variance that the item parameters' estimation error induces in each
            ability (delta method with the full item covariance), including the error of
            the common location and scale fixed by the calibration sample.

        Returns
        -------
        polars.DataFrame
            ``model, theta, theta_se`` (total), ``theta_ci_low, theta_ci_high`` and
            ``posterior_se`` (the posterior SD with the items taken as known).

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(40, 200, seed=0).responses)
        >>> ci = fit.ability_intervals()
        >>> bool((ci["theta_se"] >= ci["posterior_se"]).all())
        True
        """
        return ability_intervals(self, confidence=confidence, item_uncertainty=item_uncertainty)

    def plausible_values(
        self, n_values: int = 5, *, item_uncertainty: bool = True, seed: Any = 0
    ) -> pl.DataFrame:
        """Return plausible values: draws of each model's ability from its posterior.

        Parameters
        ----------
        n_values : int, default 5
            Draws per model.
        item_uncertainty : bool, default True
            Also draw the items' estimation error (shared by all models within a draw).
        seed : int or numpy.random.Generator, default 0
            Randomness; the same seed gives the same draws.

        Returns
        -------
        polars.DataFrame
            ``model, draw, theta`` (long form, one row per model and draw).

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(40, 100, seed=0).responses)
        >>> fit.plausible_values(3).shape
        (120, 3)
        """
        return plausible_values(
            self, n_values=n_values, item_uncertainty=item_uncertainty, seed=seed
        )

    def summary(self) -> Summary:
        """Summarise the fit: estimation, sizes, fit statistics, priors and the estimates.

        Returns
        -------
        Summary
            Facts (model, estimation, sizes, log-likelihood, AIC, BIC, convergence,
            priors), a description of the item parameters and the abilities table.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses)
        >>> fit.summary().title
        '2PL by marginal posterior mode (EM, hierlab)'
        """
        estimation = "posterior mode" if self.prior is not None else "maximum likelihood"
        facts: list[tuple[str, Any]] = [
            ("IRT model", self.irt_model.upper()),
            ("estimation", f"marginal {estimation}, EM ({self.backend})"),
            ("models", self.n_models),
            ("items", self.n_items),
            ("quadrature", f"{self.quadrature}, {self.n_quadrature} nodes"),
            ("log-likelihood", f"{self.loglik:,.2f}"),
            ("parameters", self.n_parameters),
            ("AIC", f"{self.aic:,.1f}"),
            ("BIC", f"{self.bic:,.1f}"),
            ("converged", self.converged),
            ("iterations", self.iterations),
            ("last largest change", self.max_change),
            ("seconds", round(self.seconds, 2)),
        ]
        if self.prior is not None:
            facts.append(("priors", self.prior.describe(self.irt_model)))
        if self.irt_model == "rasch":
            facts.append(("latent SD", self.latent_sd))
        facts.append(("standard errors", self.se_method))
        parameters = [
            c
            for c in self.items.columns
            if c not in ("item", "n", "mean", "flag") and not c.startswith("d")
        ]
        described = (
            self.items.select(parameters)
            .describe()
            .filter(pl.col("statistic").is_in(["mean", "std", "min", "max"]))
        )
        abilities = self.abilities.sort("theta", descending=True).select(
            "model", "theta", "theta_se", "n", "mean"
        )
        notes = []
        if not self.converged:
            notes.append(
                f"EM stopped after {self.iterations} iterations before converging; raise max_iter."
            )
        return Summary(
            f"{self.irt_model.upper()} by marginal {estimation} (EM, {self.backend})",
            facts=facts,
            tables={"item parameters": described, "abilities (EAP)": abilities},
            notes=notes,
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the item parameters, one row per item (the abilities are in ``abilities``).

        Returns
        -------
        polars.DataFrame
            The ``items`` table.

        Examples
        --------
        >>> from hierlab.irt import fit_irt, simulate_responses
        >>> fit = fit_irt(simulate_responses(200, 10, seed=0).responses, "rasch")
        >>> fit.to_polars().columns[:3]
        ['item', 'b', 'b_se']
        """
        return self.items

    def __repr__(self) -> str:
        return (
            f"IRTFit(irt_model={self.irt_model!r}, models={self.n_models}, "
            f"items={self.n_items}, loglik={self.loglik:.2f}, converged={self.converged})"
        )


def as_irt_fit(value: Any, what: str = "fit") -> IRTFit:
    """Check that ``value`` is an :class:`IRTFit`.

    Anything else raises an :class:`~hierlab.errors.InputTypeError` naming ``what`` and
    :func:`fit_irt`.

    Parameters
    ----------
    value : Any
        The argument a function received as its fit.
    what : str, default "fit"
        The argument's name, for the message.

    Returns
    -------
    IRTFit
        ``value`` itself.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> as_irt_fit(fit) is fit
    True
    """
    if isinstance(value, IRTFit):
        return value
    raise InputTypeError(
        f"`{what}` must be an IRTFit (the result of hierlab.irt.fit_irt), "
        f"got {type(value).__name__}."
    )


# =========================================================================== fitting

BINARY_MODELS = ("rasch", "1pl", "2pl", "3pl")
SE_METHODS = ("louis", "oakes", "crossprod", "sandwich")


def _count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise InvalidValueError(f"`{name}` must be at least {minimum}, got {value}.")
    return int(value)


def _check_options(
    irt_model: Any,
    prior: Any,
    n_quadrature: Any,
    quadrature: Any,
    se_method: Any,
    max_iter: Any,
    tol: Any,
    backend: Any,
) -> Prior | None:
    if not isinstance(irt_model, str) or irt_model not in IRT_MODELS:
        raise InvalidValueError(
            f"Unknown irt_model {irt_model!r}; choose one of {', '.join(IRT_MODELS)}."
        )
    if isinstance(prior, str):
        if prior != DEFAULT:
            raise InputTypeError(
                f"`prior` must be a hierlab.irt.Prior, None or 'default', got the text {prior!r}."
            )
        prior = Prior()
    if prior is not None and not isinstance(prior, Prior):
        raise InputTypeError(
            f"`prior` must be a hierlab.irt.Prior, None or 'default', got {type(prior).__name__}."
        )
    if n_quadrature is not None:
        _count(n_quadrature, "n_quadrature", 5)
    for name, value, allowed in (
        ("quadrature", quadrature, ("auto", "adaptive", "grid")),
        ("se_method", se_method, SE_METHODS),
        ("backend", backend, ("hierlab", "girth")),
    ):
        if not isinstance(value, str) or value not in allowed:
            raise InvalidValueError(
                f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}."
            )
    _count(max_iter, "max_iter", 1)
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real) or not 0 < tol < np.inf:
        raise InvalidValueError(f"`tol` must be a positive number, got {tol!r}.")
    return prior


def _extreme_items(m: ResponseMatrix) -> np.ndarray:
    """Label items whose observed responses all fall in one category (else "")."""
    values = m.values
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    top = m.n_categories - 1
    labels = np.full(m.n_items, "", dtype=object)
    same = lo == hi
    if m.n_categories == 2:
        labels[same & (lo == 1)] = "all correct"
        labels[same & (lo == 0)] = "all wrong"
    else:
        labels[same & (lo == top)] = "all top category"
        labels[same & (lo == 0)] = "all bottom category"
        labels[same & (lo > 0) & (lo < top)] = "one category"
    return labels


def fit_irt(
    responses: Any,
    irt_model: Literal["rasch", "1pl", "2pl", "3pl", "grm"] = "2pl",
    *,
    prior: Prior | str | None = DEFAULT,
    n_quadrature: int | None = None,
    quadrature: Literal["auto", "adaptive", "grid"] = "auto",
    se_method: Literal["louis", "oakes", "crossprod", "sandwich"] = "louis",
    max_iter: int = 500,
    tol: float = 1e-4,
    backend: Literal["hierlab", "girth"] = "hierlab",
) -> IRTFit:
    """Fit an item response model to models x items responses.

    **The latent scale** is fixed by the abilities: ``theta ~ N(0, 1)``, so that in the
    calibration sample the models' posterior means average 0 and their posterior second
    moments average 1 (the property of marginal maximum likelihood). The priors on the
    item parameters never move that scale: their pull along the two directions that shift
    every difficulty or stretch every discrimination is removed, so they only shrink items
    towards each other (intercepts towards the items' centre, discriminations towards
    their geometric mean). This matters for evaluations of AI models, which have few
    models and many items: a fixed N(0, 4^2) prior on every intercept, summed over 3,000
    items, outweighs the N(0, 1) assumption for 20 models and shifts every difficulty by
    the prior instead of the data. Differences between models, and item difficulties,
    are thus on the scale of the calibration sample (its mean is 0, its SD 1).

    **Standard errors** come from the full observed information of all item parameters
    (Louis' formula with every cross-item term; :class:`~hierlab.irt.ItemCovariance`),
    so they include the uncertainty of the common location and scale, known to about
    ``1 / sqrt(n_models)``; ``fit.vcov()`` returns the covariance matrix.

    **Rasch** is the model R's mirt calls Rasch: a = 1 and ``theta ~ N(0, sigma^2)`` with
    sigma estimated (``fit.latent_sd``); difficulties and abilities are on the logit
    scale. The 1PL is the same model with the abilities standardised (a common a =
    sigma).

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models are rows, items are columns, missing is NaN (anything
        :func:`~hierlab.irt.as_response_matrix` accepts).
    irt_model : {"rasch", "1pl", "2pl", "3pl", "grm"}, default "2pl"
        Rasch (a = 1, latent SD estimated), 1PL (one common a), 2PL, 3PL (with
        guessing) or the graded response model for ordinal or partial-credit scores.
    prior : Prior, None or "default", default "default"
        Weak priors on the item parameters (see :class:`~hierlab.irt.Prior`), relative
        to the latent scale; None for plain maximum likelihood. Items that every model
        answers right (or wrong) are estimated and flagged (column ``flag``) under
        priors; under ``prior=None`` they have no finite estimate and are set aside with
        a warning that names them (their parameters are NaN).
    n_quadrature : int, optional
        Shared-grid points over [-6, 6] (default: see ``quadrature``); at least 5.
    quadrature : {"auto", "adaptive", "grid"}, default "auto"
        "adaptive" integrates each model's posterior on Gauss-Hermite nodes centred on
        it (21 nodes; 11 when every model answered at least 300 items, 7 from 3,000
        items, where the posteriors are normal to high accuracy): exact for the
        narrow posteriors of long tests taken by few models. "grid" uses one shared grid
        (fast for many models). "auto" is adaptive for at most 100 models when models x
        items x nodes <= 1.5e7, else a grid of 61 points (<= 200 items), 241 points
        (> 2,000 items and <= 200 models) or 121 points.
    se_method : {"louis", "oakes", "crossprod", "sandwich"}, default "louis"
        "louis": the full observed information by Louis' formula (exact; dense, or by the
        Woodbury identity for many items; the default, as it works for every shape).
        "oakes": the same information by Oakes' identity (numerical derivatives of the
        EM gradient; an independent check, at most 3,000 parameters, as in PyPI's mirt).
        "crossprod": the outer product of the models' marginal scores (needs more
        models than parameters). "sandwich": the robust combination of the two.
    max_iter : int, default 500
        EM iterations at most (at least 1).
    tol : float, default 1e-4
        Convergence threshold on the largest change of any internal parameter (> 0).
    backend : {"hierlab", "girth"}, default "hierlab"
        "girth" calls girth's ``onepl_mml``/``twopl_mml`` for the item parameters (no
        standard errors, no priors) and scores abilities with hierlab.

    Returns
    -------
    IRTFit

    Raises
    ------
    InputTypeError
        ``responses`` is not a table or an array of numbers, ``prior`` is not a Prior,
        or an option has the wrong type.
    InvalidValueError
        An unknown ``irt_model``, ``quadrature``, ``se_method`` or ``backend``, graded
        responses for a binary model, or an option out of range.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(500, 20, irt_model="2pl", seed=0)
    >>> fit = fit_irt(sim.responses, "2pl")
    >>> fit.converged, fit.items.columns[:5]
    (True, ['item', 'a', 'b', 'a_se', 'b_se'])
    """
    prior = _check_options(
        irt_model, prior, n_quadrature, quadrature, se_method, max_iter, tol, backend
    )
    start_time = time.perf_counter()
    m = as_response_matrix(responses, binary=None if irt_model == "grm" else True)
    if irt_model != "grm" and m.n_categories != 2:
        raise InvalidValueError(
            f"irt_model={irt_model!r} needs binary responses, but these have "
            f"{m.n_categories} score categories; use irt_model='grm' for graded scores."
        )
    if irt_model == "grm" and m.n_categories < 2:
        raise InvalidValueError("The graded response model needs at least two score categories.")
    if backend == "girth":
        return _fit_girth(m, irt_model, n_quadrature, start_time)
    flags = _extreme_items(m)
    keep = np.ones(m.n_items, dtype=bool)
    if prior is None and (flags != "").any():
        keep = flags == ""
        names = np.asarray(m.items, dtype=object)[~keep].tolist()
        if not keep.any():
            raise InvalidValueError(
                "Every item has the same response from every model; maximum likelihood has "
                "nothing to estimate. Use the default prior."
            )
        warnings.warn(
            f"{len(names)} item(s) have the same response from every model and no finite "
            f"maximum-likelihood estimate; they are set aside (NaN parameters, column "
            f"'flag'): {format_items(names)}. Fit with the default prior to estimate them.",
            HierlabWarning,
            stacklevel=2,
        )
    values = m.values[:, keep]
    n_models, n_items = values.shape
    observed = ~np.isnan(values)
    per_model = observed.sum(axis=1)
    shortest = int(per_model.min())
    n_adaptive = (
        engine.ADAPTIVE_NODES_VERY_LONG
        if shortest >= engine.VERY_LONG_TEST
        else engine.ADAPTIVE_NODES_LONG
        if shortest >= engine.LONG_TEST
        else engine.ADAPTIVE_NODES
    )
    if n_quadrature is None:
        fine = n_items > 2000 and n_models <= engine.FINE_GRID_MAX_MODELS
        n_quadrature = 61 if n_items <= 200 else (241 if fine else 121)
    adaptive = quadrature == "adaptive" or (
        quadrature == "auto"
        and n_models <= engine.ADAPTIVE_MAX_MODELS
        and n_models * n_items * n_adaptive <= engine.ADAPTIVE_MAX_CELLS
    )
    kernel = make_kernel(irt_model, m.n_categories, prior)
    data = engine.make_data(values, m.n_categories)
    quad = engine.Quadrature(n_models, adaptive, n_quadrature, n_adaptive)
    n_obs = observed.sum(axis=0)
    if irt_model == "grm":
        cum = np.stack(
            [(values >= k).sum(axis=0) / n_obs for k in range(1, m.n_categories)], axis=1
        )
        params = kernel.start(cum)
    else:
        params = kernel.start(np.nansum(values, axis=0) / n_obs)
    kept_names = tuple(np.asarray(m.items, dtype=object)[keep].tolist())
    out = engine.run_em(
        kernel, params, data, quad, max_iter=max_iter, tol=tol, item_names=kept_names
    )
    cov = item_covariance(
        kernel, out.params, data, out.est, kept_names, se_method=se_method, quad=quad
    )
    return _assemble(
        m,
        kernel,
        out.params,
        cov,
        out.est.loglik,
        keep=keep,
        flags=flags,
        prior=prior,
        n_quadrature=quad.n_nodes,
        quadrature="adaptive" if adaptive else "grid",
        converged=out.converged,
        iterations=out.iterations,
        max_change=out.max_change,
        start_time=start_time,
        backend="hierlab",
        se_method=se_method,
        theta_start=out.est.m1,
        irt_model=irt_model,
    )


def _n_free(irt_model: str, n_items: int, n_categories: int) -> int:
    per_item = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3, "grm": n_categories}[irt_model]
    return per_item * n_items + (1 if irt_model in ("1pl", "rasch") else 0)


def _assemble(
    m: ResponseMatrix,
    kernel: Any,
    params: np.ndarray,
    cov: ItemCovariance | None,
    loglik: float,
    *,
    keep: np.ndarray,
    flags: np.ndarray,
    prior: Prior | None,
    n_quadrature: int,
    quadrature: str,
    converged: bool,
    iterations: int,
    max_change: float,
    start_time: float,
    backend: str,
    se_method: str,
    irt_model: str,
    theta_start: np.ndarray | None = None,
) -> IRTFit:
    """Build the items table, score the abilities, then construct the fit once."""
    public = kernel.to_public(params)
    names, _ = kernel.jacobian(params)
    j_all = m.n_items
    rasch = irt_model == "rasch"
    sigma = float(public["a"][0]) if rasch else 1.0

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(j_all, np.nan)
        out[keep] = values
        return out

    if cov is not None:
        _, pub_cov = cov.public_blocks()
        ses = {n: full(np.sqrt(np.maximum(pub_cov[:, i, i], 0))) for i, n in enumerate(names)}
    else:
        ses = {n: np.full(j_all, np.nan) for n in names}
    if rasch:
        # a = 1 and theta ~ N(0, sigma^2): the Rasch difficulty is -d (the 1PL's a b)
        table_names = ["b", "d"]
        values = {"b": full(-public["d"]), "d": full(public["d"])}
        ses = {"b": ses["d"], "d": ses["d"]}
    else:
        table_names = [n for n in names if n != "d" and not (n.startswith("d") and n[1:].isdigit())]
        table_names += [n for n in names if n not in table_names]
        values = {n: full(public[n]) for n in names}
    observed = ~np.isnan(m.values)
    n_obs = observed.sum(axis=0)
    columns: dict[str, Any] = {"item": list(m.items)}
    main = [n for n in table_names if not n.startswith("d")]
    for name in main:
        columns[name] = values[name]
    for name in main:
        columns[f"{name}_se"] = ses[name]
    for name in table_names:
        if name.startswith("d"):
            columns[name] = values[name]
            columns[f"{name}_se"] = ses[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        columns["n"] = n_obs
        columns["mean"] = np.nansum(m.scores(), axis=0) / n_obs
    columns["flag"] = [f or None for f in flags]
    items = pl.DataFrame(columns, schema_overrides={"flag": pl.String})
    start = None if theta_start is None else theta_start * sigma
    scored = items.filter(pl.Series(keep))
    sub = ResponseMatrix(m.values[:, keep], m.models, tuple(scored["item"]), m.categories)
    abilities = estimate_abilities(sub, scored, start=start, latent_sd=sigma)
    n_params = _n_free(irt_model, int(keep.sum()), m.n_categories)
    return IRTFit(
        irt_model=irt_model,
        items=items,
        abilities=abilities,
        loglik=loglik,
        n_parameters=n_params,
        aic=-2 * loglik + 2 * n_params,
        bic=-2 * loglik + np.log(m.n_models) * n_params,
        converged=converged,
        iterations=iterations,
        max_change=max_change,
        seconds=time.perf_counter() - start_time,
        prior=prior,
        categories=m.categories,
        n_quadrature=n_quadrature,
        quadrature=quadrature,
        backend=backend,
        se_method=se_method if cov is not None else "none",
        latent_sd=sigma,
        responses=m,
        covariance=cov,
    )


def _fit_girth(
    m: ResponseMatrix, irt_model: str, n_quadrature: int | None, start_time: float
) -> IRTFit:
    import girth

    if irt_model not in ("rasch", "1pl", "2pl"):
        raise InvalidValueError(
            f"backend='girth' supports 'rasch', '1pl' and '2pl', not {irt_model!r}."
        )
    data = np.where(~np.isnan(m.values), m.values, girth.INVALID_RESPONSE).T.astype(int)
    options = {"quadrature_n": n_quadrature or 41}
    if irt_model == "2pl":
        out = girth.twopl_mml(data, options=options)
    else:  # girth's 1PL; the Rasch model is the same fit read with sigma = a
        out = girth.onepl_mml(data, options=options)
    a = np.broadcast_to(np.asarray(out["Discrimination"], dtype=float), (m.n_items,)).copy()
    b = np.asarray(out["Difficulty"], dtype=float)
    kernel = make_kernel(irt_model, 2, None)
    params = np.column_stack([a, -a * b])
    quad = engine.Quadrature(m.n_models, False, 61, engine.ADAPTIVE_NODES)
    est = engine.estep(kernel, params, engine.make_data(m.values, 2), quad)
    return _assemble(
        m,
        kernel,
        params,
        None,
        est.loglik,
        keep=np.ones(m.n_items, dtype=bool),
        flags=np.full(m.n_items, "", dtype=object),
        prior=None,
        n_quadrature=options["quadrature_n"],
        quadrature="grid",
        converged=True,
        iterations=0,
        max_change=0.0,
        start_time=start_time,
        backend="girth",
        se_method="none",
        irt_model=irt_model,
    )
