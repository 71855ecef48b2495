"""Readers on real logs: Inspect AI ``.eval`` files from its mock model, lm-evaluation-harness
output from its own tracker, and plain CSV / Parquet / JSON Lines tables."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    InputShapeError,
    InvalidValueError,
)
from hierlab.io import (
    read_inspect_logs,
    read_lm_eval_samples,
    read_results_table,
    scan_results,
)
from tests.io.conftest import ANSWERS, ITEMS, includes


def test_inspect_logs_give_one_row_per_model_and_item(inspect_logs: Path) -> None:
    res = read_inspect_logs(inspect_logs)
    table = res.table
    assert table.height == len(ANSWERS) * len(ITEMS)
    # the model's identity comes from the log, not from the file name
    assert sorted(table["model"].unique()) == ["mockllm/alpha", "mockllm/beta", "mockllm/gamma"]
    assert not any("alpha" in p.name for p in inspect_logs.iterdir())
    assert {"region", "difficulty", "answer", "target", "task", "epoch", "error"} <= set(
        table.columns
    )
    for row in table.iter_rows(named=True):
        name = row["model"].split("/")[1]
        answer = ANSWERS[name][row["item"]]
        assert row["answer"] == (answer or "")
        assert row["region"] == ITEMS[row["item"]][2]["region"]
        # the scorer's verdict, checked against an independent implementation
        assert row["correct"] == includes(answer, ITEMS[row["item"]][1])
    failed = table.filter(pl.col("error").is_not_null())
    assert failed.select("model", "item").rows() == [("mockllm/gamma", "q2")]
    assert "529" in failed["error"].item() and failed["correct"].item() is None
    assert res.sources.height == 3 and set(res.sources["scored_by"]) == {"includes"}
    assert int(res.sources["errors"].sum()) == 1
    assert "rows" in str(res.summary())


def test_inspect_log_files_and_duplicates(inspect_logs: Path, tmp_path: Path) -> None:
    files = sorted(inspect_logs.glob("*.eval"))
    one = read_inspect_logs(files[0]).table
    assert one["model"].n_unique() == 1 and one.height == len(ITEMS)
    copy = tmp_path / "retry"
    copy.mkdir()
    shutil.copy(files[0], copy / files[0].name.replace(".eval", "-retry.eval"))
    with pytest.raises(DuplicateRowsError, match="duplicates='last'"):
        read_inspect_logs([files[0], copy])
    kept = read_inspect_logs([files[0], copy], duplicates="last").table
    assert kept.height == len(ITEMS)


def test_inspect_several_scorers_need_a_choice(inspect_two_scorers: Path) -> None:
    with pytest.raises(InvalidValueError, match="several scorers"):
        read_inspect_logs(inspect_two_scorers)
    table = read_inspect_logs(inspect_two_scorers, scorer="match").table
    assert table.height == len(ITEMS)
    with pytest.raises(InvalidValueError, match="no scorer 'f1'"):
        read_inspect_logs(inspect_two_scorers, scorer="f1")


def test_inspect_rejects_what_is_not_a_log(tmp_path: Path) -> None:
    bad = tmp_path / "notalog.eval"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InvalidValueError, match="not an Inspect log"):
        read_inspect_logs(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(EmptyInputError, match="holds no Inspect logs"):
        read_inspect_logs(empty)


def test_lm_eval_samples_with_the_matching_results_file(lm_eval_outputs: Path) -> None:
    res = read_lm_eval_samples(lm_eval_outputs)
    table = res.table
    assert table.height == 2 * len(ITEMS)
    assert sorted(table["model"].unique()) == ["org/alpha", "org/beta"]
    assert set(res.sources["scored_by"]) == {"exact_match"}
    alpha = table.filter(model="org/alpha")
    assert alpha["correct"].to_list() == [1.0] * len(ITEMS)
    beta = table.filter(model="org/beta").sort("doc_id")
    # exact_match (ignore_case) of the scripted answers, recomputed here
    expected = [float((ANSWERS["beta"][i] or "").lower() == ITEMS[i][1].lower()) for i in ITEMS]
    assert beta["correct"].to_list() == expected
    assert beta["answer"].to_list() == [ANSWERS["beta"][i] for i in ITEMS]
    assert {"question", "region", "difficulty", "path", "metadata_answer"} <= set(table.columns)
    by_id = read_lm_eval_samples(lm_eval_outputs, item="id").table
    assert sorted(by_id["item"].unique()) == sorted(ITEMS)


def test_lm_eval_errors_name_the_file_and_the_fix(lm_eval_outputs: Path, tmp_path: Path) -> None:
    sample = next(lm_eval_outputs.rglob("samples_*.jsonl"))
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(sample, alone / sample.name)
    with pytest.raises(InvalidValueError, match="no matching results file"):
        read_lm_eval_samples(alone)
    results = next(sample.parent.glob("results_*.json"))
    shutil.copy(results, alone / results.name)
    with pytest.raises(InvalidValueError, match="metrics 'exact_match'|no metric 'acc'"):
        read_lm_eval_samples(alone, correct="acc")
    truncated = alone / sample.name
    truncated.write_text(sample.read_text()[:-40])
    with pytest.raises(InvalidValueError, match="not valid JSON"):
        read_lm_eval_samples(alone)
    with pytest.raises(InvalidValueError, match="not an lm-evaluation-harness sample file"):
        read_lm_eval_samples(results)


@pytest.mark.parametrize("suffix", ["csv", "parquet", "jsonl"])
def test_plain_tables_with_a_column_mapping(tmp_path: Path, suffix: str) -> None:
    frame = pl.DataFrame(
        {
            "system": ["a", "a", "b", "b"],
            "qid": ["q1", "q2", "q1", "q2"],
            "ok": [True, False, True, True],
            "region": ["Europe", "Asia", "Europe", "Asia"],
        }
    )
    path = tmp_path / f"results.{suffix}"
    {"csv": frame.write_csv, "parquet": frame.write_parquet, "jsonl": frame.write_ndjson}[suffix](
        path
    )
    mapping = {"model": "system", "item": "qid", "correct": "ok"}
    table = read_results_table(path, columns=mapping)
    assert table.columns == ["model", "item", "correct", "region"]
    assert table["correct"].to_list() == [1, 0, 1, 1]
    lazy = scan_results(path, columns=mapping)
    assert isinstance(lazy, pl.LazyFrame)
    assert lazy.select("model").collect()["model"].to_list() == ["a", "a", "b", "b"]


def test_plain_table_checks(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("model,item,correct\na,q1,1\na,q1,0\n")
    with pytest.raises(DuplicateRowsError, match="'a', 'q1'"):
        read_results_table(path)
    path.write_text("model,item,correct\na,q1,2\n")
    with pytest.raises(InvalidValueError, match=r"outside \[0, 1\]"):
        read_results_table(path)
    path.write_text("system,item,correct\na,q1,1\n")
    with pytest.raises(InputShapeError, match="no column"):
        read_results_table(path)
    with pytest.raises(InputShapeError, match="'sys'"):
        read_results_table(path, columns={"model": "sys"})
    path.write_text(json.dumps({"a": 1}))
    with pytest.raises(InvalidValueError, match="format"):
        read_results_table(tmp_path / "r.xyz")


def test_inspect_json_logs_read_the_same(inspect_logs: Path, tmp_path: Path) -> None:
    from inspect_ai.log import read_eval_log, write_eval_log

    source = sorted(inspect_logs.glob("*.eval"))[0]
    target = tmp_path / "converted.json"
    write_eval_log(read_eval_log(str(source)), str(target), format="json")
    a = read_inspect_logs(source).table.drop("source")
    b = read_inspect_logs(target).table.drop("source")
    assert a.sort("item").equals(b.sort("item"))
