"""Explanatory IRT: item difficulty explained by item covariates, abilities controlled.

An LLTM-style logistic model on the long results table,

    logit P(right_{m,i}) = theta_m + sum_k beta_k x_{i,k},

with one fixed effect per model (``theta_m``: abilities are controlled, so covariate
effects are net of who answered) and item covariates ``x`` (region, depth, topic ...).
Items differ in difficulty beyond their covariates, so standard errors are cluster-robust
by item (the classic LLTM assumes covariates explain difficulty exactly and is
overconfident). A positive ``beta`` makes items easier; ``difficulty_effect = -beta``.
This is how regional bias and depth degradation are measured net of item difficulty and
model ability.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import InputTypeError
from hierlab.results import Result, Summary
from hierlab.stats import check_confidence, coefficient_table, fit_logit

__all__ = ["ExplanatoryFit", "explain_difficulty"]


@dataclass(frozen=True, eq=False)
class ExplanatoryFit(Result):
    """Covariate effects on item easiness, with model abilities controlled.

    Attributes
    ----------
    coefficients : polars.DataFrame
        ``term, estimate, se, statistic`` (Wald z, item-clustered), ``p_value, ci_low,
        ci_high, odds_ratio, difficulty_effect, difficulty_ci_low, difficulty_ci_high`` for
        the covariate terms (the model effects are in ``abilities``). ``estimate`` and its
        interval are on the easiness scale (log-odds of a right answer);
        ``difficulty_effect = -estimate`` with its own interval ``difficulty_ci_low,
        difficulty_ci_high``, so neither needs flipping by hand.
    abilities : polars.DataFrame
        ``model, theta`` on the logit scale of the regression (the reference model's
        theta is the intercept).
    n_observations : int
        Responses used.
    n_items : int
        Items (the clusters of the standard errors).
    confidence : float
        Confidence level of ``ci_low, ci_high``.
    fitted : Any
        The statsmodels GLM results, for anything else.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> fit = explain_difficulty(load_demo(n_items=200, n_models=4, seed=1).results, ["target_depth"])
    >>> fit.to_polars()["term"].to_list()
    ['target_depth']
    """

    coefficients: pl.DataFrame
    abilities: pl.DataFrame
    n_observations: int
    n_items: int
    confidence: float = 0.95
    fitted: Any = field(default=None, repr=False)

    def summary(self) -> Summary:
        """Summarise the fit: sizes, method and the coefficient table.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.datasets import load_demo
        >>> fit = explain_difficulty(load_demo(n_items=200, n_models=4, seed=1).results, ["target_depth"])
        >>> fit.summary().title
        'Explanatory IRT (LLTM-style logistic regression)'
        """
        return Summary(
            "Explanatory IRT (LLTM-style logistic regression)",
            facts=[
                ("responses", self.n_observations),
                ("items", self.n_items),
                ("models", self.abilities.height),
                ("abilities", "one fixed effect per model"),
                ("standard errors", "cluster-robust by item"),
                ("confidence", self.confidence),
            ],
            tables={"coefficients": self.coefficients, "abilities": self.abilities},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the coefficient table.

        Returns
        -------
        polars.DataFrame
            The ``coefficients`` table.

        Examples
        --------
        >>> from hierlab.datasets import load_demo
        >>> fit = explain_difficulty(load_demo(n_items=200, n_models=4, seed=1).results, ["target_depth"])
        >>> fit.to_polars().columns[:5]
        ['term', 'estimate', 'se', 'statistic', 'p_value']
        """
        return self.coefficients


def explain_difficulty(
    results: Any,
    covariates: list[str] | str,
    *,
    model: str = "model",
    item: str = "item",
    correct: str = "correct",
    confidence: float = 0.95,
) -> ExplanatoryFit:
    """Estimate covariate effects on item difficulty with model abilities controlled.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: one row per (model, item) with the item covariates.
    covariates : list of str, or str
        Item covariate columns, or a patsy formula right-hand side. Text columns become
        categorical (the first level in sorted order is the reference; use
        ``C(region, Treatment('Europe'))`` in a formula to choose it).
    model : str, default "model"
        The column holding the model ids.
    item : str, default "item"
        The column holding the item ids (the clusters of the standard errors).
    correct : str, default "correct"
        The 0/1 outcome column.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    ExplanatoryFit

    Raises
    ------
    InputTypeError
        ``results`` is not a table or ``covariates`` is not column names.
    InputShapeError
        A named column is missing.

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=6, seed=2)
    >>> fit = explain_difficulty(demo.results, ["target_depth"])
    >>> float(fit.coefficients.filter(pl.col("term") == "target_depth")["estimate"][0]) < 0
    True
    """
    frame = as_polars(results, "The results table `results`")
    formula_rhs = isinstance(covariates, str)
    if formula_rhs:
        terms = [covariates]
    elif isinstance(covariates, list | tuple) and all(isinstance(t, str) for t in covariates):
        terms = list(covariates)
    else:
        raise InputTypeError(
            "`covariates` must be a list of item covariate columns or a formula right-hand "
            f"side, got {type(covariates).__name__}."
        )
    confidence = check_confidence(confidence)
    needed = [model, item, correct] + ([] if formula_rhs else terms)
    require_columns(
        frame, needed, "The results table", "Name the columns with model=, item=, correct=."
    )
    frame = frame.drop_nulls([model, item, correct])
    data = frame.to_pandas()
    data["_model"] = data[model].astype(str)
    data["_correct"] = data[correct].astype(float)
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    rhs = (
        covariates
        if formula_rhs
        else " + ".join(
            t if is_numeric_dtype(data[t]) and not is_bool_dtype(data[t]) else f"C({t})"
            for t in terms
        )
    )
    fitted = fit_logit(f"_correct ~ C(_model) + {rhs}", data, data[item])
    params = fitted.params
    names = [n for n in params.index if not n.startswith("C(_model)") and n != "Intercept"]
    coefficients = coefficient_table(fitted, names, confidence).with_columns(
        odds_ratio=pl.col("estimate").exp(),
        difficulty_effect=-pl.col("estimate"),
        difficulty_ci_low=-pl.col("ci_high"),
        difficulty_ci_high=-pl.col("ci_low"),
    )
    model_names = sorted(data["_model"].unique())
    theta = [0.0] + [float(params.get(f"C(_model)[T.{r}]", np.nan)) for r in model_names[1:]]
    abilities = pl.DataFrame(
        {"model": model_names, "theta": np.asarray(theta) + float(params["Intercept"])},
        schema={"model": pl.String, "theta": pl.Float64},
    )
    return ExplanatoryFit(
        coefficients=coefficients,
        abilities=abilities,
        n_observations=int(fitted.nobs),
        n_items=int(data[item].nunique()),
        confidence=confidence,
        fitted=fitted,
    )
