"""IRT charts.

Item characteristic curves, information, the Wright map, topic profiles, the item audit
against chance, item fit, local dependence and DIF.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from hierlab.errors import InputTypeError, InvalidValueError, format_items
from hierlab.irt.audit import ItemAudit, audit_items
from hierlab.irt.diagnostics import information_curves
from hierlab.irt.fit import IRTFit, as_irt_fit
from hierlab.irt.localdep import LocalDependence
from hierlab.plot._common import limit, need, table
from hierlab.plot.theme import DOUBLE_COLUMN, SINGLE_COLUMN

__all__ = [
    "audit_item_plot",
    "audit_plot",
    "dif_plot",
    "icc_plot",
    "information_plot",
    "item_fit_plot",
    "local_dependence_plot",
    "profile_dots",
    "profile_heatmap",
    "wright_map",
]

GRID = np.linspace(-4, 4, 81)


def icc_plot(
    fit: Any,
    *,
    items: list[str] | None = None,
    title: str = "Item characteristic curves",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Plot P(right) against ability for a few items of a binary IRT fit.

    Parameters
    ----------
    fit : IRTFit
        A binary fit (Rasch, 1PL, 2PL or 3PL).
    items : list of str, optional
        The items to draw (default: 6 items spread over the difficulty range).
    title : str, default "Item characteristic curves"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.Chart

    Raises
    ------
    InvalidValueError
        A graded fit, or item ids that are not items of the fit.

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
    >>> icc_plot(fit).to_dict()["mark"]["type"]
    'line'
    """
    import altair as alt

    fit = as_irt_fit(fit)
    if fit.irt_model == "grm":
        raise InvalidValueError(
            "icc_plot draws binary items; this is a graded (GRM) fit. Plot its category "
            "probabilities from fit.category_probabilities() instead."
        )
    names = fit.items["item"]
    if items is None:
        order = fit.items.sort("b")["item"].to_list()
        items = [order[i] for i in np.linspace(0, len(order) - 1, min(6, len(order))).astype(int)]
    unknown = sorted(set(items) - set(names.to_list()))
    if unknown:
        raise InvalidValueError(f"`items` names items the fit lacks: {format_items(unknown)}.")
    chosen = np.flatnonzero(names.is_in(items).to_numpy())
    p = fit.category_probabilities(GRID)[:, chosen, 1]
    frame = pl.DataFrame(
        {
            "theta": np.repeat(GRID, len(chosen)),
            "item": np.tile(names.to_numpy()[chosen], len(GRID)),
            "p": p.ravel(),
        }
    )
    return (
        alt.Chart(frame, title=title)
        .mark_line()
        .encode(
            x=alt.X("theta:Q", title="Ability (θ)"),
            y=alt.Y("p:Q", title="P(right)", scale=alt.Scale(domain=[0, 1])),
            color=alt.Color("item:N", title="Item"),
            tooltip=[
                "item:N",
                alt.Tooltip("theta:Q", format=".2f"),
                alt.Tooltip("p:Q", format=".3f"),
            ],
        )
        .properties(width=width, height=180)
    )


def information_plot(
    fit: Any, *, title: str = "Test information", width: int = SINGLE_COLUMN
) -> Any:
    """Plot the test information and the standard error of ability over the ability range.

    Parameters
    ----------
    fit : IRTFit
        The fitted model.
    title : str, default "Test information"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(300, 10, seed=0).responses)
    >>> [layer["mark"]["type"] for layer in information_plot(fit).to_dict()["layer"]]
    ['line', 'line']
    """
    import altair as alt

    test = information_curves(as_irt_fit(fit), GRID).test
    base = alt.Chart(test, title=title).encode(x=alt.X("theta:Q", title="Ability (θ)"))
    tips = [
        alt.Tooltip("theta:Q", format=".2f"),
        alt.Tooltip("information:Q", format=".1f"),
        alt.Tooltip("theta_se:Q", format=".3f"),
    ]
    info = base.mark_line(color="#0072B2").encode(
        y=alt.Y("information:Q", title="Test information", axis=alt.Axis(titleColor="#0072B2")),
        tooltip=tips,
    )
    se = base.mark_line(color="#D55E00", strokeDash=[4, 2]).encode(
        y=alt.Y("theta_se:Q", title="Standard error of θ", axis=alt.Axis(titleColor="#D55E00")),
        tooltip=tips,
    )
    return alt.layer(info, se).resolve_scale(y="independent").properties(width=width, height=160)


