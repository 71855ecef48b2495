"""Ability profiles per topic: one IRT fit per topic, compared with the other items."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    HierlabWarning,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    format_items,
)
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.fit import IRTFit, fit_irt
from hierlab.irt.scoring import estimate_abilities
from hierlab.results import Result, Summary
from hierlab.stats import adjust_pvalues, check_correction
from hierlab.tree import as_tree

__all__ = ["TopicProfiles", "topic_profiles", "topics_from_tree"]

PROFILE_COLUMNS = [
    "model",
    "topic",
    "theta",
    "theta_se",
    "overall_theta",
    "overall_theta_se",
    "rest_theta",
    "rest_theta_se",
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
    """Per-topic abilities of every model, with spiky topics flagged.

    Attributes
    ----------
    profiles : polars.DataFrame
        One row per (model, topic): ``theta, theta_se`` (the topic fit's EAP and
        posterior SD), ``overall_theta, overall_theta_se`` (all items), ``rest_theta,
        rest_theta_se`` (the overall fit scored on every item *outside* the topic),
        ``statistic`` (the z statistic ``(theta - rest_theta) / sqrt(theta_se^2 +
        rest_theta_se^2)``), ``p_value`` (two-sided), ``p_adjusted`` (corrected within
        each model's profile), ``spiky`` (``p_adjusted < significance``), ``rank`` within
        the topic, ``overall_rank`` and ``rank_change`` (positive: a better rank in the
        topic than overall).
    topics : polars.DataFrame
        ``topic, n_items, converged``; topics with fewer than ``min_items`` items are
        listed with ``n_items`` and no fit (``converged`` is null).
    overall : IRTFit
        The fit on all items.
    significance : float
        The threshold of ``spiky``.
    correction : str or None
        The multiple-testing correction behind ``p_adjusted``.

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
        fitted = self.topics.filter(pl.col("converged").is_not_null())
        spiky = self.profiles.filter("spiky").select(
            "model", "topic", "theta", "rest_theta", "p_adjusted", "rank_change"
        )
        return Summary(
            f"Topic ability profiles ({self.overall.irt_model.upper()})",
            facts=[
                ("models", self.overall.n_models),
                ("topics profiled", fitted.height),
                ("topics skipped (too few items)", self.topics.height - fitted.height),
                ("test", "z, topic ability vs ability on the other items"),
                ("correction", self.correction or "none"),
                ("significance", self.significance),
                ("spiky cells", spiky.height),
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


def _topic_table(item_topics: Any, group: str, item: str) -> pl.DataFrame:
    if isinstance(item_topics, Mapping):
        frame = pl.DataFrame(
            {
                "item": [str(k) for k in item_topics],
                "topic": [None if v is None else str(v) for v in item_topics.values()],
            },
            schema={"item": pl.String, "topic": pl.String},
        )
    else:
        frame = as_polars(item_topics, "`item_topics` (a mapping item -> topic, or a table)")
        require_columns(frame, [item, group], "item_topics", "Name them with item=, group=.")
        frame = frame.select(
            pl.col(item).cast(pl.String).alias("item"), pl.col(group).cast(pl.String).alias("topic")
        )
    frame = frame.drop_nulls()
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


def topic_profiles(
    responses: Any,
    item_topics: Any,
    *,
    group: str = "topic",
    item: str = "item",
    irt_model: str = "2pl",
    min_items: int = 20,
    significance: float = 0.05,
    correction: str | None = "holm",
    **fit_options: Any,
) -> TopicProfiles:
    """Fit one IRT model per topic and compare each model's topic ability with the rest.

    Every fit anchors abilities to N(0, 1), so a topic ability says where a model stands
    among the models on that topic; a topic is *spiky* for a model when that standing
    differs significantly from its standing on all other items (corrected over the
    model's topics). The comparison is with the other items, not with all items: the two
    estimates then rest on disjoint items and are independent, whereas the overall
    ability contains the topic itself and hides its spikes.

    Parameters
    ----------
    responses : ResponseMatrix, polars/pandas DataFrame or 2-D array
        Models x items responses.
    item_topics : mapping or polars/pandas DataFrame
        Item id -> topic, or a table with the ``item`` and ``group`` columns.
    group : str, default "topic"
        The column of ``item_topics`` holding each item's topic.
    item : str, default "item"
        The column of ``item_topics`` holding the item ids.
    irt_model : str, default "2pl"
        The IRT model of every fit (see :func:`~hierlab.irt.fit_irt`).
    min_items : int, default 20
        Topics with fewer items are skipped (and listed in ``topics``).
    significance : float, default 0.05
        Threshold of ``spiky`` on the adjusted p-values.
    correction : {"holm", "bh", "bonferroni"} or None, default "holm"
        Multiple-testing correction over each model's topics.
    **fit_options : Any
        Further options of :func:`~hierlab.irt.fit_irt` (``prior``, ``max_iter`` ...).

    Returns
    -------
    TopicProfiles

    Raises
    ------
    InputShapeError
        Items of ``item_topics`` that are not in the responses, or no topic with
        ``min_items`` items.
    DuplicateRowsError
        An item is given more than one topic.

    Examples
    --------
    >>> from hierlab.irt import simulate_responses
    >>> sim = simulate_responses(200, 60, seed=0)
    >>> topics = {item: ("algebra" if j < 30 else "geometry") for j, item in enumerate(sim.responses.items)}
    >>> tp = topic_profiles(sim.responses, topics)
    >>> sorted(tp.profiles["topic"].unique().to_list())
    ['algebra', 'geometry']
    """
    m = as_response_matrix(responses)
    table = _topic_table(item_topics, group, item)
    correction = check_correction(correction)
    if isinstance(significance, bool) or not isinstance(significance, int | float):
        raise InputTypeError(f"`significance` must be a number such as 0.05, got {significance!r}.")
    if not 0 < significance < 1:
        raise InvalidValueError(f"`significance` must be in (0, 1), got {significance!r}.")
    unknown = table.filter(~pl.col("item").is_in(list(m.items)))
    if unknown.height:
        raise InputShapeError(
            f"{unknown.height} item(s) in item_topics are not in the responses: "
            f"{format_items(unknown['item'].to_list())}."
        )
    names = table["topic"].unique(maintain_order=True)
    coded = table.with_columns(
        code=pl.col("topic").replace_strict(
            names.to_list(), list(range(names.len())), return_dtype=pl.Int64
        )
    )
    codes = (  # each response column's topic code; -1 for items without a topic
        pl.DataFrame({"item": list(m.items)}, schema={"item": pl.String})
        .join(coded, on="item", how="left", maintain_order="left")["code"]
        .fill_null(-1)
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
    overall = fit_irt(m, irt_model, **fit_options)
    frames, converged = [], []
    for code, name in enumerate(names.to_list()):
        if sizes[code] < min_items:
            converged.append(None)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            fit = fit_irt(_columns(m, codes == code), irt_model, **fit_options)
        converged.append(fit.converged)
        rest = estimate_abilities(_columns(m, codes != code), overall.items)
        frames.append(
            fit.abilities.select(
                "model",
                pl.lit(name, dtype=pl.String).alias("topic"),
                "theta",
                "theta_se",
                pl.col("theta").rank("ordinal", descending=True).cast(pl.Int64).alias("rank"),
                rest["theta"].alias("rest_theta"),
                rest["theta_se"].alias("rest_theta_se"),
            )
        )
    topics = pl.DataFrame(
        {"topic": names, "n_items": sizes, "converged": converged},
        schema={"topic": pl.String, "n_items": pl.Int64, "converged": pl.Boolean},
    )
    base = overall.abilities.select(
        "model",
        pl.col("theta").alias("overall_theta"),
        pl.col("theta_se").alias("overall_theta_se"),
        pl.col("theta").rank("ordinal", descending=True).cast(pl.Int64).alias("overall_rank"),
    )
    from scipy.stats import norm

    profiles = pl.concat(frames).join(base, on="model", maintain_order="left")
    statistic = (
        (profiles["theta"] - profiles["rest_theta"])
        / (profiles["theta_se"] ** 2 + profiles["rest_theta_se"] ** 2).sqrt()
    ).to_numpy()
    p_value = 2 * norm.sf(np.abs(statistic))
    p_adjusted = np.empty(profiles.height)
    for (_,), rows in profiles.with_row_index("row").group_by("model"):
        index = rows["row"].to_numpy()
        p_adjusted[index] = adjust_pvalues(p_value[index], correction)
    profiles = profiles.with_columns(
        statistic=pl.Series(statistic),
        p_value=pl.Series(p_value),
        p_adjusted=pl.Series(p_adjusted),
        rank_change=pl.col("overall_rank") - pl.col("rank"),
    ).with_columns(spiky=pl.col("p_adjusted") < significance)
    return TopicProfiles(
        profiles=profiles.select(PROFILE_COLUMNS),
        topics=topics,
        overall=overall,
        significance=float(significance),
        correction=correction,
    )
