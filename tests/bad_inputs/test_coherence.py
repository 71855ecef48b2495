"""Hostile inputs for the hierarchy-aware metrics: each one a named error.

Every case asserts the hierlab error class and that the message names the offending
argument and rows, samples, labels or columns (see ``cases.py`` for the table format).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl

from hierlab import Tree
from hierlab.coherence import (
    constrained_f1,
    embedding_distance_correlation,
    hierarchical_distance_at_k,
    hierarchical_precision_at_k,
    hierarchical_prf,
    inconsistency_rate,
    ladder_score,
    lca_prf,
    mistake_severity,
    path_f1,
    path_score,
    per_level_scores,
    taxonomy_coherence,
)
from hierlab.errors import (
    AmbiguousLabelError,
    DuplicateRowsError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingValueError,
    UnknownNodeError,
)
from tests.bad_inputs.cases import Hostile, check, hostile

NAN = float("nan")
T = Tree.from_paths(["A/B", "A/C", "B/D", "E/B"], root="r")  # 'B' twice at depth 1 and 2
LADDER = {"item": ["q1", "q1", "q2"], "step": [1, 2, 1], "correct": [0, 1, 1]}


def ladder(**change: list) -> pl.DataFrame:
    return pl.DataFrame({**LADDER, **change})


CASES = [
    # ---- one node per sample
    Hostile(
        "lists of labels are ambiguous",
        lambda: hierarchical_prf(T, [["A", "B"]], [["B"]]),
        InputTypeError,
        ("`true`", "sample 0", "('A', 'B')", "{'A', 'B'}"),
    ),
    Hostile(
        "ambiguous numpy label rows",
        lambda: hierarchical_prf(T, ["A/B"], [np.array(["A", "C"])]),
        InputTypeError,
        ("`pred`", "sample 0"),
    ),
    Hostile(
        "lengths differ",
        lambda: hierarchical_prf(T, ["A/B", "A/C"], ["A/B"]),
        InputShapeError,
        ("2 predictions", "1"),
    ),
    Hostile("empty", lambda: hierarchical_prf(T, [], []), EmptyInputError, ("empty",)),
    Hostile(
        "unknown path",
        lambda: lca_prf(T, ["A/B"], ["A/Z"]),
        UnknownNodeError,
        ("`pred`", "'A/Z'", "row(s) 0"),
    ),
    Hostile(
        "unknown id", lambda: path_score(T, [1, 2], [1, 42]), UnknownNodeError, ("`pred`", "42")
    ),
    Hostile(
        "mixed ids and paths pandas",
        lambda: mistake_severity(T, pd.Series([1, "A/C"]), [1, 2]),
        InputTypeError,
        ("`true`", "row(s) 0", "row(s) 1"),
    ),
    Hostile(
        "nan float id",
        lambda: per_level_scores(T, pd.Series([1.0, NAN]), [1, 2]),
        MissingValueError,
        ("`true`", "row(s): 1"),
    ),
    Hostile(
        "polars null id",
        lambda: mistake_severity(T, pl.Series([1, None]), [1, 2]),
        MissingValueError,
        ("`true`", "row(s): 1"),
    ),
    Hostile(
        "fractional id",
        lambda: mistake_severity(T, [1.5, 2.0], [1, 2]),
        InvalidValueError,
        ("`true`", "1.5"),
    ),
    Hostile(
        "bool ids",
        lambda: mistake_severity(T, np.array([True, False]), [1, 2]),
        InputTypeError,
        ("`true`", "bool"),
    ),
    Hostile(
        "set where one node",
        lambda: mistake_severity(T, [{1}, {2}], [1, 2]),
        InputTypeError,
        ("`true`", "row(s) 0, 1", "set"),
    ),
    Hostile(
        "average",
        lambda: hierarchical_prf(T, [1], [1], average="macro"),
        InvalidValueError,
        ("'macro'", "'per_sample'"),
    ),
    Hostile("lca_prf sets", lambda: lca_prf(T, [{1}], [{2}]), InvalidValueError, ("single-label",)),
    Hostile(
        "exclude_depth text",
        lambda: path_score(T, [1], [1], exclude_depth="1"),
        InputTypeError,
        ("`exclude_depth`",),
    ),
    # ---- sets of nodes per sample
    Hostile(
        "unknown label in a set",
        lambda: hierarchical_prf(T, [{"A/B"}, {"A/C", "A/Q"}], [{"A/B"}, {"A/C"}]),
        UnknownNodeError,
        ("`true`", "sample(s) 1", "'A/Q'"),
    ),
    Hostile(
        "ids and paths in one set",
        lambda: constrained_f1(T, [{1, "A/C"}], [{1}]),
        InputTypeError,
        ("`true_sets`", "sample(s) 0"),
    ),
    Hostile(
        "tuple samples",
        lambda: constrained_f1(T, [("A", "A/B")], [["A"]]),
        InputTypeError,
        ("`true_sets`", "tuples"),
    ),
    Hostile(
        "string instead of samples",
        lambda: path_f1(T, "A/B", [["A"]]),
        InputTypeError,
        ("`true_sets`", "str"),
    ),
    Hostile(
        "scalar sample",
        lambda: path_f1(T, [["A"], 3], [["A"], ["A"]]),
        InputTypeError,
        ("`true_sets`", "sample(s) 1"),
    ),
    Hostile(
        "sample counts differ",
        lambda: hierarchical_prf(T, [{1}, {2}], [{1}]),
        InputShapeError,
        ("2 samples", "1"),
    ),
    # ---- ranked predictions
    Hostile(
        "k beyond the ranking",
        lambda: hierarchical_distance_at_k(T, [1], [[1, 2]], 3),
        InvalidValueError,
        ("`k` is 3", "only 2"),
    ),
    Hostile(
        "k zero",
        lambda: hierarchical_precision_at_k(T, [1], [[1, 2]], 0),
        InvalidValueError,
        ("`k`", "0"),
    ),
    Hostile(
        "ragged ranking",
        lambda: hierarchical_distance_at_k(T, [1, 2], [[1, 2], [1]], 1),
        InputShapeError,
        ("lengths [1, 2]",),
    ),
    Hostile(
        "ranking rows",
        lambda: hierarchical_distance_at_k(T, [1, 2], [[1, 2]], 1),
        InputShapeError,
        ("1 rows", "2 samples"),
    ),
    Hostile(
        "ranking of strings",
        lambda: hierarchical_distance_at_k(T, [1], ["A/B"], 1),
        InputShapeError,
        ("row(s) 0",),
    ),
    Hostile(
        "ranking unknown path",
        lambda: hierarchical_distance_at_k(T, [1], [["A/B", "A/Q"]], 2),
        UnknownNodeError,
        ("`ranked`", "'A/Q'"),
    ),
    # ---- per-level tables
    Hostile(
        "level labels not unique",
        lambda: inconsistency_rate(T, {"l1": ["A"], "l2": ["B"]}),
        AmbiguousLabelError,
        ("'l2'", "'B'", "depth 2"),
    ),
    Hostile(
        "more levels than the tree",
        lambda: inconsistency_rate(T, {"l1": ["A"], "l2": ["C"], "l3": ["x"]}),
        InputShapeError,
        ("'l3'", "2 level(s)"),
    ),
    Hostile(
        "no samples",
        lambda: inconsistency_rate(T, pl.DataFrame({"l1": []}, schema={"l1": pl.String})),
        EmptyInputError,
        ("no rows",),
    ),
    Hostile(
        "list column",
        lambda: inconsistency_rate(T, pl.DataFrame({"l1": [["A"]]})),
        InputTypeError,
        ("'l1'",),
    ),
    Hostile(
        "not a table",
        lambda: inconsistency_rate(T, [["A", "B"]]),
        InputTypeError,
        ("`level_predictions`",),
    ),
    # ---- ladder tables
    Hostile(
        "ladder repeated pair",
        lambda: ladder_score(pl.concat([ladder(), ladder().head(1)])),
        DuplicateRowsError,
        ("('q1', 1)",),
    ),
    Hostile(
        "ladder half credit",
        lambda: ladder_score(ladder(correct=[0.0, 0.5, 1.0])),
        InvalidValueError,
        ("'correct'", "row(s) 1", "0.5"),
    ),
    Hostile(
        "ladder text outcome",
        lambda: ladder_score(ladder(correct=["no", "yes", "yes"])),
        InputTypeError,
        ("'correct'", "'no'"),
    ),
    Hostile(
        "ladder null outcome",
        lambda: ladder_score(ladder(correct=[0, None, 1])),
        MissingValueError,
        ("'correct'", "row(s): 1"),
    ),
    Hostile(
        "ladder nan outcome",
        lambda: ladder_score(ladder(correct=[0.0, NAN, 1.0])),
        MissingValueError,
        ("'correct'", "1"),
    ),
    Hostile(
        "ladder null step",
        lambda: ladder_score(ladder(step=[1, None, 1])),
        MissingValueError,
        ("'step'", "1"),
    ),
    Hostile(
        "ladder missing column",
        lambda: ladder_score(ladder(), correct="solved"),
        InputShapeError,
        ("'solved'",),
    ),
    Hostile(
        "ladder order misses a step",
        lambda: ladder_score(ladder(), order=[1]),
        InvalidValueError,
        ("2",),
    ),
    Hostile(
        "ladder order repeats",
        lambda: ladder_score(ladder(), order=[1, 2, 1]),
        InvalidValueError,
        ("twice", "1"),
    ),
    Hostile(
        "ladder penalty text",
        lambda: ladder_score(ladder(), penalty="high"),
        InputTypeError,
        ("`penalty`",),
    ),
    Hostile(
        "ladder penalty inf",
        lambda: ladder_score(ladder(), penalty=float("inf")),
        InvalidValueError,
        ("`penalty`",),
    ),
    Hostile("ladder empty", lambda: ladder_score(ladder().head(0)), EmptyInputError, ("no rows",)),
    # ---- embeddings
    Hostile(
        "coherence nan embedding",
        lambda: taxonomy_coherence(T, np.vstack([np.eye(8)[:7], [NAN] * 8])),
        InvalidValueError,
        ("rows 7",),
    ),
    Hostile(
        "coherence rows",
        lambda: taxonomy_coherence(T, np.eye(3)),
        InputShapeError,
        ("one row per node (8)",),
    ),
    Hostile(
        "correlation one node",
        lambda: embedding_distance_correlation(T, np.eye(8), nodes=["A/B", "A/B"]),
        InputShapeError,
        ("1 distinct node",),
    ),
    Hostile(
        "embedding text",
        lambda: taxonomy_coherence(T, [["a"] * 8] * 8),
        InputTypeError,
        ("`embeddings`",),
    ),
]


@hostile(CASES)
def test_coherence_hostile_inputs(case: Hostile) -> None:
    check(case)


def test_the_right_answers_that_replaced_errors() -> None:
    """Inputs 0.1 refused or misread, now read as intended."""
    b, c = T.find(["A/B", "A/C"])
    assert mistake_severity(T, pd.Series([float(b)]), pd.Series([c]))["pred"].to_list() == [c]
    assert mistake_severity(T, pl.Series([b], dtype=pl.Int32), [c])["true"].to_list() == [b]
    as_tuples = hierarchical_prf(T, [("A", "B")], [("A", "C")])
    assert as_tuples == hierarchical_prf(T, ["A/B"], ["A/C"])
    as_sets = hierarchical_prf(T, [{"A/B", "B"}], [{"B"}])  # what [["A/B", "B"]] meant
    assert as_sets["precision"] == 1.0 and as_sets["recall"] == 1 / 3  # {A, A/B, B} vs {B}