def wright_map(
    fit: Any,
    *,
    title: str = "Abilities and item difficulties",
    width: int = SINGLE_COLUMN,
    label_top: int = 12,
) -> Any:
    """Plot a Wright map: model abilities beside a histogram of item difficulties.

    Models are points on the same logit scale as the difficulties (the first threshold
    for graded items); the ``label_top`` most able are named, their labels spread apart
    so that none overlaps, each joined to its point by a thin line. Items that every
    model got right or every model got wrong have no difficulty the data can place (it
    rests on the prior): they are left out of the histogram and counted in its title.

    Parameters
    ----------
    fit : IRTFit
        The fitted model.
    title : str, default "Abilities and item difficulties"
        Chart title.
    width : int, default SINGLE_COLUMN
        Width of the whole chart in pixels.
    label_top : int, default 12
        How many of the most able models are labelled by name.

    Returns
    -------
    altair.HConcatChart

    Examples
    --------
    >>> from hierlab.irt import fit_irt, simulate_responses
    >>> fit = fit_irt(simulate_responses(30, 40, seed=0).responses)
    >>> len(wright_map(fit).to_dict()["hconcat"])
    2
    """
    import altair as alt

    fit = as_irt_fit(fit)
    if not isinstance(label_top, int) or isinstance(label_top, bool) or label_top < 0:
        raise InvalidValueError(
            f"`label_top` must be a whole number of models to name (0 or more), got {label_top!r}."
        )
    its = fit.items
    b = its["b"] if "b" in its.columns else its["b1"]
    placed = b.is_finite()
    if "flag" in its.columns:
        placed = placed & ~its["flag"].is_in(["all correct", "all wrong"]).fill_null(False)
    n_constant = its.height - int(placed.sum())
    b = b.filter(placed)
    n_clipped = int((b.abs() > 6).sum())
    b = b.clip(-6, 6)
    theta = fit.abilities["theta"]
    lo = float(min(b.min() if b.len() else 0.0, theta.min())) - 0.5
    hi = float(max(b.max() if b.len() else 0.0, theta.max())) + 0.5
    height = 300
    ab = limit(fit.abilities, "wright_map").sort("theta", descending=True)
    # labels of the most able models, pushed down just enough never to overlap: the
    # running minimum of theta_i + i * gap, minus i * gap, keeps each label at least one
    # line below the previous one
    gap = (hi - lo) * 11 / height
    named = min(label_top, ab.height)
    steps = np.arange(named) * gap
    label_y = np.minimum.accumulate(ab["theta"].to_numpy()[:named] + steps) - steps
    if named:
        lo = min(lo, float(label_y.min()) - gap)
    scale = alt.Scale(domain=[lo, hi])
    labels = ab.head(named).with_columns(label_y=pl.Series(label_y), x0=pl.lit(14), x1=pl.lit(40))
    x_scale = alt.Scale(domain=[0, 150])
    people = (
        alt.Chart(ab.with_columns(x0=pl.lit(14)))
        .mark_point(filled=True, size=35)
        .encode(
            y=alt.Y("theta:Q", title="Logit scale (θ and b)", scale=scale),
            x=alt.X("x0:Q", axis=None, scale=x_scale),
            tooltip=[
                "model:N",
                alt.Tooltip("theta:Q", format=".2f"),
                alt.Tooltip("theta_se:Q", format=".2f"),
            ],
        )
    )
    leaders = (
        alt.Chart(labels)
        .mark_rule(color="#999999", strokeWidth=0.6)
        .encode(
            x=alt.X("x0:Q", scale=x_scale, axis=None),
            x2="x1:Q",
            y=alt.Y("theta:Q", scale=scale),
            y2="label_y:Q",
        )
    )
    names = (
        alt.Chart(labels)
        .mark_text(align="left", dx=3, fontSize=8)
        .encode(
            y=alt.Y("label_y:Q", scale=scale),
            x=alt.X("x1:Q", axis=None, scale=x_scale),
            text="model:N",
        )
    )
    notes = []
    if n_constant:
        notes.append(f"{n_constant} all right or wrong: omitted")
    if n_clipped:
        notes.append(f"{n_clipped} beyond ±6: end bins")
    hist_title = ["Item difficulty", *(f"({note})" for note in notes)]
    hist = (
        alt.Chart(pl.DataFrame({"b": b.to_numpy()}))
        .mark_bar(color="#E69F00")
        .encode(
            y=alt.Y("b:Q", bin=alt.Bin(maxbins=30), title=None, scale=scale),
            x=alt.X("count():Q", title="Items"),
            tooltip=[alt.Tooltip("count():Q", title="items")],
        )
    )
    left = alt.layer(people, leaders, names).properties(
        width=width * 0.6, height=height, title="Models"
    )
    return alt.hconcat(
        left, hist.properties(width=width * 0.6, height=height, title=hist_title), title=title
    )


