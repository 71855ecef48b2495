"""Topic profiles: each model's ability per topic, and where it is spiky beyond chance.

One IRT model is fitted to all items. A model's **topic ability** is its ability scored
on the topic's items with the frozen item parameters (on the common scale, with its
posterior SD). Whether a topic is **spiky** for a model is tested against the fitted
model: its score on the topic's items is compared with the score the fitted model
expects from its ability on *all other* items (the two rest on disjoint items), with
the variance of the responses and of that ability estimate. The difference is reported
as ``excess`` accuracy (observed minus expected, on the topic's items) with its SE.

**Adjusting for item format and chance level.** Topics differ in their share of
multiple-choice questions, and a model that guesses (a random baseline, a weak model)
does better on them than an IRT model without guessing expects, on every topic alike.
With ``adjust_for`` (item covariates such as the question type or the number of
options) the expected score is shifted, per covariate level, by the model's mean
residual on the *other* topics' items of that level, so a topic is spiky only when the
model does better or worse than elsewhere on items of the same kind.

p-values are corrected over all (model, topic) cells (Holm by default), and ``spiky``
marks the cells that survive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    format_items,
)
from hierlab.irt._checks import check_count, check_probability, probabilities
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.fit import IRTFit, fit_irt
from hierlab.irt.scoring import estimate_abilities
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_confidence, check_correction
from hierlab.tree import as_tree

__all__ = ["TopicProfiles", "topic_profiles", "topics_from_tree"]

PROFILE_COLUMNS = [
    "model",
    "topic",
    "theta",
    "theta_se",
    "rest_theta",
    "rest_theta_se",
    "n",
    "observed",
    "expected",
    "excess",
    "excess_se",
    "ci_low",
    "ci_high",
    "statistic",
    "p_value",
    "p_adjusted",
    "spiky",
    "rank",
    "overall_rank",
    "rank_change",
]


@dataclass(frozen=True, eq=False)
class TopicProfiles(Result):
    """Per-topic abilities of every model, with spiky cells tested against the fitted model.

    Attributes
    ----------
    profiles : polars.DataFrame
        One row per (model, topic): ``theta, theta_se`` (ability on the topic's items,
        common scale), ``rest_theta, rest_theta_se`` (on all other items), ``n``
        (topic items answered), ``observed`` and ``expected`` (mean score on them, the
        latter from the rest ability, adjusted for the ``adjust_for`` covariates),
        ``excess`` (observed minus expected) with ``excess_se, ci_low, ci_high``,
        ``statistic`` (z), ``p_value`` (two-sided), ``p_adjusted`` (over all cells),
        ``spiky`` (``p_adjusted < significance``), ``rank`` within the topic by
        ``theta``, ``overall_rank`` and ``rank_change`` (positive: better in the topic).
    topics : polars.DataFrame
        ``topic, n_items, profiled``; topics with fewer than ``min_items`` items are
        listed, not profiled.
    overall : IRTFit
        The fit on all items.
    significance : float
        The threshold of ``spiky``.
    correction : str or None
        The multiple-testing correction over cells.
    adjust_for : tuple of str
        The item covariates the expected scores are adjusted for.
    confidence : float
        Coverage of ``ci_low, ci_high``.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(100, 40, seed=0)
    >>> topics = {item: ("algebra" if j < 20 else "geometry") for j, item in enumerate(sim.responses.items)}
    >>> tp = topic_profiles(sim.responses, topics)
    >>> tp.to_polars().columns[:4]
    ['model', 'topic', 'theta', 'theta_se']
    """

    profiles: pl.DataFrame
    topics: pl.DataFrame
    overall: IRTFit
    significance: float = 0.05
    correction: str | None = "holm"
    adjust_for: tuple[str, ...] = ()
    confidence: float = 0.95

    def summary(self) -> Summary:
        """Summarise the profiles: sizes, the test, and the spiky (model, topic) cells.

        Returns
        -------
        Summary

        Examples
        --------
        >>> from hierlab.irt import simulate_responses
        >>> sim = simulate_responses(100, 40, seed=0)
        >>> topics = {item: ("algebra" if j < 20 else "geometry") for j, item in enumerate(sim.responses.items)}
        >>> topic_profiles(sim.responses, topics).summary().title
        'Topic ability profiles (2PL)'
        """
        profiled = self.topics.filter("profiled")
        spiky = self.profiles.filter("spiky").select(
            "model", "topic", "observed", "expected", "excess", "excess_se", "p_adjusted"
        )
        cells = self.profiles.height
        if self.correction in ("holm", "bonferroni"):
            chance = f"P(any spiky cell | no spikes) <= {self.significance:g}"
        elif self.correction == "bh":
            chance = f"expected share of false spiky cells <= {self.significance:g}"
        else:
            chance = f"{self.significance * cells:.1f} spiky cells expected with no spikes"
        return Summary(
            f"Topic ability profiles ({self.overall.irt_model.upper()})",
            facts=[
                ("models", self.overall.n_models),
                ("topics profiled", profiled.height),
                ("topics skipped (too few items)", self.topics.height - profiled.height),
                ("test", "topic score vs the score expected from the ability on other items"),
                ("adjusted for", ", ".join(self.adjust_for) or "nothing"),
                ("correction", f"{self.correction or 'none'} over {cells} cells"),
                ("significance", self.significance),
                ("spiky cells", spiky.height),
                ("chance", chance),
            ],
            tables={"topics": self.topics, "spiky": spiky},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the profiles table, one row per (model, topic).

        Returns
        -------
        polars.DataFrame
            The ``profiles`` table.

        Examples
        --------
        >>> from hierlab.irt import simulate_responses
        >>> sim = simulate_responses(100, 40, seed=0)
        >>> topics = {item: ("algebra" if j < 20 else "geometry") for j, item in enumerate(sim.responses.items)}
        >>> topic_profiles(sim.responses, topics).to_polars().height
        200
        """
        return self.profiles


