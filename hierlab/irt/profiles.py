"""Ability profiles per topic: one IRT fit per topic, compared with the overall fit."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_polars, require_columns
from hierlab.errors import HierlabWarning, InputShapeError, format_items
from hierlab.irt.data import ResponseMatrix, as_response_matrix
from hierlab.irt.fit import IRTFit, fit_irt
from hierlab.irt.scoring import score
from hierlab.stats import adjust_pvalues

__all__ = ["TopicProfiles", "topic_profiles", "topics_from_tree"]


@dataclass(frozen=True)
class TopicProfiles:
    """Per-topic abilities of every respondent, with spiky topics flagged.

    Attributes
    ----------
    profiles : polars.DataFrame
        One row per (respondent, topic): ``theta, se`` (the topic fit's EAP and posterior
        SD), ``overall_theta, overall_se`` (all items), ``rest_theta, rest_se`` (the
        overall model scored on every item *outside* the topic), ``z = (theta -
        rest_theta) / sqrt(se^2 + rest_se^2)``, ``p``, ``p_holm`` (Holm-adjusted within
        each respondent's profile), ``spiky`` (p_holm < alpha), ``rank`` within the
        topic, ``overall_rank`` and ``rank_change`` (positive: better rank in the topic
        than overall).
    topics : polars.DataFrame
        ``topic, n_items, converged``; topics with fewer than ``min_items`` items are
        listed with ``n_items`` and no fit.
    overall : IRTFit
    """

    profiles: pl.DataFrame
    topics: pl.DataFrame
    overall: IRTFit


def topics_from_tree(items: Any, nodes: Any, tree: Any, depth: int = 1) -> pl.DataFrame:
    """Topic of each item = the label of its node's ancestor at ``depth`` in a Tree.

    Parameters
    ----------
    items : sequence of item ids
    nodes : the items' node ids in ``tree`` (same order)
    tree : hierlab.Tree
    depth : the level whose subtrees are the topics (1 = children of the root)

    Returns
    -------
    polars.DataFrame
        ``item, topic`` (the topic is the ancestor's root-to-node path joined by " / ",
        so equal labels in different branches stay distinct); items shallower than
        ``depth`` are dropped.

    Examples
    --------
    >>> from hierlab import Tree
    >>> t = Tree.from_paths(["math/algebra", "math/geometry", "physics/optics"], root="exam")
    >>> nodes = t.find(["math/algebra", "math/geometry", "physics/optics"])
    >>> topics_from_tree(["q1", "q2", "q3"], nodes, t, depth=1)["topic"].to_list()
    ['exam / math', 'exam / math', 'exam / physics']
    """
    node_ids = np.asarray(nodes, dtype=np.int64)
    anc = tree.ancestor_at(node_ids, depth)
    keep = anc >= 0
    names = tree.paths(anc[keep], sep=" / ")
    return pl.DataFrame(
        {"item": [str(i) for i, k in zip(items, keep, strict=True) if k], "topic": names}
    )


def _topic_table(item_topics: Any, topic_column: str) -> pl.DataFrame:
    if isinstance(item_topics, dict):
        return pl.DataFrame(
            {"item": list(item_topics), "topic": [str(v) for v in item_topics.values()]}
        )
    frame = as_polars(item_topics, "item_topics")
    require_columns(frame, ["item", topic_column], "item_topics")
    return frame.select(
        pl.col("item").cast(pl.String), pl.col(topic_column).cast(pl.String).alias("topic")
    )


def topic_profiles(
    responses: Any,
    item_topics: Any,
    topic_column: str = "topic",
    model: str = "2pl",
    min_items: int = 20,
    alpha: float = 0.05,
    **fit_options: Any,
) -> TopicProfiles:
    """Fit one model per topic and compare each respondent's topic abilities with overall.

    Every fit anchors abilities to N(0, 1), so a topic ability says where a model stands
    among the respondents on that topic; a topic is *spiky* for a model when that standing
    differs significantly from its standing on all other items (Holm-corrected over the
    model's topics). The comparison is with the other items, not with all items: the two
    estimates then rest on disjoint items and are independent, whereas the overall
    ability contains the topic itself and hides its spikes.

    Parameters
    ----------
    responses : respondents x items responses
    item_topics : dict item -> topic, or a table with ``item`` and ``topic_column``
    topic_column : str, default "topic"
    model : IRT model for every fit
    min_items : topics with fewer items are skipped (and listed)
    alpha : significance level for ``spiky``

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
    table = _topic_table(item_topics, topic_column)
    unknown = table.filter(~pl.col("item").is_in(list(m.items)))
    if unknown.height:
        raise InputShapeError(
            f"{unknown.height} item(s) in item_topics are not in the responses: "
            f"{format_items(unknown['item'].to_list())}."
        )
    overall = fit_irt(m, model, **fit_options)
    base = overall.abilities.select(
        "respondent",
        pl.col("theta").alias("overall_theta"),
        pl.col("theta_sd").alias("overall_se"),
        pl.col("theta").rank("ordinal", descending=True).cast(pl.Int64).alias("overall_rank"),
    )
    index = {item: j for j, item in enumerate(m.items)}
    frames, topic_rows = [], []
    for topic, group in table.group_by("topic", maintain_order=True):
        name = topic[0]
        cols = [index[i] for i in group["item"].to_list()]
        if len(cols) < min_items:
            topic_rows.append((name, len(cols), None))
            continue
        sub = ResponseMatrix(
            values=m.values[:, cols],
            respondents=m.respondents,
            items=tuple(m.items[c] for c in cols),
            categories=m.categories,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            fit = fit_irt(sub, model, **fit_options)
        topic_rows.append((name, len(cols), fit.converged))
        frames.append(
            fit.abilities.select(
                "respondent",
                pl.lit(name).alias("topic"),
                "theta",
                pl.col("theta_sd").alias("se"),
                pl.col("theta").rank("ordinal", descending=True).cast(pl.Int64).alias("rank"),
            )
        )
    topics = pl.DataFrame(topic_rows, schema=["topic", "n_items", "converged"], orient="row")
    if not frames:
        raise InputShapeError(f"No topic has at least {min_items} items; lower min_items.")
    from scipy.stats import norm

    rest_frames = []
    for name in [row[0] for row in topic_rows if row[2] is not None]:
        inside = set(table.filter(pl.col("topic") == name)["item"].to_list())
        keep = [j for j, item in enumerate(m.items) if item not in inside]
        if not keep:
            raise InputShapeError(
                f"Topic {name!r} holds every item; there is nothing to compare it with."
            )
        rest = ResponseMatrix(
            m.values[:, keep], m.respondents, tuple(m.items[j] for j in keep), m.categories
        )
        rest_frames.append(
            score(rest, overall).select(
                "respondent",
                pl.lit(name).alias("topic"),
                pl.col("theta").alias("rest_theta"),
                pl.col("theta_sd").alias("rest_se"),
            )
        )
    profiles = (
        pl.concat(frames)
        .join(base, on="respondent")
        .join(pl.concat(rest_frames), on=["respondent", "topic"])
    )
    z = (profiles["theta"] - profiles["rest_theta"]) / (
        profiles["se"] ** 2 + profiles["rest_se"] ** 2
    ).sqrt()
    profiles = profiles.with_columns(z=z, p=pl.Series(2 * norm.sf(np.abs(z.to_numpy()))))
    holm = np.empty(profiles.height)
    for _, idx in profiles.with_row_index().group_by("respondent"):
        rows = idx["index"].to_numpy()
        holm[rows] = adjust_pvalues(idx["p"].to_numpy(), "holm")
    profiles = profiles.with_columns(
        p_holm=pl.Series(holm),
        rank_change=pl.col("overall_rank") - pl.col("rank"),
    ).with_columns(spiky=pl.col("p_holm") < alpha)
    order = [
        "respondent",
        "topic",
        "theta",
        "se",
        "overall_theta",
        "overall_se",
        "rest_theta",
        "rest_se",
        "z",
        "p",
        "p_holm",
        "spiky",
        "rank",
        "overall_rank",
        "rank_change",
    ]
    return TopicProfiles(profiles=profiles.select(order), topics=topics, overall=overall)