def profile_heatmap(
    profiles: Any,
    *,
    title: str = "Topic profiles: accuracy beyond what ability predicts",
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Plot a model x topic heatmap; only cells that survive the correction are outlined.

    Cells are coloured by ``excess`` (observed minus expected accuracy on the topic's
    items, the expectation coming from the model's ability on the other items), or by
    the topic ability ``theta`` for tables without it. The outline marks ``spiky`` cells
    (adjusted p-value below the significance level); tooltips give the SEs.

    Parameters
    ----------
    profiles : TopicProfiles or polars/pandas DataFrame
        A :func:`~hierlab.irt.topic_profiles` result or its ``profiles`` table
        (``model, topic`` and ``excess`` or ``theta``; optionally ``spiky``).
    title : str, default "Topic profiles: accuracy beyond what ability predicts"
        Chart title.
    width : int, default DOUBLE_COLUMN
        Maximum chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["m"], "topic": ["A"], "excess": [0.1], "excess_se": [0.03], "spiky": [True]})
    >>> [layer["mark"]["type"] for layer in profile_heatmap(t).to_dict()["layer"]]
    ['rect', 'rect']
    """
    import altair as alt

    frame = limit(table(profiles, "profiles"), "profile_heatmap")
    need(frame, ["model", "topic"], "profile_heatmap")
    value = "excess" if "excess" in frame.columns else "theta"
    need(frame, [value], "profile_heatmap")
    legend = "Observed - expected accuracy" if value == "excess" else "Topic ability (θ)"
    tips = [
        alt.Tooltip(c, format=".3f") if frame[c].dtype.is_float() else alt.Tooltip(c)
        for c in (
            "model",
            "topic",
            "observed",
            "expected",
            "excess",
            "excess_se",
            "theta",
            "theta_se",
            "p_adjusted",
            "spiky",
        )
        if c in frame.columns
    ]
    base = alt.Chart(frame).encode(
        x=alt.X("topic:N", title=None, axis=alt.Axis(labelAngle=-35)),
        y=alt.Y("model:N", title=None),
    )
    limit_value = float(frame[value].abs().max() or 1.0)
    rect = base.mark_rect().encode(
        color=alt.Color(
            f"{value}:Q",
            title=legend,
            scale=alt.Scale(scheme="blueorange", domainMid=0, domain=[-limit_value, limit_value]),
        ),
        tooltip=tips,
    )
    layers = [rect]
    if "spiky" in frame.columns:
        layers.append(
            base.transform_filter("datum.spiky")
            .mark_rect(fill=None, stroke="black", strokeWidth=2)
            .encode(tooltip=tips)
        )
    return alt.layer(*layers, title=title).properties(
        width=min(width, 50 * frame["topic"].n_unique()), height=14 * frame["model"].n_unique()
    )


def profile_dots(
    profiles: Any,
    *,
    models: list[str] | None = None,
    title: str = "Topic abilities with 95% intervals",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Plot topic abilities with 95% intervals against the ability on the other items.

    Parameters
    ----------
    profiles : TopicProfiles or polars/pandas DataFrame
        A :func:`~hierlab.irt.topic_profiles` result or its ``profiles`` table
        (``model, topic, theta, theta_se`` and optionally ``rest_theta``, ``spiky``).
    models : list of str, optional
        The models to show, one facet row each (default: all).
    title : str, default "Topic abilities with 95% intervals"
        Chart title.
    width : int, default SINGLE_COLUMN
        Width of each facet in pixels.

    Returns
    -------
    altair.FacetChart

    Examples
    --------
    >>> t = pl.DataFrame({"model": ["m"], "topic": ["A"], "theta": [0.5], "theta_se": [0.2], "rest_theta": [0.1], "spiky": [False]})
    >>> profile_dots(t).to_dict()["facet"]["row"]["field"]
    'model'
    """
    import altair as alt

    frame = table(profiles, "profiles")
    need(frame, ["model", "topic", "theta", "theta_se"], "profile_dots")
    if models is not None:
        frame = frame.filter(pl.col("model").is_in(list(models)))
    frame = limit(
        frame.with_columns(
            lo=pl.col("theta") - 1.96 * pl.col("theta_se"),
            hi=pl.col("theta") + 1.96 * pl.col("theta_se"),
        ),
        "profile_dots",
    )
    color = (
        alt.Color(
            "spiky:N",
            title="Spiky",
            scale=alt.Scale(domain=[False, True], range=["#0072B2", "#D55E00"]),
        )
        if "spiky" in frame.columns
        else alt.value("#0072B2")
    )
    base = alt.Chart().encode(y=alt.Y("topic:N", title=None))
    layers = [
        base.mark_rule().encode(x=alt.X("lo:Q", title="Ability (θ)"), x2="hi:Q", color=color),
        base.mark_point(filled=True, size=35).encode(
            x="theta:Q", color=color, tooltip=list(frame.columns)
        ),
    ]
    if "rest_theta" in frame.columns:
        layers.append(base.mark_tick(color="black", thickness=1).encode(x="rest_theta:Q"))
    return (
        alt.layer(*layers, data=frame)
        .properties(width=width, height=14 * frame["topic"].n_unique())
        .facet(row=alt.Row("model:N", title=None), title=title)
    )