def topics_from_tree(tree: Any, items: Any, nodes: Any, *, depth: int = 1) -> pl.DataFrame:
    """Return the topic of each item: the path of its node's ancestor at ``depth``.

    Parameters
    ----------
    tree : Tree
        The hierarchy the items sit in.
    items : sequence of str
        Item ids.
    nodes : array of int
        The items' node ids in ``tree`` (same order as ``items``).
    depth : int, default 1
        The depth whose subtrees are the topics (1 = the children of the root).

    Returns
    -------
    polars.DataFrame
        ``item, topic`` (the topic is the ancestor's root-to-node path joined by " / ",
        so equal labels in different branches stay distinct); items shallower than
        ``depth`` are dropped.

    Raises
    ------
    InputShapeError
        ``items`` and ``nodes`` have different lengths.

    Examples
    --------
    >>> from hierlab import Tree
    >>> t = Tree.from_paths(["math/algebra", "math/geometry", "physics/optics"], root="exam")
    >>> nodes = t.find(["math/algebra", "math/geometry", "physics/optics"])
    >>> topics_from_tree(t, ["q1", "q2", "q3"], nodes, depth=1)["topic"].to_list()
    ['exam / math', 'exam / math', 'exam / physics']
    """
    tree = as_tree(tree)
    try:
        item_ids = pl.Series("item", items).cast(pl.String)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        raise InputTypeError(
            f"`items` must be a sequence of item ids, got {type(items).__name__}."
        ) from None
    anc = np.atleast_1d(tree.ancestor_at(nodes, depth))
    if len(anc) != len(item_ids):
        raise InputShapeError(
            f"`items` ({len(item_ids)}) and `nodes` ({len(anc)}) must have the same length."
        )
    keep = anc >= 0
    return pl.DataFrame(
        {"item": item_ids.filter(pl.Series(keep)), "topic": tree.paths(anc[keep], sep=" / ")},
        schema={"item": pl.String, "topic": pl.String},
    )


def _topic_table(
    item_topics: Any, group: str, item: str, adjust_for: tuple[str, ...]
) -> pl.DataFrame:
    if isinstance(item_topics, Mapping):
        if adjust_for:
            raise InputTypeError(
                "`adjust_for` needs `item_topics` as a table holding the covariate columns "
                f"{format_items(adjust_for)}, not a mapping."
            )
        frame = pl.DataFrame(
            {
                "item": [str(k) for k in item_topics],
                "topic": [None if v is None else str(v) for v in item_topics.values()],
            },
            schema={"item": pl.String, "topic": pl.String},
        )
    else:
        frame = as_polars(item_topics, "`item_topics` (a mapping item -> topic, or a table)")
        require_columns(
            frame,
            [item, group, *adjust_for],
            "item_topics",
            "Name them with item=, group= and adjust_for=.",
        )
        frame = frame.select(
            pl.col(item).cast(pl.String).alias("item"),
            pl.col(group).cast(pl.String).alias("topic"),
            *[
                pl.col(c).cast(pl.String).fill_null("(none)").alias(f"_cov{i}")
                for i, c in enumerate(adjust_for)
            ],
        )
    frame = frame.drop_nulls(["item", "topic"])
    repeated = frame.filter(pl.col("item").is_duplicated())["item"].unique(maintain_order=True)
    if repeated.len():
        raise DuplicateRowsError(
            f"{repeated.len()} item(s) appear more than once in item_topics: "
            f"{format_items(repeated.to_list())}; give each item one topic."
        )
    return frame


def _columns(m: ResponseMatrix, keep: np.ndarray) -> ResponseMatrix:
    return ResponseMatrix(
        values=m.values[:, keep],
        models=m.models,
        items=tuple(np.asarray(m.items, dtype=object)[keep].tolist()),
        categories=m.categories,
    )


