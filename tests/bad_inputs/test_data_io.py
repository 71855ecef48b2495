"""Hostile inputs to the data and io layers: each gets a hierlab error that names the problem.

Table-driven: every case builds its input in a temporary folder and states the error class
and the words the message must contain (the offending file, column, value or variable, and
the fix). None may escape as a bare traceback from polars, json, inspect_ai or requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from hierlab import Tree
from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    HierlabError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)

TREE = Tree.from_paths(["Europe/France/Paris", "Asia/Japan/Tokyo"], root="World")
PLACES = SimpleNamespace(
    table=pl.DataFrame({"city": ["Paris"], "lat": [48.86], "lon": [2.35], "iso2": ["FR"]})
)
SAMPLE = {
    "doc_id": 0,
    "doc": {"q": "2+2?"},
    "target": "4",
    "resps": [["4"]],
    "filtered_resps": ["4"],
    "filter": "none",
    "metrics": ["exact_match"],
    "exact_match": 1.0,
}
DATE = "2025-01-01T00-00-00.000001"


def lm_eval_run(tmp: Path, samples: list | str, results: dict | str | None) -> Path:
    folder = tmp / "run"
    folder.mkdir(exist_ok=True)
    text = samples if isinstance(samples, str) else "\n".join(json.dumps(s) for s in samples)
    (folder / f"samples_task_{DATE}.jsonl").write_text(text)
    if results is not None:
        body = results if isinstance(results, str) else json.dumps(results)
        (folder / f"results_{DATE}.json").write_text(body)
    return folder


def table_file(tmp: Path, text: str, name: str = "r.csv") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def _io():
    import hierlab.io as io

    return io


CASES: list[tuple[str, Callable[[Path], Callable[[], object]], type, str]] = [
    # ------------------------------------------------------------------ Inspect logs
    (
        "inspect: not a path",
        lambda t: lambda: _io().read_inspect_logs(123),
        InputTypeError,
        "`paths`",
    ),
    (
        "inspect: missing path",
        lambda t: lambda: _io().read_inspect_logs(t / "nope"),
        InvalidValueError,
        "does not exist",
    ),
    (
        "inspect: no paths",
        lambda t: lambda: _io().read_inspect_logs([]),
        EmptyInputError,
        "`paths` is empty",
    ),
    (
        "inspect: garbage log",
        lambda t: lambda: _io().read_inspect_logs(table_file(t, "PK junk", "x.eval")),
        InvalidValueError,
        "not an Inspect log",
    ),
    (
        "inspect: empty folder",
        lambda t: lambda: _io().read_inspect_logs(t),
        EmptyInputError,
        "holds no Inspect logs",
    ),
    (
        "inspect: duplicates option",
        lambda t: lambda: _io().read_inspect_logs(t, duplicates="maybe"),
        InvalidValueError,
        "'error' or 'last'",
    ),
    (
        "inspect: scorer type",
        lambda t: lambda: _io().read_inspect_logs(t, scorer=3),
        InputTypeError,
        "`scorer`",
    ),
    # ------------------------------------------------------------------ lm-evaluation-harness
    (
        "lm-eval: wrong file name",
        lambda t: lambda: _io().read_lm_eval_samples(table_file(t, "{}", "out.jsonl")),
        InvalidValueError,
        "samples_<task>_<date>.jsonl",
    ),
    (
        "lm-eval: no results file",
        lambda t: lambda: _io().read_lm_eval_samples(lm_eval_run(t, [SAMPLE], None)),
        InvalidValueError,
        "no matching results file",
    ),
    (
        "lm-eval: results not JSON",
        lambda t: lambda: _io().read_lm_eval_samples(lm_eval_run(t, [SAMPLE], "{oops")),
        InvalidValueError,
        "not valid JSON",
    ),
    (
        "lm-eval: results name no model",
        lambda t: lambda: _io().read_lm_eval_samples(lm_eval_run(t, [SAMPLE], {"config": {}})),
        InvalidValueError,
        "names no model",
    ),
    (
        "lm-eval: line not a sample",
        lambda t: lambda: _io().read_lm_eval_samples(lm_eval_run(t, "[1, 2]", {"model_name": "m"})),
        InputShapeError,
        "Line 1",
    ),
    (
        "lm-eval: truncated line",
        lambda t: (
            lambda: _io().read_lm_eval_samples(
                lm_eval_run(t, json.dumps(SAMPLE)[:-9], {"model_name": "m"})
            )
        ),
        InvalidValueError,
        "may be truncated",
    ),
    (
        "lm-eval: metric out of range",
        lambda t: (
            lambda: _io().read_lm_eval_samples(
                lm_eval_run(t, [{**SAMPLE, "exact_match": 5.0}], {"model_name": "m"})
            )
        ),
        InvalidValueError,
        r"\[0, 1\]",
    ),
    (
        "lm-eval: several metrics",
        lambda t: (
            lambda: _io().read_lm_eval_samples(
                lm_eval_run(
                    t,
                    [{**SAMPLE, "metrics": ["acc", "acc_norm"], "acc": 1, "acc_norm": 1}],
                    {"model_name": "m"},
                )
            )
        ),
        InvalidValueError,
        "correct=...",
    ),
    (
        "lm-eval: missing doc field",
        lambda t: (
            lambda: _io().read_lm_eval_samples(
                lm_eval_run(t, [SAMPLE], {"model_name": "m"}), item="id"
            )
        ),
        InvalidValueError,
        "no doc field 'id'",
    ),
    (
        "lm-eval: empty samples",
        lambda t: lambda: _io().read_lm_eval_samples(lm_eval_run(t, "", {"model_name": "m"})),
        EmptyInputError,
        "holds no samples",
    ),
    (
        "lm-eval: two filters",
        lambda t: (
            lambda: _io().read_lm_eval_samples(
                lm_eval_run(t, [SAMPLE, {**SAMPLE, "filter": "strict"}], {"model_name": "m"})
            )
        ),
        InvalidValueError,
        "response_filter",
    ),
    # ------------------------------------------------------------------ plain tables
    (
        "table: unknown extension",
        lambda t: lambda: _io().read_results_table(table_file(t, "x", "r.xyz")),
        InvalidValueError,
        "format=",
    ),
    (
        "table: missing file",
        lambda t: lambda: _io().read_results_table(t / "none.csv"),
        InvalidValueError,
        "does not exist",
    ),
    (
        "table: text outcome",
        lambda t: lambda: _io().read_results_table(table_file(t, "model,item,correct\na,q,yes\n")),
        InvalidValueError,
        "booleans or numbers",
    ),
    (
        "table: NaN outcome",
        lambda t: lambda: _io().read_results_table(table_file(t, "model,item,correct\na,q,NaN\n")),
        InvalidValueError,
        "NaN",
    ),
    (
        "table: null model",
        lambda t: lambda: _io().read_results_table(table_file(t, "model,item,correct\n,q,1\n")),
        InvalidValueError,
        "no model in 1 row",
    ),
    (
        "table: duplicate pairs",
        lambda t: (
            lambda: _io().read_results_table(table_file(t, "model,item,correct\na,q,1\na,q,0\n"))
        ),
        DuplicateRowsError,
        "'a', 'q'",
    ),
    (
        "table: unknown role",
        lambda t: (
            lambda: _io().read_results_table(
                table_file(t, "m,i,c\na,q,1\n"), columns={"respondent": "m"}
            )
        ),
        InvalidValueError,
        "unknown role",
    ),
    (
        "table: mapping not a dict",
        lambda t: lambda: _io().read_results_table(table_file(t, "m,i,c\na,q,1\n"), columns=["m"]),
        InputTypeError,
        "`columns`",
    ),
    (
        "table: mapping would overwrite",
        lambda t: (
            lambda: _io().read_results_table(
                table_file(t, "model,m,item,correct\na,b,q,1\n"), columns={"model": "m"}
            )
        ),
        InputShapeError,
        "overwrite",
    ),
    (
        "table: no outcome or answer",
        lambda t: lambda: _io().read_results_table(table_file(t, "model,item\na,q\n")),
        InputShapeError,
        "neither 'correct' nor 'answer'",
    ),
    (
        "table: corrupt parquet",
        lambda t: lambda: _io().read_results_table(table_file(t, "not parquet", "r.parquet")),
        InvalidValueError,
        "Could not read",
    ),
    (
        "table: lazy scan of a missing file",
        lambda t: (
            lambda: __import__("hierlab.bias", fromlist=["x"]).disaggregate(
                pl.scan_parquet(t / "gone.parquet"), "region"
            )
        ),
        InputShapeError,
        "could not be collected",
    ),
    # ------------------------------------------------------------------ answers
    (
        "answers: not a tree",
        lambda t: lambda: _io().parse_answers("tree", ["Paris"]),
        InputTypeError,
        "`tree`",
    ),
    (
        "answers: one string",
        lambda t: lambda: _io().parse_answers(TREE, "Paris"),
        InputTypeError,
        "wrap a single answer",
    ),
    (
        "answers: bad policy",
        lambda t: lambda: _io().parse_answers(TREE, ["Paris"], missing_level="guess"),
        InvalidValueError,
        "`missing_level`",
    ),
    (
        "answers: bad places",
        lambda t: lambda: _io().parse_answers(TREE, ["Paris"], places=object()),
        InputTypeError,
        "`places`",
    ),
    (
        "answers: empty separator",
        lambda t: lambda: _io().parse_answers(TREE, ["Paris"], sep=""),
        InvalidValueError,
        "`sep`",
    ),
    (
        "answers: levels not a mapping",
        lambda t: lambda: _io().parse_answers(TREE, ["Paris"], levels=[3]),
        InputTypeError,
        "`levels`",
    ),
    # ------------------------------------------------------------------ geocoding
    (
        "geocode: latitude out of range",
        lambda t: lambda: _io().reverse_geocode([95.0], [0.0], places=PLACES),
        InvalidValueError,
        "out of range",
    ),
    (
        "geocode: lengths differ",
        lambda t: lambda: _io().reverse_geocode([1.0, 2.0], [1.0], places=PLACES),
        InputShapeError,
        "`lat` has 2 values",
    ),
    (
        "geocode: places not a bundle",
        lambda t: lambda: _io().reverse_geocode([1.0], [1.0], places=object()),
        InputTypeError,
        "`places`",
    ),
    (
        "geocode: places without iso2",
        lambda t: (
            lambda: _io().reverse_geocode(
                [1.0],
                [1.0],
                places=SimpleNamespace(table=pl.DataFrame({"lat": [1.0], "lon": [1.0]})),
            )
        ),
        InvalidValueError,
        "iso2",
    ),
    (
        "geocode: unknown method",
        lambda t: lambda: _io().reverse_geocode([1.0], [1.0], places=PLACES, method="guess"),
        InvalidValueError,
        "`method`",
    ),
    # ------------------------------------------------------------------ data layer
    (
        "fetch: negative timeout",
        lambda t: (
            lambda: __import__("hierlab.datasets", fromlist=["x"]).fetch_file(
                next(iter(__import__("hierlab.datasets._download", fromlist=["x"]).REGISTRY)),
                timeout=-1,
            )
        ),
        InvalidValueError,
        "`timeout`",
    ),
    (
        "countries: one string",
        lambda t: (
            lambda: __import__("hierlab.datasets", fromlist=["x"]).normalize_countries("France")
        ),
        InputTypeError,
        "wrap a single name",
    ),
    (
        "countries: fold a number",
        lambda t: lambda: __import__("hierlab.datasets.countries", fromlist=["x"]).fold_name(3),
        InputTypeError,
        "`name`",
    ),
    (
        "experiment: no cities",
        lambda t: (
            lambda: __import__("hierlab.experiments", fromlist=["x"]).minilm_geolocation(n_cities=0)
        ),
        InvalidValueError,
        "`n_cities`",
    ),
]


@pytest.mark.parametrize(("name", "build", "error", "says"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input(name: str, build, error: type, says: str, tmp_path: Path) -> None:
    with pytest.raises(error, match=says) as caught:
        build(tmp_path)()
    assert isinstance(caught.value, HierlabError), name


def test_the_timeout_variable_is_checked(monkeypatch) -> None:
    from hierlab.settings import download_timeout

    monkeypatch.setenv("HIERLAB_DATA_TIMEOUT", "nan")
    with pytest.raises(InvalidValueError, match="HIERLAB_DATA_TIMEOUT='nan'"):
        download_timeout()


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25