def _as_audit(audit: Any) -> ItemAudit:
    """Return ``audit`` as an ItemAudit (a fit is audited with the defaults), or raise."""
    if isinstance(audit, IRTFit):
        return audit_items(audit)
    if not isinstance(audit, ItemAudit):
        raise InputTypeError(
            f"`audit` must be an ItemAudit (from audit_items) or an IRTFit, got "
            f"{type(audit).__name__}."
        )
    return audit


def audit_plot(
    audit: Any,
    *,
    title: str = "Item audit: flags against chance",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Plot the item audit: flags per category, with the number expected by chance.

    Bars count the items in each category; for the tested rules a black rule spans the
    central range of the number of flags expected by chance under the fitted model, with
    a diamond at its mean. Descriptive categories (never or always solved, extreme
    difficulty) have no chance expectation.

    Parameters
    ----------
    audit : ItemAudit or IRTFit
        An :func:`~hierlab.irt.audit_items` result, or a fit (audited with the defaults).
    title : str, default "Item audit: flags against chance"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> from hierlab.irt import audit_items, fit_irt, simulate_responses
    >>> audit = audit_items(fit_irt(simulate_responses(300, 20, seed=0).responses), n_boot=20)
    >>> [layer["mark"]["type"] for layer in audit_plot(audit).to_dict()["layer"]]
    ['bar', 'rule', 'point']
    """
    import altair as alt

    audit = _as_audit(audit)
    frame = audit.rules.with_columns(
        label=pl.when(pl.col("kind") == "tested")
        .then(pl.col("rule"))
        .otherwise(pl.col("rule") + " (descriptive)")
    )
    order = frame["label"].to_list()
    y = alt.Y("label:N", title=None, sort=order)
    tips = [
        alt.Tooltip("rule:N"),
        alt.Tooltip("kind:N"),
        alt.Tooltip("flagged:Q", title="items"),
        alt.Tooltip("expected:Q", title="expected by chance", format=".1f"),
        alt.Tooltip("chance_low:Q", title="chance range from", format=".0f"),
        alt.Tooltip("chance_high:Q", title="chance range to", format=".0f"),
        alt.Tooltip("note:N"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(opacity=0.85)
        .encode(
            x=alt.X("flagged:Q", title="Items"),
            y=y,
            color=alt.Color(
                "kind:N",
                title="Category",
                scale=alt.Scale(domain=["tested", "descriptive"], range=["#D55E00", "#999999"]),
            ),
            tooltip=tips,
        )
    )
    tested = frame.filter(pl.col("expected").is_not_null())
    chance = (
        alt.Chart(tested)
        .mark_rule(color="black", strokeWidth=2)
        .encode(x="chance_low:Q", x2="chance_high:Q", y=y, tooltip=tips)
    )
    mean = (
        alt.Chart(tested)
        .mark_point(shape="diamond", filled=True, color="black", size=50)
        .encode(x="expected:Q", y=y, tooltip=tips)
    )
    return alt.layer(bars, chance, mean, title=title).properties(
        width=width, height=22 * frame.height
    )


def audit_item_plot(
    audit: Any,
    *,
    title: str = "Item audit: every item",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Plot every audited item: its item-rest correlation against its difficulty.

    One point per item, coloured by its audit outcome: flagged by a tested rule (its
    reasons in the tooltip), only in a descriptive category (never or always solved,
    extreme difficulty), or unremarkable. A reversed key sits low (negative item-rest
    correlation); a dashed rule marks 0. Items without a difficulty (a graded fit) are
    placed by their proportion correct instead. This is the chart to click through;
    :func:`audit_plot` is the summary against chance.

    Parameters
    ----------
    audit : ItemAudit or IRTFit
        An :func:`~hierlab.irt.audit_items` result, or a fit (audited with the defaults).
    title : str, default "Item audit: every item"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.Chart
        A point chart with the item in its data (``item`` field), ready for a selection.

    Examples
    --------
    >>> from hierlab.irt import audit_items, fit_irt, simulate_responses
    >>> audit = audit_items(fit_irt(simulate_responses(300, 20, seed=0).responses), n_boot=20)
    >>> audit_item_plot(audit).to_dict()["mark"]["type"]
    'point'
    """
    import altair as alt

    audit = _as_audit(audit)
    frame = limit(audit.items, "audit_item_plot")
    x_column, x_title = ("b", "Difficulty b") if "b" in frame.columns else ("mean", "Share correct")
    reasons = pl.col("reasons").list.join(", ")
    frame = frame.with_columns(
        outcome=pl.when(pl.col("flagged"))
        .then(pl.lit("flagged"))
        .when(pl.col("reasons").list.len() > 0)
        .then(pl.lit("descriptive only"))
        .otherwise(pl.lit("no flag")),
        why=pl.when(pl.col("reasons").list.len() > 0).then(reasons).otherwise(pl.lit("none")),
    ).select("item", x_column, "item_rest", "outcome", "why")
    return (
        alt.Chart(frame, title=title)
        .mark_point(filled=True, size=30, opacity=0.8)
        .encode(
            x=alt.X(f"{x_column}:Q", title=x_title),
            y=alt.Y("item_rest:Q", title="Item-rest correlation"),
            color=alt.Color(
                "outcome:N",
                title="Audit",
                scale=alt.Scale(
                    domain=["flagged", "descriptive only", "no flag"],
                    range=["#D55E00", "#0072B2", "#BBBBBB"],
                ),
            ),
            tooltip=[
                alt.Tooltip("item:N"),
                alt.Tooltip("why:N", title="reasons"),
                alt.Tooltip(f"{x_column}:Q", format=".2f"),
                alt.Tooltip("item_rest:Q", title="item-rest r", format=".2f"),
            ],
        )
        .properties(width=width, height=200)
    )


def dif_plot(
    dif: Any, *, title: str = "Differential item functioning", width: int = SINGLE_COLUMN
) -> Any:
    """Plot every item's DIF effect against -log10 adjusted p, coloured by ETS class.

    Binary items: the ETS delta (Mantel-Haenszel), with dashed rules at the B (|delta| =
    1) and C (|delta| = 1.5) bands. Graded items: the standardised mean difference over
    the item's SD, with rules at 0.17 and 0.25.

    Parameters
    ----------
    dif : DIFResult or polars/pandas DataFrame
        A :func:`~hierlab.irt.dif` result or its table (``item, ets_delta,
        mh_p_adjusted`` or ``item, smd_effect, mantel_p_adjusted``; optionally
        ``ets_class``, ``flagged``).
    title : str, default "Differential item functioning"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"item": ["q1"], "ets_delta": [-1.8], "mh_p_adjusted": [0.001], "ets_class": ["C"], "flagged": [True]})
    >>> dif_plot(t).to_dict()["layer"][0]["mark"]["type"]
    'rule'
    """
    import altair as alt

    frame = limit(table(dif, "table"), "dif_plot")
    graded = "ets_delta" not in frame.columns
    effect, p_col = (
        ("smd_effect", "mantel_p_adjusted") if graded else ("ets_delta", "mh_p_adjusted")
    )
    need(frame, ["item", effect, p_col], "dif_plot")
    shown = [c for c in ("item", effect, p_col, "ets_class", "delta_r2", "flagged") if c in frame]
    frame = frame.select(shown).with_columns(neglogp=-pl.col(p_col).clip(1e-300, 1).log10())
    finite = frame[effect].is_finite().fill_null(False) & frame["neglogp"].is_finite().fill_null(
        False
    )
    hidden = frame.height - int(finite.sum())
    # items whose effect is infinite (one group all right or all wrong) cannot be placed;
    # the subtitle counts them, and no NaN or infinity reaches the chart's JSON
    frame = frame.filter(finite)
    if "delta_r2" in frame.columns:
        r2 = pl.col("delta_r2")
        frame = frame.with_columns(pl.when(r2.is_finite()).then(r2).alias("delta_r2"))
    if hidden:
        note = (
            f"{hidden} item(s) with an infinite effect (a group all right or all wrong) not shown"
        )
        title = alt.TitleParams(title, subtitle=note)
    cuts = [-0.25, -0.17, 0.17, 0.25] if graded else [-1.5, -1.0, 1.0, 1.5]
    classes = ["AA", "BB", "CC"] if graded else ["A", "B", "C"]
    bands = (
        alt.Chart(pl.DataFrame({"x": cuts}))
        .mark_rule(strokeDash=[3, 3], color="#999999")
        .encode(x="x:Q")
    )
    label = (
        "SMD / SD (positive: favours the focal group)"
        if graded
        else "ETS delta (negative: favours the reference group)"
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=25)
        .encode(
            x=alt.X(f"{effect}:Q", title=label),
            y=alt.Y("neglogp:Q", title="-log10 adjusted p"),
            color=alt.Color(
                "ets_class:N",
                title="ETS class",
                scale=alt.Scale(domain=classes, range=["#bbbbbb", "#E69F00", "#D55E00"]),
            ),
            tooltip=shown,
        )
    )
    return alt.layer(bands, points, title=title).properties(width=width, height=200)


