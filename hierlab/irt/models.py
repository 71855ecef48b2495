"""Item response functions and Fisher information, vectorised over abilities and items.

Binary models share one form, the 4PL: ``P(theta) = c + (u - c) / (1 + exp(-a (theta - b)))``
(the 3PL has ``u = 1``; the 2PL also ``c = 0``; the 1PL a common ``a``; the Rasch model
``a = 1``). The graded
response model (GRM) has ordered thresholds ``b_1 < ... < b_{K-1}`` and
``P(X >= k) = 1 / (1 + exp(-a (theta - b_k)))``. The generalized partial credit model
(GPCM) has step difficulties ``s_1, ..., s_{K-1}`` (not necessarily ordered) and
``P(X = k) / P(X = k - 1) = exp(a (theta - s_k))``; the partial credit model (PCM) is the
GPCM with one discrimination common to all items.

Arrays broadcast: ``theta`` of shape (n,) against item parameters of shape (J,) gives
(n, J): abilities are rows and items are columns, as in a response matrix.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import InputShapeError, InvalidValueError, format_items

__all__ = [
    "IRT_MODELS",
    "expected_score",
    "gpcm_category_probabilities",
    "gpcm_information",
    "grm_category_probabilities",
    "grm_information",
    "item_information",
    "item_parameters",
    "response_probability",
]

#: The IRT models hierlab fits (the values of ``irt_model=``).
IRT_MODELS = ("rasch", "1pl", "2pl", "3pl", "4pl", "grm", "gpcm", "pcm")

#: The models for ordinal or partial-credit scores (K >= 2 categories).
GRADED_MODELS = ("grm", "gpcm", "pcm")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def _binary_parameters(
    theta: Any, a: Any, b: Any, c: Any, u: Any = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return (
        as_float_array(theta, "`theta`", ndim=1),
        as_float_array(a, "`a`"),
        as_float_array(b, "`b`"),
        as_float_array(c, "`c`"),
        as_float_array(u, "`u`"),
    )


def response_probability(theta: Any, a: Any, b: Any, c: Any = 0.0, *, u: Any = 1.0) -> np.ndarray:
    """Return P(correct) under the 4PL family for every ability and item.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations (1 for the Rasch model).
    b : array of float, shape (J,)
        Difficulties.
    c : float or array of float, shape (J,), default 0.0
        Guessing parameters, the lower asymptotes (0 except for the 3PL and 4PL).
    u : float or array of float, shape (J,), default 1.0
        Upper asymptotes (1 except for the 4PL).

    Returns
    -------
    numpy.ndarray
        Shape (n, J).

    Examples
    --------
    >>> response_probability(np.array([0.0]), np.array([1.0]), np.array([0.0])).tolist()
    [[0.5]]
    """
    theta, a, b, c, u = _binary_parameters(theta, a, b, c, u)
    s = _sigmoid(a * (theta[:, None] - b))
    return c + (u - c) * s


def item_information(theta: Any, a: Any, b: Any, c: Any = 0.0, *, u: Any = 1.0) -> np.ndarray:
    """Return the Fisher information of each binary item at each ability.

    ``I = P'^2 / (P (1 - P))`` with ``P' = a (u - c) s (1 - s)``, ``s`` the logistic part:
    Birnbaum's ``a^2 (P - c)^2 (1 - P) / ((1 - c)^2 P)`` for ``u = 1``, ``a^2 P (1 - P)``
    for ``c = 0, u = 1``.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    b : array of float, shape (J,)
        Difficulties.
    c : float or array of float, shape (J,), default 0.0
        Guessing parameters.
    u : float or array of float, shape (J,), default 1.0
        Upper asymptotes.

    Returns
    -------
    numpy.ndarray
        Shape (n, J).

    Examples
    --------
    >>> float(item_information(np.array([0.0]), np.array([2.0]), np.array([0.0]))[0, 0])
    1.0
    """
    theta, a, b, c, u = _binary_parameters(theta, a, b, c, u)
    s = _sigmoid(a * (theta[:, None] - b))
    p = np.clip(c + (u - c) * s, 1e-300, None)
    q = np.clip((1.0 - u) + (u - c) * (1.0 - s), 1e-300, None)
    return (a * (u - c) * s * (1.0 - s)) ** 2 / (p * q)


def _graded_parameters(theta: Any, a: Any, thresholds: Any) -> tuple[np.ndarray, ...]:
    theta = as_float_array(theta, "`theta`", ndim=1)
    a = as_float_array(a, "`a`", ndim=1)
    thresholds = as_float_array(thresholds, "`thresholds`", ndim=2)
    if thresholds.shape[0] != a.shape[0]:
        raise InputShapeError(
            f"`thresholds` needs one row per item ({a.shape[0]} discriminations), "
            f"got shape {thresholds.shape}."
        )
    return theta, a, thresholds


def grm_category_probabilities(theta: Any, a: Any, thresholds: Any) -> np.ndarray:
    """Return the category probabilities of the graded response model.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    thresholds : array of float, shape (J, K - 1)
        Increasing thresholds ``b_1 < ... < b_{K-1}`` of each item.

    Returns
    -------
    numpy.ndarray
        Shape (n, J, K): the probability of each category 0..K-1.

    Examples
    --------
    >>> p = grm_category_probabilities(np.array([0.0]), np.array([1.0]), np.array([[-1.0, 1.0]]))
    >>> np.round(p[0, 0], 3).tolist()
    [0.269, 0.462, 0.269]
    """
    theta, a, thresholds = _graded_parameters(theta, a, thresholds)
    cum = _sigmoid(a[None, :, None] * (theta[:, None, None] - thresholds[None]))  # P(X >= k)
    n, j = cum.shape[:2]
    upper = np.concatenate([np.ones((n, j, 1)), cum], axis=2)
    lower = np.concatenate([cum, np.zeros((n, j, 1))], axis=2)
    return np.clip(upper - lower, 1e-300, 1.0)


def grm_information(theta: Any, a: Any, thresholds: Any) -> np.ndarray:
    """Return the Fisher information of graded items, ``sum_k P_k'^2 / P_k``.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    thresholds : array of float, shape (J, K - 1)
        Increasing thresholds of each item.

    Returns
    -------
    numpy.ndarray
        Shape (n, J).

    Examples
    --------
    >>> info = grm_information(np.array([0.0]), np.array([1.0]), np.array([[0.0]]))
    >>> round(float(info[0, 0]), 4)  # one threshold: the 2PL's a^2 P Q
    0.25
    """
    theta, a, thresholds = _graded_parameters(theta, a, thresholds)
    a_ = a[None, :, None]
    cum = _sigmoid(a_ * (theta[:, None, None] - thresholds[None]))
    w = a_ * cum * (1.0 - cum)  # d P(X >= k) / d theta
    n, j = cum.shape[:2]
    deriv = np.concatenate([np.zeros((n, j, 1)), w], axis=2) - np.concatenate(
        [w, np.zeros((n, j, 1))], axis=2
    )
    probs = grm_category_probabilities(theta, a, thresholds)
    return (deriv**2 / probs).sum(axis=2)


def _gpcm_parameters(theta: Any, a: Any, steps: Any) -> tuple[np.ndarray, ...]:
    theta = as_float_array(theta, "`theta`", ndim=1)
    a = as_float_array(a, "`a`", ndim=1)
    steps = as_float_array(steps, "`steps`", ndim=2)
    if steps.shape[0] != a.shape[0]:
        raise InputShapeError(
            f"`steps` needs one row per item ({a.shape[0]} discriminations), "
            f"got shape {steps.shape}."
        )
    return theta, a, steps


def _gpcm_probabilities(theta: np.ndarray, a: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(n, J, K) category probabilities; ``log P_k = sum_{v <= k} a (theta - s_v) - norm``."""
    inc = a[None, :, None] * (theta[:, None, None] - steps[None])  # (n, J, K-1)
    eta = np.concatenate([np.zeros((*inc.shape[:2], 1)), np.cumsum(inc, axis=2)], axis=2)
    eta -= eta.max(axis=2, keepdims=True)
    p = np.exp(eta)
    return p / p.sum(axis=2, keepdims=True)


