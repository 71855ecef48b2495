"""Informative item subsets: evaluate a new model on k items, estimate the full benchmark.

Pick ``k`` items from a fitted model, score a new model on them against the frozen item
parameters, and predict its full-benchmark accuracy as the mean response probability over
all items at its estimated ability (``predicted_accuracy``). :func:`evaluate_subsets`
reports the error of that prediction on held-out models, against the naive estimate (the
plain accuracy on the same k items).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np
import polars as pl

from hierlab.errors import HierlabWarning, InvalidValueError
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.diagnostics import _information, _probabilities
from hierlab.irt.fit import IRTFit, fit_irt
from hierlab.irt.scoring import score

__all__ = ["estimate_from_subset", "evaluate_subsets", "select_items"]

Method = Literal["information", "stratified", "random"]


def select_items(
    fit: IRTFit, k: int, method: Method = "information", seed: int | np.random.Generator = 0
) -> list[str]:
    """Choose ``k`` items of a fitted model.

    * ``information``: the items with the most Fisher information summed over the
      respondents' ability range (the fitted abilities' 5th to 95th percentiles);
    * ``stratified``: items sorted by difficulty and cut into k strata, one random item
      from each (covers the whole difficulty range);
    * ``random``: a simple random sample (the baseline).

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 50, seed=0).responses)
    >>> len(select_items(fit, 10, "stratified"))
    10
    """
    names = fit.items["item"].to_list()
    if not 1 <= k <= len(names):
        raise InvalidValueError(
            f"k must be between 1 and the number of items ({len(names)}), got {k}."
        )
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if method == "information":
        lo, hi = np.quantile(fit.abilities["theta"].to_numpy(), [0.05, 0.95])
        info = _information(fit, np.linspace(lo, hi, 25)).sum(axis=0)
        order = np.argsort(-info, kind="stable")[:k]
    elif method == "stratified":
        b = fit.items["b"].to_numpy() if "b" in fit.items.columns else fit.items["b1"].to_numpy()
        ranked = np.argsort(b, kind="stable")
        order = np.array([rng.choice(chunk) for chunk in np.array_split(ranked, k)])
    elif method == "random":
        order = rng.choice(len(names), size=k, replace=False)
    else:
        raise InvalidValueError(
            f"Unknown method {method!r}; use 'information', 'stratified' or 'random'."
        )
    return [names[j] for j in sorted(order)]


def estimate_from_subset(fit: IRTFit, responses: Any) -> pl.DataFrame:
    """Ability and predicted full-benchmark accuracy of models scored on a few items.

    Returns
    -------
    polars.DataFrame
        ``respondent, theta, theta_sd, n, subset_accuracy, predicted_accuracy``.
    """
    scored = score(responses, fit)
    theta = scored["theta"].to_numpy()
    probs = _probabilities(fit, theta)
    if fit.model == "grm":
        scores = np.asarray(fit.categories)
        predicted = (probs * scores).sum(axis=2).mean(axis=1)
    else:
        predicted = probs.mean(axis=1)
    return scored.select(
        "respondent", "theta", "theta_sd", "n", pl.col("mean").alias("subset_accuracy")
    ).with_columns(predicted_accuracy=pl.Series(predicted))


def evaluate_subsets(
    responses: Any,
    k: int,
    methods: tuple[str, ...] = ("information", "stratified", "random"),
    holdout: float = 0.25,
    n_splits: int = 5,
    model: str = "2pl",
    seed: int = 0,
) -> pl.DataFrame:
    """Cross-validate subset methods: fit on training models, predict held-out models.

    For each split, a share ``holdout`` of the respondents is held out; the IRT model is
    fitted on the rest, each method picks k items, and every held-out model is scored on
    its k items only. Errors are against the held-out model's accuracy on all items it
    answered, and its ability from all items (scored against the same frozen items).

    Returns
    -------
    polars.DataFrame
        One row per method: ``method, k, mae_accuracy`` (IRT prediction),
        ``mae_accuracy_naive`` (accuracy on the k items), ``mae_theta``, ``n_predictions``.
    """
    m = as_response_matrix(responses, binary=True)
    n = m.shape[0]
    n_out = max(1, round(holdout * n))
    rng = np.random.default_rng(seed)
    rows = []
    for split in range(n_splits):
        perm = rng.permutation(n)
        test, train = np.sort(perm[:n_out]), np.sort(perm[n_out:])
        sub = _rows(m, train)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            fit = fit_irt(sub, model)
        held = _rows(m, test)
        truth_acc = np.nanmean(held.values, axis=1)
        truth_theta = score(held, fit)["theta"].to_numpy()
        for method in methods:
            items = select_items(fit, k, method, seed=seed + split)  # type: ignore[arg-type]
            cols = [m.items.index(i) for i in items]
            part = ResponseMatrix(
                held.values[:, cols], held.respondents, tuple(items), m.categories
            )
            est = estimate_from_subset(fit, part)
            for r in range(len(test)):
                rows.append(
                    (
                        method,
                        k,
                        split,
                        float(est["predicted_accuracy"][r]),
                        float(est["subset_accuracy"][r]),
                        float(truth_acc[r]),
                        float(est["theta"][r]),
                        float(truth_theta[r]),
                    )
                )
    table = pl.DataFrame(
        rows,
        schema=["method", "k", "split", "predicted", "naive", "truth", "theta", "truth_theta"],
        orient="row",
    )
    return table.group_by("method", "k", maintain_order=True).agg(
        (pl.col("predicted") - pl.col("truth")).abs().mean().alias("mae_accuracy"),
        (pl.col("naive") - pl.col("truth")).abs().mean().alias("mae_accuracy_naive"),
        (pl.col("theta") - pl.col("truth_theta")).abs().mean().alias("mae_theta"),
        pl.len().alias("n_predictions"),
    )


def _rows(m: ResponseMatrix, rows: np.ndarray) -> ResponseMatrix:
    return ResponseMatrix(
        m.values[rows], tuple(m.respondents[i] for i in rows), m.items, m.categories
    )