def item_fit_plot(
    item_fit: Any, *, title: str = "Item fit (S-X2)", width: int = SINGLE_COLUMN
) -> Any:
    """Plot every item's S-X2 evidence of misfit against its infit mean square.

    Points are items: -log10 of the adjusted S-X2 p-value against infit; misfitting
    items (flagged) are coloured, with a dashed rule at the significance level.

    Parameters
    ----------
    item_fit : ItemFit or polars/pandas DataFrame
        An :func:`~hierlab.irt.item_fit` result or its table (``item, p_adjusted,
        infit``; optionally ``statistic, df, outfit, flagged``).
    title : str, default "Item fit (S-X2)"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> t = pl.DataFrame({"item": ["q1", "q2"], "p_adjusted": [0.5, 0.001], "infit": [1.0, 1.4], "flagged": [False, True]})
    >>> [layer["mark"]["type"] for layer in item_fit_plot(t).to_dict()["layer"]]
    ['rule', 'point']
    """
    import altair as alt

    frame = limit(table(item_fit, "table"), "item_fit_plot")
    need(frame, ["item", "p_adjusted", "infit"], "item_fit_plot")
    significance = float(getattr(item_fit, "significance", 0.05))
    if "flagged" not in frame.columns:
        frame = frame.with_columns(flagged=pl.col("p_adjusted") < significance)
    frame = frame.with_columns(
        neglogp=-pl.col("p_adjusted").clip(1e-300, 1).log10(),
        status=pl.when(pl.col("flagged")).then(pl.lit("misfit")).otherwise(pl.lit("fits")),
    ).drop_nulls("neglogp")
    rule = (
        alt.Chart(pl.DataFrame({"y": [-np.log10(significance)]}))
        .mark_rule(strokeDash=[3, 3], color="#999999")
        .encode(y="y:Q")
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=25, opacity=0.8)
        .encode(
            x=alt.X("infit:Q", title="Infit mean square"),
            y=alt.Y("neglogp:Q", title="-log10 adjusted p (S-X2)"),
            color=alt.Color(
                "status:N",
                title="Item",
                scale=alt.Scale(domain=["fits", "misfit"], range=["#999999", "#D55E00"]),
            ),
            tooltip=[
                c
                for c in ("item", "statistic", "df", "p_adjusted", "infit", "outfit")
                if c in frame.columns
            ],
        )
    )
    return alt.layer(rule, points, title=title).properties(width=width, height=200)


