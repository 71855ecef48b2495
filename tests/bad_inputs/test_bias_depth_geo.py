"""Hostile inputs to bias, depth, geo, stats and leaderboard: each gives a named hierlab
error whose message names the offending rows, columns or values (table-driven)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest

from hierlab import Tree
from hierlab import errors as E
from hierlab.bias import (
    contrast,
    coverage,
    disaggregate,
    disparity,
    group_vs_rest,
    heterogeneity_test,
    irt_adjusted_effects,
    model_group_interaction,
    shrink_along_tree,
)
from hierlab.depth import (
    accuracy_by_depth,
    compare_slopes,
    depth_regression,
    depth_table,
    survival,
)
from hierlab.geo import accuracy_at_k, geo_accuracy, geoscore, haversine_km
from hierlab.leaderboard import compare_models, leaderboard
from hierlab.plot import disparity_plot, forest_plot
from hierlab.stats import (
    adjust_pvalues,
    check_results,
    firth_logit,
    newcombe_interval,
    wilson_interval,
)

TREE = Tree.from_paths(["A/a1/x", "A/a1/y", "A/a2/z", "B/b1/w"], root="r")


def results(**changes: Any) -> pl.DataFrame:
    """Two models x 40 items in two regions, then the hostile change."""
    rng = np.random.default_rng(0)
    base = pl.DataFrame(
        {
            "model": ["m1"] * 40 + ["m2"] * 40,
            "item": [f"i{k}" for k in range(40)] * 2,
            "correct": (rng.random(80) < 0.6).astype(float),
            "region": (["North"] * 20 + ["South"] * 20) * 2,
            "node": (["A/a1/x", "A/a2/z", "B/b1/w", "A/a1/y"] * 10) * 2,
        }
    )
    return base.with_columns(**{k: pl.Series(v) for k, v in changes.items()})


def with_row(frame: pl.DataFrame, row: int, **values: Any) -> pl.DataFrame:
    out = frame.to_dict(as_series=False)
    for k, v in values.items():
        out[k][row] = v
    return pl.DataFrame(out, schema_overrides={k: frame.schema[k] for k in values if v is not None})


def duplicated() -> pl.DataFrame:
    r = results()
    return pl.concat([r, r.head(1)])


def predictions(**values: Any) -> pl.DataFrame:
    base = pl.DataFrame(
        {
            "model": ["m"] * 4,
            "item": ["i1", "i2", "i3", "i4"],
            "true": ["A/a1/x", "A/a1/x", "A/a2/z", "B/b1/w"],
            "pred": ["A/a1/x", "A/a1/y", "A/a1/x", "A/a1"],
        }
    )
    return base.with_columns(**{k: pl.Series(v) for k, v in values.items()})


def geo_table(**values: Any) -> pl.DataFrame:
    base = pl.DataFrame(
        {
            "model": ["m", "m", "m"],
            "item": ["a", "b", "c"],
            "lat": [48.86, 40.71, 35.68],
            "lon": [2.35, -74.01, 139.69],
            "pred_lat": [48.80, 41.0, 35.0],
            "pred_lon": [2.30, -74.0, 139.0],
        }
    )
    return base.with_columns(**{k: pl.Series(v) for k, v in values.items()})


def depth_rows(**values: Any) -> pl.DataFrame:
    base = depth_table(TREE, predictions())
    return base.with_columns(**{k: pl.Series(v) for k, v in values.items()})


def one_group() -> Any:
    return disaggregate(results(region=["North"] * 80), "region", n_boot=100, min_size=1)


# (id, call, error class, texts the message must contain)
CASES: list[tuple[str, Callable[[], Any], type[Exception], tuple[str, ...]]] = [
    # ---- bias: the results table
    (
        "bias-duplicate-pairs",
        lambda: disaggregate(duplicated(), "region"),
        E.DuplicateRowsError,
        ("('m1', 'i0')", "2 rows"),
    ),
    (
        "bias-correct-2",
        lambda: disaggregate(with_row(results(), 3, correct=2.0), "region"),
        E.InvalidValueError,
        ("[0, 1]", "2.0", "row 3"),
    ),
    (
        "bias-correct-negative",
        lambda: group_vs_rest(with_row(results(), 5, correct=-1.0), "region"),
        E.InvalidValueError,
        ("-1.0", "row 5"),
    ),
    (
        "bias-correct-nan",
        lambda: disaggregate(with_row(results(), 7, correct=float("nan")), "region"),
        E.MissingValueError,
        ("NaN", "row 7", "'m1'"),
    ),
    (
        "bias-correct-null",
        lambda: heterogeneity_test(with_row(results(), 9, correct=None), "region"),
        E.MissingValueError,
        ("null", "row 9"),
    ),
    (
        "bias-correct-text",
        lambda: disaggregate(results(correct=["yes"] * 80), "region"),
        E.InputTypeError,
        ("'correct'", "numbers"),
    ),
    (
        "bias-null-group",
        lambda: disaggregate(with_row(results(), 2, region=None), "region"),
        E.MissingValueError,
        ("'region'", "row 2", "on_missing"),
    ),
    (
        "bias-null-group-test",
        lambda: heterogeneity_test(with_row(results(), 4, region=None), "region"),
        E.MissingValueError,
        ("'region'", "row 4"),
    ),
    (
        "bias-null-group-irt",
        lambda: irt_adjusted_effects(with_row(results(), 6, region=None), "region"),
        E.MissingValueError,
        ("'region'", "row 6"),
    ),
    (
        "bias-unknown-node",
        lambda: disaggregate(with_row(results(), 1, node="A/zz"), "level", tree=TREE, depth=1),
        E.UnknownNodeError,
        ("'A/zz'",),
    ),
    (
        "bias-node-above-depth",
        lambda: disaggregate(with_row(results(), 1, node="A"), "level", tree=TREE, depth=2),
        E.MissingValueError,
        ("above depth 2", "1"),
    ),
    (
        "bias-null-node",
        lambda: disaggregate(with_row(results(), 8, node=None), "level", tree=TREE, depth=1),
        E.MissingValueError,
        ("'node'", "8"),
    ),
    (
        "bias-tree-depth-0",
        lambda: disaggregate(results(), "level", tree=TREE, depth=0),
        E.InvalidValueError,
        ("depth=0",),
    ),
    (
        "bias-empty",
        lambda: disaggregate(results().head(0), "region"),
        E.EmptyInputError,
        ("no rows",),
    ),
    (
        "bias-missing-column",
        lambda: disaggregate(results(), "continent"),
        E.InputShapeError,
        ("'continent'",),
    ),
    (
        "bias-confidence-1.5",
        lambda: disaggregate(results(), "region", confidence=1.5),
        E.InvalidValueError,
        ("confidence", "1.5"),
    ),
    (
        "bias-n-boot-negative",
        lambda: disaggregate(results(), "region", n_boot=-1),
        E.InvalidValueError,
        ("n_boot", "-1"),
    ),
    (
        "bias-on-missing-unknown",
        lambda: disaggregate(results(), "region", on_missing="ignore"),
        E.InvalidValueError,
        ("on_missing", "'ignore'"),
    ),
    (
        "bias-disparity-one-group",
        lambda: disparity(one_group(), min_size=1),
        E.InvalidValueError,
        ("two groups",),
    ),
    (
        "bias-disparity-no-replicates",
        lambda: disparity(disaggregate(results(), "region", n_boot=0)),
        E.InvalidValueError,
        ("n_boot",),
    ),
    (
        "bias-disparity-confidence",
        lambda: disparity(one_group(), confidence=0.0),
        E.InvalidValueError,
        ("confidence",),
    ),
    (
        "bias-disparity-not-a-result",
        lambda: disparity(results()),
        E.InputTypeError,
        ("`d`", "Disaggregation"),
    ),
    (
        "bias-contrast-unknown-group",
        lambda: contrast(disaggregate(results(), "region", n_boot=0), "North", "Atlantis"),
        E.InvalidValueError,
        ("'Atlantis'", "'North'"),
    ),
    (
        "bias-contrast-same-group",
        lambda: contrast(disaggregate(results(), "region", n_boot=0), "North", "North"),
        E.InvalidValueError,
        ("'North'",),
    ),
    (
        "bias-heterogeneity-one-group",
        lambda: heterogeneity_test(results(region=["x"] * 80), "region"),
        E.InvalidValueError,
        ("at least two groups", "'x'"),
    ),
    (
        "bias-heterogeneity-duplicates",
        lambda: heterogeneity_test(duplicated(), "region"),
        E.DuplicateRowsError,
        ("('m1', 'i0')",),
    ),
    (
        "bias-interaction-unknown-model",
        lambda: model_group_interaction(results(), "region", "m1", "nobody"),
        E.InvalidValueError,
        ("'nobody'",),
    ),
    (
        "bias-shrink-null-node",
        lambda: shrink_along_tree(TREE, with_row(results(), 3, node=None)),
        E.MissingValueError,
        ("'node'", "row 3"),
    ),
    (
        "bias-shrink-unknown-node",
        lambda: shrink_along_tree(TREE, with_row(results(), 3, node="B/q")),
        E.UnknownNodeError,
        ("'B/q'",),
    ),
    (
        "bias-shrink-duplicates",
        lambda: shrink_along_tree(TREE, duplicated()),
        E.DuplicateRowsError,
        ("('m1', 'i0')",),
    ),
    (
        "bias-coverage-empty",
        lambda: coverage(results().head(0), "region"),
        E.EmptyInputError,
        ("`items`",),
    ),
    # ---- depth
    (
        "depth-duplicate-pairs",
        lambda: depth_table(TREE, pl.concat([predictions(), predictions().head(1)])),
        E.DuplicateRowsError,
        ("('m', 'i1')",),
    ),
    (
        "depth-null-true",
        lambda: depth_table(TREE, predictions(true=["A/a1/x", None, "A/a2/z", "B/b1/w"])),
        E.MissingValueError,
        ("true node", "1"),
    ),
    (
        "depth-unknown-pred",
        lambda: accuracy_by_depth(TREE, predictions(pred=["Z/q"] * 4)),
        E.UnknownNodeError,
        ("'Z/q'",),
    ),
    (
        "depth-unknown-true",
        lambda: survival(TREE, predictions(true=["A/a9"] * 4)),
        E.UnknownNodeError,
        ("'A/a9'",),
    ),
    (
        "depth-confidence-1.5",
        lambda: accuracy_by_depth(TREE, predictions(), confidence=1.5),
        E.InvalidValueError,
        ("confidence", "1.5"),
    ),
    ("depth-empty", lambda: survival(TREE, predictions().head(0)), E.EmptyInputError, ("empty",)),
    (
        "depth-abstain-not-text",
        lambda: depth_table(TREE, predictions(), abstain=5),
        E.InputTypeError,
        ("`abstain`",),
    ),
    (
        "depth-regression-one-depth",
        lambda: depth_regression(depth_rows().filter(pl.col("depth") == 1)),
        E.InvalidValueError,
        ("two depths", "'m'"),
    ),
    (
        "depth-regression-correct-2",
        lambda: depth_regression(depth_rows(correct=[2] + [1] * 11)),
        E.InvalidValueError,
        ("[0, 1]", "row 0"),
    ),
    (
        "depth-regression-null-depth",
        lambda: depth_regression(depth_rows(depth=[None] + [1, 2, 3] * 3 + [1, 2])),
        E.MissingValueError,
        ("'depth'", "row 0"),
    ),
    (
        "depth-compare-same-model",
        lambda: compare_slopes(
            depth_regression(
                depth_table(TREE, predictions()).with_columns(
                    correct=pl.Series([1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0])
                )
            ),
            "m",
            "m",
        ),
        E.InvalidValueError,
        ("two different",),
    ),
    # ---- geo
    (
        "geo-latitude-95",
        lambda: haversine_km([95.0], [0.0], [0.0], [0.0]),
        E.InvalidValueError,
        ("row 0 (95.0, 0.0)",),
    ),
    (
        "geo-latitude-100-second",
        lambda: haversine_km([0.0, 0.0], [0.0, 0.0], [10.0, 100.0], [0.0, 0.0]),
        E.InvalidValueError,
        ("row 1 (100.0, 0.0)", "second"),
    ),
    (
        "geo-longitude-200",
        lambda: haversine_km([0.0], [200.0], [0.0], [0.0]),
        E.InvalidValueError,
        ("200.0",),
    ),
    (
        "geo-negative-threshold",
        lambda: accuracy_at_k([1.0, 2.0], thresholds_km=(-1.0,)),
        E.InvalidValueError,
        ("thresholds_km", "-1.0"),
    ),
    (
        "geo-negative-distance-acc",
        lambda: accuracy_at_k([1.0, -5.0]),
        E.InvalidValueError,
        ("negative", "1"),
    ),
    (
        "geo-geoscore-negative",
        lambda: geoscore(np.array([-100.0])),
        E.InvalidValueError,
        ("negative", "-100.0"),
    ),
    ("geo-acc-empty", lambda: accuracy_at_k([]), E.EmptyInputError, ("no distances",)),
    ("geo-geoscore-empty", lambda: geoscore(np.array([])), E.EmptyInputError, ("no distances",)),
    (
        "geo-all-excluded",
        lambda: accuracy_at_k([np.nan], on_missing="exclude"),
        E.EmptyInputError,
        ("excluding",),
    ),
    (
        "geo-missing-raise",
        lambda: geoscore(np.array([1.0, np.nan]), on_missing="raise"),
        E.MissingValueError,
        ("position(s) 1",),
    ),
    (
        "geo-on-missing-unknown",
        lambda: accuracy_at_k([1.0], on_missing="zero"),
        E.InvalidValueError,
        ("on_missing", "'zero'"),
    ),
    (
        "geo-table-duplicates",
        lambda: geo_accuracy(pl.concat([geo_table(), geo_table().head(1)])),
        E.DuplicateRowsError,
        ("('m', 'a')",),
    ),
    (
        "geo-table-null-truth",
        lambda: geo_accuracy(geo_table(lat=[48.86, None, 35.68])),
        E.MissingValueError,
        ("true coordinates", "1"),
    ),
    (
        "geo-table-pred-out-of-range",
        lambda: geo_accuracy(geo_table(pred_lat=[48.8, 91.0, 35.0])),
        E.InvalidValueError,
        ("row 1 (91.0",),
    ),
    (
        "geo-table-missing-column",
        lambda: geo_accuracy(geo_table().drop("pred_lon")),
        E.InputShapeError,
        ("'pred_lon'", "distance="),
    ),
    (
        "geo-table-confidence",
        lambda: geo_accuracy(geo_table(), confidence=1.5),
        E.InvalidValueError,
        ("confidence",),
    ),
    # ---- stats, leaderboard, plots
    (
        "stats-wilson-confidence",
        lambda: wilson_interval([1], [2], confidence=1.5),
        E.InvalidValueError,
        ("confidence", "1.5"),
    ),
    (
        "stats-newcombe-confidence",
        lambda: newcombe_interval([1], [2], [1], [2], confidence=0.0),
        E.InvalidValueError,
        ("confidence",),
    ),
    (
        "stats-pvalues-outside",
        lambda: adjust_pvalues([0.1, 1.5]),
        E.InvalidValueError,
        ("position(s) 1",),
    ),
    (
        "stats-firth-outcome-2",
        lambda: firth_logit("y ~ x", pl.DataFrame({"x": [0, 1], "y": [0, 2]})),
        E.InvalidValueError,
        ("[0, 1]",),
    ),
    (
        "stats-check-results-null-group",
        lambda: check_results(with_row(results(), 0, region=None), group="region"),
        E.MissingValueError,
        ("row 0", "'m1'", "'i0'"),
    ),
    (
        "leaderboard-one-model",
        lambda: compare_models(results().filter(pl.col("model") == "m1")),
        E.InvalidValueError,
        ("at least two", "'m1'"),
    ),
    (
        "leaderboard-duplicates",
        lambda: leaderboard(duplicated()),
        E.DuplicateRowsError,
        ("('m1', 'i0')",),
    ),
    (
        "leaderboard-mcnemar-on-scores",
        lambda: compare_models(results(correct=np.linspace(0, 1, 80)), test="mcnemar"),
        E.InvalidValueError,
        ("McNemar", "'correct'"),
    ),
    (
        "leaderboard-significance",
        lambda: leaderboard(results(), significance=2.0),
        E.InvalidValueError,
        ("significance",),
    ),
    (
        "leaderboard-unknown-test",
        lambda: compare_models(results(), test="t"),
        E.InvalidValueError,
        ("`test`", "'t'"),
    ),
    (
        "plot-forest-empty",
        lambda: forest_plot(
            pl.DataFrame(
                schema={
                    "group": pl.String,
                    "estimate": pl.Float64,
                    "ci_low": pl.Float64,
                    "ci_high": pl.Float64,
                }
            )
        ),
        E.EmptyInputError,
        ("forest_plot",),
    ),
    (
        "plot-disparity-measure",
        lambda: disparity_plot(pl.DataFrame({"model": ["m"]}), measure="spread"),
        E.InvalidValueError,
        ("'spread'",),
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "texts"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gives_a_named_error(
    case: str, call: Callable[[], Any], error: type[Exception], texts: tuple[str, ...]
) -> None:
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, E.HierlabError), f"{case}: {type(caught.value).__name__}"
    message = str(caught.value)
    missing = [t for t in texts if t not in message]
    assert not missing, f"{case}: message lacks {missing}: {message}"


def test_there_are_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    areas = {c[0].split("-")[0] for c in CASES}
    assert {"bias", "depth", "geo", "stats"} <= areas


def test_on_missing_choices_are_explicit() -> None:
    """A null group is dropped or kept only when asked, and the counts say so."""
    r = with_row(results(), 2, region=None)
    dropped = disaggregate(r, "region", n_boot=0, on_missing="drop", min_size=1).table
    kept = disaggregate(r, "region", n_boot=0, on_missing="group", min_size=1).table
    assert dropped["n"].sum() == 79 and kept["n"].sum() == 80
    assert "(missing)" in kept["group"].to_list()


def test_missing_answers_are_wrong_or_excluded_never_nan() -> None:
    d = np.array([10.0, np.nan, 3000.0])
    assert accuracy_at_k(d, thresholds_km=(25.0,)) == {25.0: 1 / 3}
    assert accuracy_at_k(d, thresholds_km=(25.0,), on_missing="exclude") == {25.0: 0.5}
    assert geoscore(d)[1] == 0.0 and len(geoscore(d, on_missing="exclude")) == 2
    table = geo_accuracy(geo_table(pred_lat=[48.8, None, 35.0]), thresholds_km=(100.0,)).table
    assert table["n_missing"][0] == 1 and not np.isnan(table["acc_100km"][0])
    assert np.isnan(haversine_km([0.0], [0.0], [np.nan], [0.0])[0])  # carried, not hidden