def gpcm_category_probabilities(theta: Any, a: Any, steps: Any) -> np.ndarray:
    """Return the category probabilities of the generalized partial credit model.

    ``P(X = k) / P(X = k - 1) = exp(a (theta - s_k))``: each step ``s_k`` is the ability
    at which categories k - 1 and k are equally likely (the PCM has one common ``a``).

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    steps : array of float, shape (J, K - 1)
        Step difficulties ``s_1, ..., s_{K-1}`` of each item (they need not be ordered).

    Returns
    -------
    numpy.ndarray
        Shape (n, J, K): the probability of each category 0..K-1.

    Examples
    --------
    >>> p = gpcm_category_probabilities(np.array([0.0]), np.array([1.0]), np.array([[-1.0, 1.0]]))
    >>> np.round(p[0, 0], 3).tolist()
    [0.212, 0.576, 0.212]
    """
    theta, a, steps = _gpcm_parameters(theta, a, steps)
    return _gpcm_probabilities(theta, a, steps)


def gpcm_information(theta: Any, a: Any, steps: Any) -> np.ndarray:
    """Return the Fisher information of GPCM (or PCM) items, ``a^2 Var(X | theta)``.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    steps : array of float, shape (J, K - 1)
        Step difficulties of each item.

    Returns
    -------
    numpy.ndarray
        Shape (n, J).

    Examples
    --------
    >>> info = gpcm_information(np.array([0.0]), np.array([1.0]), np.array([[0.0]]))
    >>> round(float(info[0, 0]), 4)  # one step: the 2PL's a^2 P Q
    0.25
    """
    theta, a, steps = _gpcm_parameters(theta, a, steps)
    p = _gpcm_probabilities(theta, a, steps)
    k = np.arange(p.shape[2])
    mean = (p * k).sum(axis=2)
    return a[None, :] ** 2 * ((p * k**2).sum(axis=2) - mean**2)