def _check_covariates(adjust_for: Any) -> tuple[str, ...]:
    if adjust_for is None:
        return ()
    names = [adjust_for] if isinstance(adjust_for, str) else adjust_for
    if not isinstance(names, list | tuple) or not all(isinstance(c, str) for c in names):
        raise InputTypeError(
            "`adjust_for` must be a column name or a list of item covariate columns (such as "
            f"['question_type', 'n_options']), got {type(adjust_for).__name__}."
        )
    return tuple(names)


def topic_profiles(
    responses: Any,
    item_topics: Any,
    *,
    group: str = "topic",
    item: str = "item",
    adjust_for: str | list[str] | None = None,
    irt_model: str = "2pl",
    min_items: int = 20,
    significance: float = 0.05,
    correction: str | None = "holm",
    confidence: float = 0.95,
    **fit_options: Any,
) -> TopicProfiles:
    """Profile every model's ability by topic and test where it is spiky.

    See the module documentation for the test and the covariate adjustment.

    Parameters
    ----------
    responses : IRTFit, ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models x items responses, or a fit of them (reused instead of fitting).
    item_topics : mapping or polars/pandas DataFrame
        Item id -> topic, or a table with the ``item`` and ``group`` columns (and the
        ``adjust_for`` covariates).
    group : str, default "topic"
        The column of ``item_topics`` holding each item's topic.
    item : str, default "item"
        The column of ``item_topics`` holding the item ids.
    adjust_for : str or list of str, optional
        Item covariate columns of ``item_topics`` (format, number of options ...) the
        expected scores are adjusted for; values are taken as categories.
    irt_model : str, default "2pl"
        The IRT model fitted to all items (see :func:`~hierlab.irt.fit_irt`).
    min_items : int, default 20
        Topics with fewer items are listed but not profiled.
    significance : float, default 0.05
        Threshold of ``spiky`` on the adjusted p-values.
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Multiple-testing correction over all (model, topic) cells.
    confidence : float, default 0.95
        Coverage of the interval of ``excess``.
    **fit_options : Any
        Further options of :func:`~hierlab.irt.fit_irt` (``prior``, ``max_iter`` ...).

    Returns
    -------
    TopicProfiles

    Raises
    ------
    InputShapeError
        Items of ``item_topics`` that are not in the responses, a topic holding every
        item, or missing covariate columns.
    EmptyInputError
        No item given a topic, or no topic with ``min_items`` items.
    DuplicateRowsError
        An item is given more than one topic.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(200, 60, seed=0)
    >>> topics = {item: ("algebra" if j < 30 else "geometry") for j, item in enumerate(sim.responses.items)}
    >>> tp = topic_profiles(sim.responses, topics)
    >>> sorted(tp.profiles["topic"].unique().to_list()), int(tp.profiles["spiky"].sum())
    (['algebra', 'geometry'], 0)
    """
    from scipy.stats import norm

    covariates = _check_covariates(adjust_for)
    if isinstance(responses, IRTFit):
        overall = responses
        if overall.responses is None:
            raise InvalidValueError(
                "The fit has no response matrix attached; refit it with fit_irt()."
            )
        m = overall.responses
    else:
        m = as_response_matrix(responses)
        overall = None
    table = _topic_table(item_topics, group, item, covariates)
    correction = check_correction(correction)
    significance = check_probability(significance, "significance")
    confidence = check_confidence(confidence)
    min_items = check_count(min_items, "min_items", 1)
    unknown = table.filter(~pl.col("item").is_in(list(m.items)))
    if unknown.height:
        raise InputShapeError(
            f"{unknown.height} item(s) in item_topics are not in the responses: "
            f"{format_items(unknown['item'].to_list())}."
        )
    if table.height == 0:
        raise EmptyInputError(
            "item_topics gives no item a topic; map item ids to topics (or give a table "
            "with the item and topic columns)."
        )
    names = table["topic"].unique(maintain_order=True)
    index = pl.DataFrame({"item": list(m.items)}, schema={"item": pl.String}).join(
        table, on="item", how="left", maintain_order="left"
    )
    codes = (
        index["topic"]
        .replace_strict(
            names.to_list(), list(range(names.len())), default=-1, return_dtype=pl.Int64
        )
        .to_numpy()
    )
    sizes = np.bincount(codes[codes >= 0], minlength=names.len())
    if not (sizes >= min_items).any():
        raise EmptyInputError(
            f"No topic has at least {min_items} items (the largest has {sizes.max()}); "
            "lower min_items."
        )
    if (sizes == m.n_items).any():
        whole = names[int(np.flatnonzero(sizes == m.n_items)[0])]
        raise InputShapeError(
            f"Topic {whole!r} holds every item; there is nothing to compare it with."
        )
    if covariates:
        level = (
            index.select(pl.concat_str([f"_cov{i}" for i in range(len(covariates))], separator="|"))
            .to_series()
            .fill_null("(none)")
        )
        level_codes = level.cast(pl.Categorical).to_physical().to_numpy().astype(np.int64)
    else:
        level_codes = np.zeros(m.n_items, dtype=np.int64)
    if overall is None:
        overall = fit_irt(m, irt_model, **fit_options)
    obs = m.observed
    x = np.nan_to_num(m.values)
    z_crit = norm.ppf(0.5 + confidence / 2)
    frames = []
    n_levels = int(level_codes.max()) + 1
    for code, name in enumerate(names.to_list()):
        if sizes[code] < min_items:
            continue
        inside = codes == code
        own = estimate_abilities(_columns(m, inside), overall.items)
        rest = estimate_abilities(_columns(m, ~inside), overall.items)
        th = rest["theta"].to_numpy()
        th_se = rest["theta_se"].to_numpy()
        probs = probabilities(overall, th)
        k = np.arange(probs.shape[2], dtype=float)
        e = probs @ k
        v = np.maximum(probs @ k**2 - e**2, 0.0)
        h = 1e-4
        slope = (probabilities(overall, th + h) @ k - probabilities(overall, th - h) @ k) / (2 * h)
        o_in = obs & inside[None, :]
        observed = (x * o_in).sum(axis=1)
        expected = (e * o_in).sum(axis=1)
        variance = (v * o_in).sum(axis=1)
        derivative = (slope * o_in).sum(axis=1)
        if covariates:
            o_out = obs & ~inside[None, :]
            onehot = np.eye(n_levels)[level_codes]  # (J, L)
            n_in = o_in.astype(float) @ onehot  # (N, L): topic items per level
            n_out = o_out.astype(float) @ onehot
            resid_out = ((x - e) * o_out) @ onehot
            var_out = (v * o_out) @ onehot
            slope_out = (slope * o_out) @ onehot
            usable = n_out > 0
            shift = np.where(usable, resid_out / np.where(usable, n_out, 1.0), 0.0)
            expected = expected + (n_in * shift).sum(axis=1)
            variance = variance + np.where(
                usable, n_in**2 * var_out / np.where(usable, n_out, 1.0) ** 2, 0.0
            ).sum(axis=1)
            derivative = derivative - np.where(
                usable, n_in * slope_out / np.where(usable, n_out, 1.0), 0.0
            ).sum(axis=1)
        variance = variance + derivative**2 * th_se**2
        n_answered = o_in.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(variance) / n_answered
            excess = (observed - expected) / n_answered
            statistic = (observed - expected) / np.sqrt(variance)
        frames.append(
            pl.DataFrame(
                {
                    "model": list(m.models),
                    "topic": [name] * m.n_models,
                    "theta": own["theta"],
                    "theta_se": own["theta_se"],
                    "rest_theta": th,
                    "rest_theta_se": th_se,
                    "n": n_answered,
                    "observed": observed / n_answered,
                    "expected": expected / n_answered,
                    "excess": excess,
                    "excess_se": se,
                    "ci_low": excess - z_crit * se,
                    "ci_high": excess + z_crit * se,
                    "statistic": statistic,
                },
                schema_overrides={"model": pl.String, "topic": pl.String},
            )
        )
    profiles = pl.concat(frames).with_columns(pl.selectors.float().fill_nan(None))
    p_value = 2 * norm.sf(np.abs(profiles["statistic"].to_numpy().astype(float)))
    p_adjusted = adjust_pvalues(p_value, correction)
    base = overall.abilities.select(
        "model",
        pl.col("theta").rank("ordinal", descending=True).cast(pl.Int64).alias("overall_rank"),
    )
    profiles = (
        profiles.with_columns(
            p_value=pl.Series(p_value).fill_nan(None),
            p_adjusted=pl.Series(p_adjusted).fill_nan(None),
            rank=pl.col("theta").rank("ordinal", descending=True).over("topic").cast(pl.Int64),
        )
        .join(base, on="model", maintain_order="left")
        .with_columns(
            rank_change=pl.col("overall_rank") - pl.col("rank"),
            spiky=(pl.col("p_adjusted") < significance).fill_null(False),
        )
        .select(PROFILE_COLUMNS)
    )
    topics = pl.DataFrame(
        {"topic": names, "n_items": sizes, "profiled": sizes >= min_items},
        schema={"topic": pl.String, "n_items": pl.Int64, "profiled": pl.Boolean},
    )
    return TopicProfiles(
        profiles=profiles,
        topics=topics,
        overall=overall,
        significance=significance,
        correction=correction,
        adjust_for=covariates,
        confidence=confidence,
    )
