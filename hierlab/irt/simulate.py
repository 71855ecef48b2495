"""Simulated responses with known parameters, for recovery checks and examples."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.models import (
    IRT_MODELS,
    gpcm_category_probabilities,
    grm_category_probabilities,
    response_probability,
)
from hierlab.results import Result, Summary

__all__ = ["Simulation", "simulate_responses"]


@dataclass(frozen=True, eq=False)
class Simulation(Result):
    """Responses and the true parameters that produced them.

    Attributes
    ----------
    irt_model : str
        The IRT model that generated the responses.
    responses : ResponseMatrix
        The simulated responses (models ``"0", "1", ...``; items ``"item_0", ...``).
    theta : numpy.ndarray
        True abilities, shape (n_models,).
    a : numpy.ndarray
        True discriminations, shape (n_items,).
    b : numpy.ndarray
        True difficulties, shape (n_items,); the GRM thresholds or the GPCM/PCM step
        difficulties, shape (n_items, K - 1).
    c : numpy.ndarray
        True guessing parameters, shape (n_items,) (zeros unless 3PL or 4PL).
    u : numpy.ndarray
        True upper asymptotes, shape (n_items,) (ones unless 4PL).

    Examples
    --------
    >>> sim = simulate_responses(50, 4, seed=0)
    >>> sim.to_polars().columns
    ['item', 'a', 'b', 'c']
    """

    irt_model: str
    responses: ResponseMatrix
    theta: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    u: np.ndarray | None = None

    def summary(self) -> Summary:
        """Summarise the simulation: sizes, missing share and the true parameters.

        Returns
        -------
        Summary

        Examples
        --------
        >>> simulate_responses(50, 4, seed=0).summary().title
        'Simulated 2PL responses'
        """
        missing = float(np.isnan(self.responses.values).mean())
        return Summary(
            f"Simulated {self.irt_model.upper()} responses",
            facts=[
                ("models", self.responses.n_models),
                ("items", self.responses.n_items),
                ("categories", self.responses.n_categories),
                ("missing share", round(missing, 4)),
                ("true theta mean", float(self.theta.mean())),
                ("true theta SD", float(self.theta.std())),
            ],
            tables={"true item parameters": self.to_polars()},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the true item parameters, one row per item.

        Returns
        -------
        polars.DataFrame
            ``item, a, b, c`` (4PL: ``item, a, b, c, u``; GRM: ``item, a, b1, ..., b{K-1}``; GPCM and PCM:
            ``item, a, s1, ..., s{K-1}``, the step difficulties, so that the table scores
            with :func:`~hierlab.irt.score`).

        Examples
        --------
        >>> simulate_responses(50, 4, irt_model="grm", n_categories=3, seed=0).to_polars().columns
        ['item', 'a', 'b1', 'b2']
        """
        columns: dict[str, Any] = {"item": list(self.responses.items), "a": self.a}
        if self.b.ndim == 2:
            prefix = "s" if self.irt_model in ("gpcm", "pcm") else "b"
            columns |= {f"{prefix}{k + 1}": self.b[:, k] for k in range(self.b.shape[1])}
        else:
            columns |= {"b": self.b, "c": self.c}
            if self.irt_model == "4pl" and self.u is not None:
                columns["u"] = self.u
        return pl.DataFrame(columns)


def _count(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise InvalidValueError(f"`{name}` must be at least {minimum}, got {value}.")
    return int(value)


def simulate_responses(
    n_models: int,
    n_items: int,
    *,
    irt_model: str = "2pl",
    missing: float = 0.0,
    n_categories: int = 3,
    seed: int | np.random.Generator = 0,
) -> Simulation:
    """Draw abilities ~ N(0, 1), item parameters, and responses under an IRT model.

    Discriminations are lognormal(0, 0.3) (1 for Rasch; one common value for the 1PL and
    PCM), difficulties N(0, 1), guessing Uniform(0.1, 0.3) for the 3PL and 4PL, upper
    asymptotes for the 4PL 1 for 30% of the items and Uniform(0.8, 1) for the others,
    GRM thresholds and GPCM/PCM step difficulties sorted normals. ``missing`` deletes that
    share of cells completely at random.

    Parameters
    ----------
    n_models : int
        Number of models (rows).
    n_items : int
        Number of items (columns).
    irt_model : {"rasch", "1pl", "2pl", "3pl", "4pl", "grm", "gpcm", "pcm"}, default "2pl"
        The model that generates the responses.
    missing : float, default 0.0
        Share of cells deleted at random, in [0, 1).
    n_categories : int, default 3
        Score categories of the GRM, GPCM and PCM (ignored by binary models).
    seed : int or numpy.random.Generator, default 0
        Randomness; the same seed gives the same responses.

    Returns
    -------
    Simulation

    Examples
    --------
    >>> sim = simulate_responses(100, 10, missing=0.3, seed=0)
    >>> sim.responses.shape, round(float(np.isnan(sim.responses.values).mean()), 1)
    ((100, 10), 0.3)
    """
    n_models = _count(n_models, "n_models", 1)
    n_items = _count(n_items, "n_items", 1)
    n_categories = _count(n_categories, "n_categories", 2)
    if irt_model not in IRT_MODELS:
        raise InvalidValueError(
            f"Unknown irt_model {irt_model!r}; choose one of {', '.join(IRT_MODELS)}."
        )
    if not isinstance(missing, numbers.Real) or not 0 <= missing < 1:
        raise InvalidValueError(f"missing must be a share in [0, 1), got {missing!r}.")
    if not isinstance(seed, (numbers.Integral, np.random.Generator)):
        raise InputTypeError(
            f"`seed` must be an int or a numpy.random.Generator, got {type(seed).__name__}."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    theta = rng.normal(size=n_models)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    if irt_model == "rasch":
        a = np.ones(n_items)
    elif irt_model in ("1pl", "pcm"):
        a = np.full(n_items, float(a[0]))
    c = rng.uniform(0.1, 0.3, n_items) if irt_model in ("3pl", "4pl") else np.zeros(n_items)
    u = np.ones(n_items)
    if irt_model == "4pl":  # 30% clean items, the others missed by some strong models
        u = np.where(rng.random(n_items) < 0.3, 1.0, rng.uniform(0.8, 1.0, n_items))
    if irt_model in ("grm", "gpcm", "pcm"):
        b = np.sort(rng.normal(size=(n_items, n_categories - 1)), axis=1)
        if irt_model == "grm":
            probs = grm_category_probabilities(theta, a, b)
        else:
            probs = gpcm_category_probabilities(theta, a, b)
        u = rng.random((n_models, n_items, 1))
        values = (u > np.cumsum(probs, axis=2)[..., :-1]).sum(axis=2).astype(float)
        categories = tuple(float(k) for k in range(n_categories))
    else:
        b = rng.normal(size=n_items)
        p = response_probability(theta, a, b, c, u=u)
        values = (rng.random((n_models, n_items)) < p).astype(float)
        categories = (0.0, 1.0)
    if missing:
        values[rng.random(values.shape) < missing] = np.nan
    responses = ResponseMatrix(
        values=values,
        models=tuple(str(i) for i in range(n_models)),
        items=tuple(f"item_{j}" for j in range(n_items)),
        categories=categories,
    )
    return Simulation(irt_model=irt_model, responses=responses, theta=theta, a=a, b=b, c=c, u=u)