def expected_score(theta: Any, a: Any, b: Any, c: Any = 0.0, *, u: Any = 1.0) -> np.ndarray:
    """Return the expected number-correct score on a set of binary items at each ability.

    Parameters
    ----------
    theta : array of float, shape (n,)
        Abilities.
    a : array of float, shape (J,)
        Discriminations.
    b : array of float, shape (J,)
        Difficulties.
    c : float or array of float, shape (J,), default 0.0
        Guessing parameters.
    u : float or array of float, shape (J,), default 1.0
        Upper asymptotes (1 except for the 4PL).

    Returns
    -------
    numpy.ndarray
        Shape (n,).

    Examples
    --------
    >>> expected_score(np.array([0.0]), np.array([1.0, 1.0]), np.array([0.0, 0.0])).tolist()
    [1.0]
    """
    return response_probability(theta, a, b, c, u=u).sum(axis=1)


def item_parameters(items: Any) -> dict[str, np.ndarray]:
    """Return the parameters of an items table (a fit's ``items``) as arrays.

    Binary models: ``a`` (1 where the table has no ``a`` column, as for the Rasch model),
    ``b``, ``c`` (0 without a ``c`` column), ``u`` (1 without a ``u`` column) and the
    intercept ``d`` (the table's ``d``
    column, or ``-a b``). The graded response model (columns ``b1, b2, ...``): ``a`` and
    ``thresholds`` of shape (J, K - 1). The GPCM and PCM (step difficulties ``s1, s2,
    ...``): ``a`` and ``steps`` of shape (J, K - 1).

    Parameters
    ----------
    items : polars or pandas DataFrame
        One row per item with the parameter columns (``a``, ``b``, ``c``, ``d``;
        ``b1``, ``b2``, ... for the GRM; ``s1``, ``s2``, ... for the GPCM and PCM).

    Returns
    -------
    dict of str to numpy.ndarray
        ``a, b, c, d, u`` for binary models; ``a, thresholds`` for the GRM; ``a, steps``
        for the GPCM and PCM.

    Raises
    ------
    InputShapeError
        The table has no ``b``, ``b1`` or ``s1`` column.
    InvalidValueError
        A guessing parameter ``c`` outside [0, 1), an upper asymptote ``u`` outside
        (0, 1], or ``u <= c`` (the item's curve would not rise).

    Examples
    --------
    >>> import polars as pl
    >>> p = item_parameters(pl.DataFrame({"item": ["q1"], "a": [2.0], "b": [0.5]}))
    >>> p["d"].tolist(), p["c"].tolist()
    ([-1.0], [0.0])
    """
    table = as_polars(items, "The items table `items`")
    partial = "s1" in table.columns and "b" not in table.columns and "b1" not in table.columns
    graded = "b1" in table.columns and "b" not in table.columns
    require_columns(
        table,
        ["s1"] if partial else ["b1"] if graded else ["b"],
        "The items table",
        "It needs difficulties `b` (binary models), thresholds `b1, b2, ...` (GRM) or "
        "step difficulties `s1, s2, ...` (GPCM, PCM).",
    )
    ones = np.ones(table.height)

    def column(name: str, default: np.ndarray) -> np.ndarray:
        if name not in table.columns:
            return default
        return as_float_array(table[name], f"Column {name!r} of the items table")

    a = column("a", ones)
    if partial:
        k = 1
        while f"s{k + 1}" in table.columns:
            k += 1
        steps = np.column_stack([column(f"s{m}", ones) for m in range(1, k + 1)])
        return {"a": a, "steps": steps}
    if graded:
        k = 1
        while f"b{k + 1}" in table.columns:
            k += 1
        thresholds = np.column_stack([column(f"b{m}", ones) for m in range(1, k + 1)])
        return {"a": a, "thresholds": thresholds}
    b = column("b", ones)
    d = column("d", -a * b)
    d = np.where(np.isnan(d), -a * b, d)
    c = column("c", np.zeros(table.height))
    u = column("u", ones)
    wrong = (c < 0) | (c >= 1) | (u <= 0) | (u > 1) | (u <= c)  # NaN (an item set aside) passes
    if wrong.any():
        names = table["item"].to_list() if "item" in table.columns else np.arange(table.height)
        raise InvalidValueError(
            f"The items table has {int(wrong.sum())} item(s) whose asymptotes are not "
            f"0 <= c < u <= 1: {format_items(np.asarray(names, dtype=object)[wrong].tolist())}. "
            "Guessing c is the lower asymptote and u the upper one, both probabilities."
        )
    return {"a": a, "b": b, "c": c, "d": d, "u": u}
