"""Helpers shared by the diagnostics of a fitted IRT model (internal to ``hierlab.irt``).

They read a fit only through its public interface (``items``, ``abilities``,
``responses``, ``irt_model``, ``category_probabilities``), check the options the
diagnostics share, and draw responses from a fitted model for parametric bootstraps.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.fit import IRTFit, as_irt_fit

#: Free item parameters per item of each IRT model (the 1PL's common slope is shared).
ITEM_PARAMETERS = {"rasch": 1, "1pl": 1, "2pl": 2, "3pl": 3, "4pl": 4}

#: Graded models: free parameters per item besides the K - 1 intercepts (the PCM's common
#: slope is shared, as the 1PL's).
GRADED_PARAMETERS = {"grm": 1, "gpcm": 1, "pcm": 0}

#: Binary IRT models whose response function is ``c + (d - c) sigmoid(a theta + intercept)``.
BINARY_MODELS = ("rasch", "1pl", "2pl", "3pl", "4pl")

GRID = np.linspace(-6.0, 6.0, 81)


def normal_grid() -> tuple[np.ndarray, np.ndarray]:
    """Return an ability grid over [-6, 6] and its N(0, 1) probability weights.

    Examples
    --------
    >>> z, w = normal_grid()
    >>> round(float(w.sum()), 6), round(float((w * z**2).sum()), 4)
    (1.0, 1.0)
    """
    w = np.exp(-0.5 * GRID**2)
    return GRID, w / w.sum()


def fitted(fit: Any, what: str = "fit") -> tuple[IRTFit, ResponseMatrix]:
    """Return the fit and its responses, or raise naming what is wrong.

    Examples
    --------
    >>> fitted(None)
    Traceback (most recent call last):
    ...
    hierlab.errors.InputTypeError: `fit` must be an IRTFit (the result of hierlab.irt.fit_irt), got NoneType.
    """
    fit = as_irt_fit(fit, what)
    if fit.responses is None:
        raise InvalidValueError(
            f"`{what}` has no response matrix attached; refit it with fit_irt(), which keeps "
            "the responses the diagnostics need."
        )
    return fit, fit.responses


def probabilities(fit: IRTFit, theta: np.ndarray) -> np.ndarray:
    """Return the category probabilities of every item at each ability, shape (n, J, K).

    Accepts both orientations a fit may return (abilities first or last) and tells them
    apart even when the number of abilities equals the number of categories.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> probabilities(fit, np.array([0.0, 1.0])).shape
    (2, 5, 2)
    """
    theta = np.asarray(theta, dtype=float)
    n, j = len(theta), fit.n_items
    probs = np.asarray(fit.category_probabilities(theta))
    if probs.ndim != 3:
        raise InvalidValueError(
            f"fit.category_probabilities returned shape {probs.shape}; expected 3 axes."
        )
    if probs.shape[0] == probs.shape[2] == n:  # ambiguous: add one ability to tell
        wider = np.asarray(fit.category_probabilities(np.append(theta, 0.0)))
        first = wider.shape[0] == n + 1
        return wider[:n] if first else wider[..., :n].transpose(2, 1, 0)
    if probs.shape[0] == n and probs.shape[1] == j:
        return probs
    return probs.transpose(2, 1, 0)


def right_probabilities(fit: IRTFit, theta: np.ndarray) -> np.ndarray:
    """Return P(top category) of every item at each ability, shape (n, J).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> right_probabilities(fit, np.zeros(3)).shape
    (3, 5)
    """
    return probabilities(fit, theta)[..., -1]


def expected_scores(fit: IRTFit, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the expected category index and its variance, each (n, J).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(100, 5, seed=0).responses)
    >>> [a.shape for a in expected_scores(fit, np.zeros(2))]
    [(2, 5), (2, 5)]
    """
    probs = probabilities(fit, theta)
    k = np.arange(probs.shape[2], dtype=float)
    mean = probs @ k
    return mean, np.maximum(probs @ k**2 - mean**2, 0.0)


def is_binary(fit: IRTFit) -> bool:
    """Return whether the fit's responses are binary.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> is_binary(fit_irt(simulate_responses(100, 5, seed=0).responses))
    True
    """
    return fit.responses is not None and fit.responses.n_categories == 2