def local_dependence_plot(
    local_dependence: Any,
    *,
    title: str = "Local dependence: Q3* against chance",
    width: int = SINGLE_COLUMN,
) -> Any:
    """Plot the distribution of Q3* over item pairs against its chance expectation.

    Bars count the item pairs in each Q3* bin (log scale); the line is the count expected
    under the fitted model (the parametric bootstrap), and the dashed rule the cut-off.

    Parameters
    ----------
    local_dependence : LocalDependence
        A :func:`~hierlab.irt.local_dependence` result.
    title : str, default "Local dependence: Q3* against chance"
        Chart title.
    width : int, default SINGLE_COLUMN
        Chart width in pixels.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> from hierlab.irt import fit_irt, local_dependence, simulate_responses
    >>> ld = local_dependence(fit_irt(simulate_responses(200, 10, seed=0).responses), n_boot=10)
    >>> [layer["mark"]["type"] for layer in local_dependence_plot(ld).to_dict()["layer"]]
    ['bar', 'line', 'rule']
    """
    import altair as alt

    if not isinstance(local_dependence, LocalDependence):
        raise InputTypeError(
            "`local_dependence` must be a LocalDependence (from local_dependence), got "
            f"{type(local_dependence).__name__}."
        )
    frame = local_dependence.distribution.with_columns(
        pairs_shown=pl.col("pairs").cast(pl.Float64).clip(0.5, None)
    )
    x = alt.X("q3_adjusted:Q", title="Q3* (Q3 minus the mean Q3)")
    tips = [
        alt.Tooltip("q3_adjusted:Q", format=".2f", title="bin"),
        alt.Tooltip("pairs:Q", title="pairs"),
        alt.Tooltip("expected:Q", format=".1f", title="expected by chance"),
    ]
    bars = (
        alt.Chart(frame)
        .mark_bar(color="#0072B2", opacity=0.7)
        .encode(
            x=x,
            y=alt.Y("pairs_shown:Q", title="Item pairs", scale=alt.Scale(type="log")),
            tooltip=tips,
        )
    )
    chance = (
        alt.Chart(frame.filter(pl.col("expected") > 0))
        .mark_line(color="black")
        .encode(x=x, y="expected:Q", tooltip=tips)
    )
    cut = (
        alt.Chart(pl.DataFrame({"cutoff": [local_dependence.cutoff]}))
        .mark_rule(strokeDash=[4, 2], color="#D55E00")
        .encode(x="cutoff:Q")
    )
    return alt.layer(bars, chance, cut, title=title).properties(width=width, height=180)
