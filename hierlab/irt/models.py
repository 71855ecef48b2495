"""Item response functions and Fisher information, vectorised over abilities and items.

Binary models share one form, the 3PL: ``P(theta) = c + (1 - c) / (1 + exp(-a (theta - b)))``
(the 2PL has ``c = 0``; the 1PL a common ``a``; the Rasch model ``a = 1``). The graded
response model (GRM) has ordered thresholds ``b_1 < ... < b_{K-1}`` and
``P(X >= k) = 1 / (1 + exp(-a (theta - b_k)))``.

Arrays broadcast: ``theta`` of shape (n,) against item parameters of shape (J,) gives
(n, J).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "MODELS",
    "expected_score",
    "grm_category_probabilities",
    "grm_information",
    "item_information",
    "response_probability",
]

#: The models hierlab fits.
MODELS = ("rasch", "1pl", "2pl", "3pl", "grm")


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # overflow-free logistic


def response_probability(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray | float = 0.0
) -> np.ndarray:
    """P(correct) under the 3PL family, shape (n abilities, J items).

    Examples
    --------
    >>> response_probability(np.array([0.0]), np.array([1.0]), np.array([0.0])).tolist()
    [[0.5]]
    """
    theta = np.asarray(theta, dtype=float)[:, None]
    s = _sigmoid(np.asarray(a, dtype=float) * (theta - np.asarray(b, dtype=float)))
    return np.asarray(c, dtype=float) + (1.0 - np.asarray(c, dtype=float)) * s


def item_information(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray | float = 0.0
) -> np.ndarray:
    """Fisher information of each binary item at each ability, shape (n, J).

    ``I = a^2 (P - c)^2 (1 - P) / ((1 - c)^2 P)`` (Birnbaum); for ``c = 0`` this is
    ``a^2 P (1 - P)``.

    Examples
    --------
    >>> float(item_information(np.array([0.0]), np.array([2.0]), np.array([0.0]))[0, 0])
    1.0
    """
    p = response_probability(theta, a, b, c)
    c = np.asarray(c, dtype=float)
    a = np.asarray(a, dtype=float)
    return a**2 * (p - c) ** 2 * (1.0 - p) / ((1.0 - c) ** 2 * p)


def grm_category_probabilities(
    theta: np.ndarray, a: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """Category probabilities of the graded response model, shape (n, J, K).

    Parameters
    ----------
    theta : (n,) abilities
    a : (J,) discriminations
    thresholds : (J, K - 1) increasing thresholds b_1 < ... < b_{K-1}

    Examples
    --------
    >>> p = grm_category_probabilities(np.array([0.0]), np.array([1.0]), np.array([[-1.0, 1.0]]))
    >>> np.round(p[0, 0], 3).tolist()
    [0.269, 0.462, 0.269]
    """
    theta = np.asarray(theta, dtype=float)[:, None, None]
    a = np.asarray(a, dtype=float)[None, :, None]
    cum = _sigmoid(a * (theta - np.asarray(thresholds, dtype=float)[None]))  # P(X >= k), k >= 1
    n, j = cum.shape[:2]
    upper = np.concatenate([np.ones((n, j, 1)), cum], axis=2)
    lower = np.concatenate([cum, np.zeros((n, j, 1))], axis=2)
    return np.clip(upper - lower, 1e-300, 1.0)


def grm_information(theta: np.ndarray, a: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Fisher information of graded items, shape (n, J): sum_k P_k'^2 / P_k.

    Examples
    --------
    >>> info = grm_information(np.array([0.0]), np.array([1.0]), np.array([[0.0]]))
    >>> round(float(info[0, 0]), 4)  # one threshold: the 2PL's a^2 P Q
    0.25
    """
    theta_ = np.asarray(theta, dtype=float)[:, None, None]
    a_ = np.asarray(a, dtype=float)[None, :, None]
    cum = _sigmoid(a_ * (theta_ - np.asarray(thresholds, dtype=float)[None]))
    w = a_ * cum * (1.0 - cum)  # d P(X >= k) / d theta
    n, j = cum.shape[:2]
    w_upper = np.concatenate([np.zeros((n, j, 1)), w], axis=2)
    w_lower = np.concatenate([w, np.zeros((n, j, 1))], axis=2)
    deriv = w_upper - w_lower
    probs = grm_category_probabilities(theta, a, thresholds)
    return (deriv**2 / probs).sum(axis=2)


def expected_score(
    theta: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray | float = 0.0
) -> np.ndarray:
    """Expected number-correct score on a set of binary items at each ability, shape (n,).

    Examples
    --------
    >>> expected_score(np.array([0.0]), np.array([1.0, 1.0]), np.array([0.0, 0.0])).tolist()
    [1.0]
    """
    return response_probability(theta, a, b, c).sum(axis=1)