def n_item_parameters(fit: IRTFit) -> int:
    """Return the free parameters per item (for degrees of freedom).

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> n_item_parameters(fit_irt(simulate_responses(100, 5, seed=0).responses))
    2
    """
    if fit.irt_model in ITEM_PARAMETERS:
        return ITEM_PARAMETERS[fit.irt_model]
    if fit.irt_model in GRADED_PARAMETERS:  # a and K - 1 intercepts (the PCM's a is shared)
        return len(fit.categories) - 1 + GRADED_PARAMETERS[fit.irt_model]
    return sum(
        c.endswith("_se") and c.removesuffix("_se") in fit.items.columns for c in fit.items.columns
    )


def theta_of(fit: IRTFit) -> np.ndarray:
    """Return the fit's EAP abilities in the responses' model order.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> theta_of(fit_irt(simulate_responses(100, 5, seed=0).responses)).shape
    (100,)
    """
    return fit.abilities["theta"].to_numpy().astype(float)


def check_probability(value: Any, name: str) -> float:
    """Return ``value`` as a float in (0, 1), or raise naming the argument.

    Examples
    --------
    >>> check_probability(0.05, "significance")
    0.05
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"`{name}` must be a number in (0, 1), got {type(value).__name__}.")
    if not 0 < float(value) < 1:
        raise InvalidValueError(f"`{name}` must be in (0, 1), got {value!r}.")
    return float(value)


def check_count(value: Any, name: str, minimum: int) -> int:
    """Return ``value`` as an int of at least ``minimum``, or raise naming the argument.

    Examples
    --------
    >>> check_count(200, "n_boot", 1)
    200
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputTypeError(f"`{name}` must be an integer, got {type(value).__name__}.")
    if value < minimum:
        raise InvalidValueError(f"`{name}` must be at least {minimum}, got {value}.")
    return int(value)


def check_nonnegative(value: Any, name: str) -> float:
    """Return ``value`` as a finite float >= 0, or raise naming the argument.

    Examples
    --------
    >>> check_nonnegative(1, "min_expected")
    1.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputTypeError(f"`{name}` must be a number, got {type(value).__name__}.")
    if not (np.isfinite(value) and value >= 0):
        raise InvalidValueError(f"`{name}` must be a finite number >= 0, got {value!r}.")
    return float(value)


def generator(seed: Any) -> np.random.Generator:
    """Return a numpy Generator from an int seed or a Generator.

    Examples
    --------
    >>> float(generator(0).random()) == float(np.random.default_rng(0).random())
    True
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise InputTypeError(
            f"`seed` must be an int or a numpy.random.Generator, got {type(seed).__name__}."
        )
    return np.random.default_rng(int(seed))


def model_ids(value: Any, name: str, models: tuple[str, ...]) -> list[str]:
    """Return a list of model ids, checking each is a model of the responses.

    Examples
    --------
    >>> model_ids("a", "baseline", ("a", "b"))
    ['a']
    """
    if value is None:
        return []
    ids = [value] if isinstance(value, str) else value
    if not isinstance(ids, list | tuple) or not all(isinstance(i, str) for i in ids):
        raise InputTypeError(
            f"`{name}` must be a model id or a list of model ids, got {type(value).__name__}."
        )
    unknown = sorted(set(ids) - set(models))
    if unknown:
        raise InvalidValueError(
            f"`{name}` names model(s) that are not in the fit: {format_items(unknown)}; "
            f"its models are {format_items(models)}."
        )
    return list(dict.fromkeys(ids))


def draw(probs: np.ndarray, observed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw responses (category indices) from probabilities (n, J, K); NaN where unobserved.

    Examples
    --------
    >>> p = np.array([[[0.0, 1.0], [1.0, 0.0]]])
    >>> draw(p, np.array([[True, False]]), np.random.default_rng(0)).tolist()
    [[1.0, nan]]
    """
    cum = np.cumsum(probs, axis=2)[..., :-1]
    u = rng.random(probs.shape[:2])
    values = (u[..., None] > cum).sum(axis=2).astype(float)
    return np.where(observed, values, np.nan)
