"""Informative item subsets: evaluate a new model on k items, estimate the full benchmark.

Pick ``k`` items from a fitted model, score a new model on them against the frozen item
parameters, and predict its full-benchmark accuracy as the mean expected score over all
items at its estimated ability (``predicted_accuracy``). :func:`evaluate_subsets` reports
the error of that prediction on held-out models, against the naive estimate (the plain
accuracy on the same k items).
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab.errors import HierlabWarning, InputTypeError, InvalidValueError
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.fit import IRTFit, as_irt_fit, fit_irt
from hierlab.irt.scoring import score

__all__ = ["estimate_from_subset", "evaluate_subsets", "select_items"]

Method = Literal["information", "stratified", "random"]
METHODS = ("information", "stratified", "random")


def select_items(
    fit: IRTFit, k: int, method: Method = "information", *, seed: int | np.random.Generator = 0
) -> list[str]:
    """Choose ``k`` items of a fitted model.

    * ``information``: the items with the most Fisher information summed over the
      models' ability range (the fitted abilities' 5th to 95th percentiles);
    * ``stratified``: items sorted by difficulty and cut into k strata, one random item
      from each (covers the whole difficulty range);
    * ``random``: a simple random sample (the baseline).

    Parameters
    ----------
    fit : IRTFit
        The fitted model whose items are chosen from.
    k : int
        Number of items, between 1 and the number of items.
    method : {"information", "stratified", "random"}, default "information"
        How to choose.
    seed : int or numpy.random.Generator, default 0
        Randomness of "stratified" and "random".

    Returns
    -------
    list of str
        The chosen item ids, in the fit's item order.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 50, seed=0).responses)
    >>> len(select_items(fit, 10, "stratified"))
    10
    """
    fit = as_irt_fit(fit)
    names = fit.items["item"].to_list()
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise InputTypeError(f"`k` must be an integer number of items, got {type(k).__name__}.")
    if not 1 <= k <= len(names):
        raise InvalidValueError(
            f"k must be between 1 and the number of items ({len(names)}), got {k}."
        )
    if method not in METHODS:
        raise InvalidValueError(
            f"Unknown method {method!r}; use 'information', 'stratified' or 'random'."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if method == "information":
        lo, hi = np.quantile(fit.abilities["theta"].to_numpy(), [0.05, 0.95])
        info = fit.item_information(np.linspace(lo, hi, 25)).sum(axis=0)
        order = np.argsort(-info, kind="stable")[:k]
    elif method == "stratified":
        b = fit.items["b"].to_numpy() if "b" in fit.items.columns else fit.items["b1"].to_numpy()
        ranked = np.argsort(b, kind="stable")
        order = np.array([rng.choice(chunk) for chunk in np.array_split(ranked, k)])
    else:
        order = rng.choice(len(names), size=k, replace=False)
    return [names[j] for j in sorted(order)]


def estimate_from_subset(responses: Any, fit: IRTFit) -> pl.DataFrame:
    """Estimate the ability and full-benchmark accuracy of models scored on a few items.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        The models' responses to some of the fit's items (as :func:`~hierlab.irt.score`
        takes them).
    fit : IRTFit
        The fitted model whose frozen items score the responses.

    Returns
    -------
    polars.DataFrame
        ``model, theta, theta_se, n, subset_accuracy`` (mean score on the answered
        items), ``predicted_accuracy`` (mean expected score over all the fit's items).

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(300, 40, seed=0)
    >>> fit = fit_irt(sim.responses)
    >>> items = select_items(fit, 10)
    >>> est = estimate_from_subset(sim.responses.to_polars().select("model", *items).head(3), fit)
    >>> est.columns
    ['model', 'theta', 'theta_se', 'n', 'subset_accuracy', 'predicted_accuracy']
    """
    fit = as_irt_fit(fit)
    scored = score(responses, fit)
    probs = fit.category_probabilities(scored["theta"].to_numpy())
    predicted = (probs @ np.asarray(fit.categories)).mean(axis=1)
    return scored.select(
        "model", "theta", "theta_se", "n", pl.col("mean").alias("subset_accuracy")
    ).with_columns(predicted_accuracy=pl.Series(predicted))


def evaluate_subsets(
    responses: Any,
    k: int,
    *,
    methods: tuple[str, ...] = METHODS,
    holdout: float = 0.25,
    n_splits: int = 5,
    irt_model: str = "2pl",
    seed: int = 0,
) -> pl.DataFrame:
    """Cross-validate subset methods: fit on training models, predict held-out models.

    For each split, a share ``holdout`` of the models is held out; the IRT model is
    fitted on the rest, each method picks k items, and every held-out model is scored on
    its k items only. Errors are against the held-out model's accuracy on all items it
    answered, and its ability from all items (scored against the same frozen items).

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Binary responses, models x items.
    k : int
        Items per subset.
    methods : tuple of str, default ("information", "stratified", "random")
        The methods of :func:`select_items` to compare.
    holdout : float, default 0.25
        Share of models held out in each split.
    n_splits : int, default 5
        Random splits.
    irt_model : str, default "2pl"
        The IRT model fitted to the training models.
    seed : int, default 0
        Randomness of the splits and of the subset methods.

    Returns
    -------
    polars.DataFrame
        One row per method: ``method, k, mae_accuracy`` (IRT prediction),
        ``mae_accuracy_naive`` (accuracy on the k items), ``mae_theta``, ``n_predictions``.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(80, 40, seed=0)
    >>> table = evaluate_subsets(sim.responses, 10, methods=("random",), n_splits=1)
    >>> table["method"].to_list()
    ['random']
    """
    m = as_response_matrix(responses, binary=True)
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k <= m.n_items:
        raise InvalidValueError(
            f"k must be an integer between 1 and the number of items ({m.n_items}), got {k!r}."
        )
    if (
        not isinstance(methods, tuple | list)
        or not methods
        or any(x not in METHODS for x in methods)
    ):
        raise InvalidValueError(
            f"`methods` must be a tuple of {', '.join(METHODS)}, got {methods!r}."
        )
    if not 0 < holdout < 1:
        raise InvalidValueError(f"`holdout` must be a share in (0, 1), got {holdout!r}.")
    n_out = max(1, round(holdout * m.n_models))
    if n_out >= m.n_models - 1:
        raise InvalidValueError(
            f"holdout={holdout} leaves {m.n_models - n_out} training model(s); IRT needs two."
        )
    column = {item: j for j, item in enumerate(m.items)}
    rng = np.random.default_rng(seed)
    frames = []
    for split in range(n_splits):
        perm = rng.permutation(m.n_models)
        test, train = np.sort(perm[:n_out]), np.sort(perm[n_out:])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            fit = fit_irt(_rows(m, train), irt_model)
        held = _rows(m, test)
        truth_accuracy = np.nanmean(held.scores(), axis=1)
        truth_theta = score(held, fit)["theta"].to_numpy()
        for method in methods:
            items = select_items(fit, k, method, seed=seed + split)  # type: ignore[arg-type]
            cols = [column[i] for i in items]
            part = ResponseMatrix(held.values[:, cols], held.models, tuple(items), m.categories)
            est = estimate_from_subset(part, fit)
            frames.append(
                est.select(
                    pl.lit(method).alias("method"),
                    pl.lit(k, dtype=pl.Int64).alias("k"),
                    pl.col("predicted_accuracy").alias("predicted"),
                    pl.col("subset_accuracy").alias("naive"),
                    pl.Series("truth", truth_accuracy),
                    "theta",
                    pl.Series("truth_theta", truth_theta),
                )
            )
    return (
        pl.concat(frames)
        .group_by("method", "k", maintain_order=True)
        .agg(
            (pl.col("predicted") - pl.col("truth")).abs().mean().alias("mae_accuracy"),
            (pl.col("naive") - pl.col("truth")).abs().mean().alias("mae_accuracy_naive"),
            (pl.col("theta") - pl.col("truth_theta")).abs().mean().alias("mae_theta"),
            pl.len().alias("n_predictions"),
        )
    )


def _rows(m: ResponseMatrix, rows: np.ndarray) -> ResponseMatrix:
    return ResponseMatrix(
        m.values[rows],
        tuple(np.asarray(m.models, dtype=object)[rows].tolist()),
        m.items,
        m.categories,
    )
