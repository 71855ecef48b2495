"""Explanatory IRT: item difficulty explained by item covariates, abilities controlled.

An LLTM-style logistic model on the long results table,

    logit P(right_{m,i}) = theta_m + sum_k beta_k x_{i,k},

with one fixed effect per respondent (``theta_m``: abilities are controlled, so covariate
effects are net of who answered) and item covariates ``x`` (region, depth, topic ...).
Items differ in difficulty beyond their covariates, so standard errors are cluster-robust
by item (the classic LLTM assumes covariates explain difficulty exactly and is
overconfident). A positive ``beta`` makes items easier; ``difficulty_effect = -beta``.
This is how regional bias and depth degradation are measured net of item difficulty and
model ability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.stats import coefficient_table, fit_logit

__all__ = ["ExplanatoryFit", "explain_difficulty"]


@dataclass(frozen=True)
class ExplanatoryFit:
    """Covariate effects on item easiness.

    Attributes
    ----------
    coefficients : polars.DataFrame
        ``term, estimate, se, z, p, ci_low, ci_high, odds_ratio, difficulty_effect`` for
        the covariate terms (the respondent effects are in ``abilities``).
    abilities : polars.DataFrame
        ``respondent, theta`` (relative to the reference respondent).
    n_observations, n_items : int
    result : the statsmodels results object (for anything else)
    """

    coefficients: pl.DataFrame
    abilities: pl.DataFrame
    n_observations: int
    n_items: int
    result: Any

    def summary(self) -> str:
        return (
            f"Explanatory IRT (LLTM-style, respondent fixed effects, SE clustered by item): "
            f"{self.n_observations:,} responses, {self.n_items:,} items\n{self.coefficients}"
        )


def explain_difficulty(
    results: Any,
    covariates: list[str] | str,
    respondent: str = "model",
    item: str = "item",
    correct: str = "correct",
    level: float = 0.95,
) -> ExplanatoryFit:
    """Estimate covariate effects on item difficulty with abilities controlled.

    Parameters
    ----------
    results : polars or pandas DataFrame
        Long results: one row per (respondent, item) with the item covariates.
    covariates : list of column names, or a patsy formula right-hand side
        Text columns become categorical (first level in sorted order is the reference;
        use ``C(region, Treatment('Europe'))`` in a formula to choose it).
    respondent, item, correct : column names
    level : confidence level of the intervals

    Returns
    -------
    ExplanatoryFit

    Examples
    --------
    >>> from hierlab.datasets import load_demo
    >>> demo = load_demo(n_items=300, n_models=6, seed=2)
    >>> fit = explain_difficulty(demo.results, ["target_depth"])
    >>> float(fit.coefficients.filter(pl.col("term") == "target_depth")["estimate"][0]) < 0
    True
    """
    frame = as_polars(results, "The results table")
    terms = [covariates] if isinstance(covariates, str) else list(covariates)
    needed = [respondent, item, correct] + ([] if isinstance(covariates, str) else terms)
    require_columns(frame, needed, "The results table")
    frame = frame.drop_nulls([respondent, item, correct])
    data = frame.to_pandas()
    data["_resp"] = data[respondent].astype(str)
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    rhs = (
        covariates
        if isinstance(covariates, str)
        else " + ".join(
            t if is_numeric_dtype(data[t]) and not is_bool_dtype(data[t]) else f"C({t})"
            for t in terms
        )
    )
    formula = f"{correct} ~ C(_resp) + {rhs}"
    result = fit_logit(formula, data, data[item])
    params = result.params
    names = [n for n in params.index if not n.startswith("C(_resp)") and n != "Intercept"]
    coefficients = coefficient_table(result, names, level).with_columns(
        odds_ratio=pl.col("estimate").exp(), difficulty_effect=-pl.col("estimate")
    )
    resp_names = sorted(data["_resp"].unique())
    theta = [0.0] + [float(params.get(f"C(_resp)[T.{r}]", np.nan)) for r in resp_names[1:]]
    abilities = pl.DataFrame(
        {"respondent": resp_names, "theta": np.asarray(theta) + float(params["Intercept"])}
    )
    return ExplanatoryFit(
        coefficients=coefficients,
        abilities=abilities,
        n_observations=int(result.nobs),
        n_items=int(data[item].nunique()),
        result=result,
    )
