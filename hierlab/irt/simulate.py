"""Simulated responses with known parameters, for recovery checks and examples."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hierlab.errors import InvalidValueError
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.models import grm_category_probabilities, response_probability

__all__ = ["Simulation", "simulate_responses"]


@dataclass(frozen=True)
class Simulation:
    """Responses and the true parameters that produced them.

    Attributes
    ----------
    responses : ResponseMatrix
    theta : (N,) true abilities
    a, b : (J,) true discriminations and difficulties (``b`` is (J, K-1) for the GRM)
    c : (J,) true guessing parameters (zeros unless 3PL)
    """

    responses: ResponseMatrix
    theta: np.ndarray
    a: np.ndarray
    b: np.ndarray
    c: np.ndarray


def simulate_responses(
    n_respondents: int,
    n_items: int,
    model: str = "2pl",
    missing: float = 0.0,
    n_categories: int = 3,
    seed: int | np.random.Generator = 0,
) -> Simulation:
    """Draw abilities ~ N(0, 1), item parameters, and responses under an IRT model.

    Discriminations are lognormal(0, 0.3) (1 for Rasch; one common value for 1PL),
    difficulties N(0, 1), guessing Uniform(0.1, 0.3) for the 3PL, GRM thresholds sorted
    normals. ``missing`` deletes that share of cells completely at random.

    Examples
    --------
    >>> sim = simulate_responses(100, 10, missing=0.3, seed=0)
    >>> sim.responses.shape, round(float(np.isnan(sim.responses.values).mean()), 1)
    ((100, 10), 0.3)
    """
    if not 0 <= missing < 1:
        raise InvalidValueError(f"missing must be in [0, 1), got {missing}.")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    theta = rng.normal(size=n_respondents)
    a = np.exp(rng.normal(0.0, 0.3, n_items))
    if model == "rasch":
        a = np.ones(n_items)
    elif model == "1pl":
        a = np.full(n_items, float(a[0]))
    c = rng.uniform(0.1, 0.3, n_items) if model == "3pl" else np.zeros(n_items)
    if model == "grm":
        b = np.sort(rng.normal(size=(n_items, n_categories - 1)), axis=1)
        probs = grm_category_probabilities(theta, a, b)
        u = rng.random((n_respondents, n_items, 1))
        values = (u > np.cumsum(probs, axis=2)[..., :-1]).sum(axis=2).astype(float)
        categories = tuple(float(k) for k in range(n_categories))
    else:
        b = rng.normal(size=n_items)
        values = (
            rng.random((n_respondents, n_items)) < response_probability(theta, a, b, c)
        ).astype(float)
        categories = (0.0, 1.0)
    if missing:
        values[rng.random(values.shape) < missing] = np.nan
    responses = ResponseMatrix(
        values=values,
        respondents=tuple(str(i) for i in range(n_respondents)),
        items=tuple(f"item_{j}" for j in range(n_items)),
        categories=categories,
    )
    return Simulation(responses=responses, theta=theta, a=a, b=b, c=c)
