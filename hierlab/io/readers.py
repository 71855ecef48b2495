"""Readers: evaluation logs and results files into hierlab's long results table.

Every reader returns the long results table of ``docs/glossary.md``: one row per model and
item (and epoch, where a harness repeats items), with

* ``model`` - the model as the log names it (never taken from a file name);
* ``item`` - the sample's id;
* ``correct`` - the score in [0, 1] (null where the sample errored or was not scored);
* ``answer`` - the model's raw answer (for :func:`hierlab.io.parse_answers`);
* ``target``, ``task``, ``error`` (Inspect), ``epoch`` (Inspect), ``filter`` (lm-eval);
* the sample's metadata as item columns (a key that clashes with a column above gets the
  prefix ``metadata_``; nested values become JSON text).

Several logs combine into one table; the same (task, model, item, epoch) twice is an error
unless ``duplicates="last"`` keeps the most recent log's row.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingDependencyError,
    format_items,
)
from hierlab.results import Result, Summary

__all__ = [
    "EvaluationResults",
    "check_results_table",
    "read_inspect_logs",
    "read_lm_eval_samples",
    "read_results_table",
    "scan_results",
]

#: Columns every reader writes before the metadata columns.
BASE_COLUMNS = ("model", "item", "correct", "answer", "target", "task")
_SAMPLES = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d\-.]+)\.jsonl$")
_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".jsonl": "ndjson"}
_FORMATS |= {".ndjson": "ndjson", ".json": "ndjson", ".tsv": "tsv"}


@dataclass(frozen=True, eq=False)
class EvaluationResults(Result):
    """A long results table read from evaluation logs, with what was read from where.

    Attributes
    ----------
    table : polars.DataFrame
        The long results table: ``model, item, correct, answer, target, task`` (+ ``epoch``,
        ``error``, ``filter`` where the harness has them) and the samples' metadata.
    sources : polars.DataFrame
        One row per log read: ``source`` (file), ``harness``, ``task``, ``model``,
        ``status``, ``samples``, ``scored_by`` (the scorer or metric used as ``correct``)
        and ``errors`` (samples that failed).

    Examples
    --------
    >>> res = EvaluationResults(
    ...     table=pl.DataFrame({"model": ["m"], "item": ["q1"], "correct": [1.0]}),
    ...     sources=pl.DataFrame({"source": ["log.eval"], "model": ["m"], "samples": [1]}))
    >>> res.to_polars().columns
    ['model', 'item', 'correct']
    """

    table: pl.DataFrame
    sources: pl.DataFrame

    def summary(self) -> Summary:
        """Summarise: rows, models, tasks, errors, and accuracy by model and task.

        Returns
        -------
        Summary
        """
        t = self.table
        keys = [c for c in ("model", "task") if c in t.columns]
        by_model = (
            t.group_by(keys)
            .agg(
                pl.len().alias("rows"),
                pl.col("correct").is_not_null().sum().alias("scored"),
                pl.col("correct").mean().alias("mean_correct"),
            )
            .sort(keys)
        )
        facts: list[tuple[str, Any]] = [
            ("rows", t.height),
            ("models", t["model"].n_unique() if "model" in t.columns else 0),
            ("items", t["item"].n_unique() if "item" in t.columns else 0),
            ("sources", self.sources.height),
        ]
        if "error" in t.columns:
            facts.append(("samples with an error", int(t["error"].is_not_null().sum())))
        return Summary(
            "Evaluation results",
            facts=facts,
            tables={"by model": by_model, "sources": self.sources},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the long results table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


# --------------------------------------------------------------------------- helpers


def _paths(paths: Any, what: str) -> list[Path]:
    if isinstance(paths, str | Path):
        paths = [paths]
    if isinstance(paths, bytes) or not isinstance(paths, Iterable):
        raise InputTypeError(
            f"`paths` must be a file or folder path (str or Path) or a list of them, got "
            f"{type(paths).__name__}."
        )
    out = []
    for p in paths:
        if not isinstance(p, str | Path):
            raise InputTypeError(
                f"`paths` must hold file or folder paths (str or Path), got {type(p).__name__}."
            )
        path = Path(p).expanduser()
        if not path.exists():
            raise InvalidValueError(f"{what} {str(path)!r} does not exist.")
        out.append(path)
    if not out:
        raise EmptyInputError(f"`paths` is empty: give at least one {what.lower()}.")
    return out


def _scalar(value: Any) -> Any:
    """Metadata values as table cells: scalars as they are, the rest as JSON text."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    try:
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def _metadata_columns(records: list[dict[str, Any]], taken: Iterable[str]) -> pl.DataFrame:
    """Metadata dicts -> columns (prefix ``metadata_`` on a clash), one type per column."""
    taken = set(taken)
    keys: list[str] = []
    for r in records:
        for k in r:
            if k not in keys:
                keys.append(k)
    columns: dict[str, list[Any]] = {}
    for k in keys:
        values = [_scalar(r.get(k)) for r in records]
        kinds = {type(v) for v in values if v is not None}
        if len(kinds) > 1 and not kinds <= {int, float}:
            values = [None if v is None else str(v) for v in values]
        name = f"metadata_{k}" if str(k) in taken else str(k)
        columns[name] = values
    return pl.DataFrame(columns, strict=False) if columns else pl.DataFrame()


def _combine(frames: list[pl.DataFrame], keys: list[str], duplicates: str) -> pl.DataFrame:
    table = pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()
    if table.height == 0:
        return table
    if duplicates == "last":
        return table.unique(subset=keys, keep="last", maintain_order=True)
    dup = table.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        shown = dup.select(keys).unique(maintain_order=True).head(5).rows()
        sources = sorted(set(dup["source"].to_list())) if "source" in dup.columns else []
        raise DuplicateRowsError(
            f"{dup.select(keys).n_unique()} ({', '.join(keys)}) combination(s) occur in more "
            f"than one row, e.g. {format_items(shown, 3)}"
            + (f", in {format_items(sources, 4)}" if sources else "")
            + ". The same model and task were read twice (a retried or repeated run?): "
            "read one log per run, or pass duplicates='last' to keep the most recent."
        )
    return table


def _check_duplicates_option(duplicates: Any) -> str:
    if duplicates not in ("error", "last"):
        raise InvalidValueError(f"`duplicates` must be 'error' or 'last', got {duplicates!r}.")
    return str(duplicates)


def _target_text(target: Any) -> str | None:
    if target is None:
        return None
    if isinstance(target, list | tuple):
        return " | ".join(str(t) for t in target)
    return str(target)


# --------------------------------------------------------------------------- Inspect AI


def read_inspect_logs(
    paths: Any, *, scorer: str | None = None, duplicates: str = "error"
) -> EvaluationResults:
    """Read Inspect AI evaluation logs (``.eval`` or ``.json``) into the long results table.

    Logs are read with Inspect's own reader (``inspect_ai.log``; the ``io`` extra), sample
    by sample, without the message and event transcripts. The model is the log's
    ``eval.model`` ("openai/gpt-4o"); ``correct`` is the chosen scorer's value as a number
    in [0, 1] (Inspect's ``value_to_float``: "C" = 1, "P" = 0.5, "I" = 0); a sample that
    failed keeps its row with ``correct`` null and the message in ``error``.

    Parameters
    ----------
    paths : str, Path or list of them
        Log files, or folders searched for logs (Inspect's ``list_eval_logs``).
    scorer : str, optional
        The scorer whose value is ``correct`` (default: the log's only scorer; a log with
        several needs this).
    duplicates : {"error", "last"}, default "error"
        The same (task, model, item, epoch) in two logs: an error, or keep the last log's.

    Returns
    -------
    EvaluationResults
        ``.table``: ``model, item, correct, answer, target, task, epoch, error``, the score's
        extracted ``scored_answer``, ``source`` and the samples' metadata; ``.sources``: one
        row per log.

    Examples
    --------
    >>> import tempfile
    >>> from inspect_ai import Task, eval as inspect_eval
    >>> from inspect_ai.dataset import Sample
    >>> from inspect_ai.scorer import includes
    >>> from inspect_ai.model import ModelOutput, ModelUsage, get_model
    >>> task = Task(dataset=[Sample(input="Capital of France?", target="Paris", id="q1",
    ...                             metadata={"region": "Europe"})], scorer=includes())
    >>> reply = ModelOutput.from_content("mockllm/model", "It is Paris.")
    >>> reply.usage = ModelUsage(input_tokens=5, output_tokens=3, total_tokens=8)
    >>> model = get_model("mockllm/model", custom_outputs=[reply])  # offline, no tokenizer
    >>> folder = tempfile.mkdtemp()
    >>> _ = inspect_eval(task, model=model, log_dir=folder, display="none")
    >>> read_inspect_logs(folder).table.select("model", "item", "correct", "answer", "region").rows()
    [('mockllm/model', 'q1', 1.0, 'It is Paris.', 'Europe')]
    """
    duplicates = _check_duplicates_option(duplicates)
    if scorer is not None and not isinstance(scorer, str):
        raise InputTypeError(
            f"`scorer` must be a scorer's name (str), got {type(scorer).__name__}."
        )
    files = _paths(paths, "The log path")
    try:
        from inspect_ai.log import list_eval_logs, read_eval_log, read_eval_log_samples
        from inspect_ai.scorer import value_to_float
    except ImportError:
        raise MissingDependencyError(
            "read_inspect_logs needs Inspect AI: pip install 'hierlab[io]' (or inspect-ai)."
        ) from None
    logs: list[str] = []
    for path in files:
        if path.is_dir():
            found = [info.name for info in list_eval_logs(str(path))]
            if not found:
                raise EmptyInputError(f"The folder {str(path)!r} holds no Inspect logs.")
            logs += [f.removeprefix("file://") for f in found]
        else:
            logs.append(str(path))
    to_float = value_to_float()
    frames, sources = [], []
    for log in sorted(dict.fromkeys(logs)):
        try:
            header = read_eval_log(log, header_only=True)
        except Exception as err:  # Inspect raises its own and pydantic errors
            raise InvalidValueError(
                f"{log!r} is not an Inspect log Inspect can read ({type(err).__name__}: "
                f"{str(err)[:200]})."
            ) from None
        scorers = [s.name for s in (header.results.scores if header.results else [])]
        chosen = scorer
        rows: list[dict[str, Any]] = []
        metadata: list[dict[str, Any]] = []
        errors = 0
        for sample in read_eval_log_samples(
            log, all_samples_required=False, exclude_fields={"events", "messages", "attachments"}
        ):
            scores = sample.scores or {}
            if chosen is None:
                names = list(dict.fromkeys([*scorers, *scores]))
                if len(names) > 1:
                    raise InvalidValueError(
                        f"The log {log!r} has several scorers ({format_items(names)}); choose "
                        "the one whose value is `correct` with scorer=..."
                    )
                chosen = names[0] if names else None
            if chosen is not None and scores and chosen not in scores:
                raise InvalidValueError(
                    f"The log {log!r} has no scorer {chosen!r}; its scorers are "
                    f"{format_items(list(scores))}."
                )
            score = scores.get(chosen) if chosen is not None else None
            value = None
            if score is not None:
                if isinstance(score.value, dict | list):
                    raise InvalidValueError(
                        f"The scorer {chosen!r} in {log!r} gives {type(score.value).__name__} "
                        "values (several metrics per sample); hierlab needs one number per "
                        "sample: score with a scorer that returns one value."
                    )
                value = float(to_float(score.value))
                if not 0.0 <= value <= 1.0:
                    raise InvalidValueError(
                        f"The scorer {chosen!r} in {log!r} gives {value} for sample "
                        f"{sample.id!r}; `correct` must be in [0, 1]."
                    )
            error = sample.error.message if sample.error is not None else None
            errors += error is not None
            rows.append(
                {
                    "model": header.eval.model,
                    "item": str(sample.id),
                    "correct": None if error is not None else value,
                    "answer": sample.output.completion if sample.output else None,
                    "target": _target_text(sample.target),
                    "task": header.eval.task,
                    "epoch": int(sample.epoch),
                    "error": error,
                    "scored_answer": score.answer if score is not None else None,
                    "source": log,
                }
            )
            metadata.append(dict(sample.metadata or {}))
        base = pl.DataFrame(
            rows,
            schema={
                "model": pl.String,
                "item": pl.String,
                "correct": pl.Float64,
                "answer": pl.String,
                "target": pl.String,
                "task": pl.String,
                "epoch": pl.Int64,
                "error": pl.String,
                "scored_answer": pl.String,
                "source": pl.String,
            },
        )
        meta = _metadata_columns(metadata, base.columns)
        frames.append(pl.concat([base, meta], how="horizontal") if meta.width else base)
        sources.append(
            {
                "source": log,
                "harness": "inspect_ai",
                "task": header.eval.task,
                "model": header.eval.model,
                "status": header.status,
                "samples": len(rows),
                "scored_by": chosen,
                "errors": errors,
            }
        )
    table = _combine(frames, ["task", "model", "item", "epoch"], duplicates)
    if table.height == 0:
        raise EmptyInputError(f"The logs {format_items(logs, 3)} hold no samples.")
    return EvaluationResults(table=table, sources=pl.DataFrame(sources))


# --------------------------------------------------------------------------- lm-evaluation-harness


def _lm_eval_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("samples_*.jsonl") if _SAMPLES.match(p.name))
            if not found:
                raise EmptyInputError(
                    f"The folder {str(path)!r} holds no lm-evaluation-harness sample files "
                    "(samples_<task>_<date>.jsonl, written with --log_samples)."
                )
            files += found
        elif _SAMPLES.match(path.name):
            files.append(path)
        else:
            raise InvalidValueError(
                f"{str(path)!r} is not an lm-evaluation-harness sample file: their names are "
                "samples_<task>_<date>.jsonl (lm_eval --log_samples --output_path ...)."
            )
    return sorted(dict.fromkeys(files))


def _lm_eval_model(results: dict[str, Any]) -> str | None:
    name = results.get("model_name")
    if name:
        return str(name)
    config = results.get("config") or {}
    args = config.get("model_args")
    if isinstance(args, dict):
        for key in ("pretrained", "model", "path", "engine"):
            if args.get(key):
                return str(args[key])
    if isinstance(args, str) and args:
        match = re.search(r"(?:pretrained|model|path|engine)=([^,]+)", args)
        if match:
            return match.group(1)
    return str(config["model"]) if config.get("model") else None


def _lm_eval_answer(filtered: Any) -> str | None:
    if isinstance(filtered, list) and filtered and isinstance(filtered[0], str):
        return filtered[0]
    if isinstance(filtered, str):
        return filtered
    if (
        isinstance(filtered, list)
        and filtered
        and all(isinstance(x, list | tuple) and x for x in filtered)
    ):  # multiple choice: (log-likelihood, is_greedy) per choice -> the chosen index
        try:
            scores = [float(x[0]) for x in filtered]
        except (TypeError, ValueError):
            return json.dumps(filtered, default=str)
        return str(max(range(len(scores)), key=scores.__getitem__))
    return None if filtered is None else json.dumps(filtered, default=str)


def read_lm_eval_samples(
    paths: Any,
    *,
    correct: str | None = None,
    item: str | None = None,
    response_filter: str | None = None,
    duplicates: str = "error",
) -> EvaluationResults:
    """Read lm-evaluation-harness ``--log_samples`` output into the long results table.

    Each ``samples_<task>_<date>.jsonl`` is matched with the ``results_<date>.json`` that
    the same run wrote beside it; the model is that file's ``model_name`` (from
    ``--model_args pretrained=...``), never the folder's name. The format read is the one
    lm-evaluation-harness's ``EvaluationTracker`` writes (``doc_id, doc, target, resps,
    filtered_resps, filter, metrics`` and one key per metric).

    Parameters
    ----------
    paths : str, Path or list of them
        Sample files, or folders searched (recursively) for them.
    correct : str, optional
        The metric used as ``correct`` ("acc", "exact_match" ...; default: the task's only
        metric; a task with several needs this). Its values must lie in [0, 1].
    item : str, optional
        A field of the sample's ``doc`` that identifies the item (default: ``doc_id``).
    response_filter : str, optional
        The filter whose rows to keep, when a task applies several ("strict-match",
        "flexible-extract"; default: the only one).
    duplicates : {"error", "last"}, default "error"
        The same (task, model, item) twice: an error, or keep the last file's row.

    Returns
    -------
    EvaluationResults
        ``.table``: ``model, item, correct, answer`` (the filtered response; for a
        multiple-choice task the index of the most likely choice), ``target, task,
        filter, doc_id, source`` and the ``doc`` fields; ``.sources``: one row per file.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> folder = Path(tempfile.mkdtemp()) / "org__model"
    >>> folder.mkdir()
    >>> sample = {"doc_id": 0, "doc": {"q": "2+2?", "topic": "math"}, "target": "4",
    ...           "resps": [["4"]], "filtered_resps": ["4"], "filter": "none",
    ...           "metrics": ["exact_match"], "exact_match": 1.0}
    >>> _ = (folder / "samples_arith_2025-01-01T00-00-00.000001.jsonl").write_text(json.dumps(sample))
    >>> _ = (folder / "results_2025-01-01T00-00-00.000001.json").write_text(
    ...     json.dumps({"model_name": "org/model", "config": {"model": "hf"}}))
    >>> read_lm_eval_samples(folder.parent).table.select("model", "item", "correct", "topic").rows()
    [('org/model', '0', 1.0, 'math')]
    """
    duplicates = _check_duplicates_option(duplicates)
    for value, name in ((correct, "correct"), (item, "item"), (response_filter, "response_filter")):
        if value is not None and not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a name (str), got {type(value).__name__}.")
    files = _lm_eval_files(_paths(paths, "The sample path"))
    frames, sources = [], []
    for file in files:
        match = _SAMPLES.match(file.name)
        assert match is not None
        task, date = match.group("task"), match.group("date")
        results_file = file.with_name(f"results_{date}.json")
        if not results_file.is_file():
            raise InvalidValueError(
                f"{str(file)!r} has no matching results file {results_file.name!r} beside it; "
                "the model's identity is read from that file (lm_eval writes both with "
                "--log_samples --output_path)."
            )
        try:
            results = json.loads(results_file.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise InvalidValueError(f"{str(results_file)!r} is not valid JSON: {err}.") from None
        model = _lm_eval_model(results) if isinstance(results, dict) else None
        if not model:
            raise InvalidValueError(
                f"{str(results_file)!r} names no model (no 'model_name' or "
                "config.model_args); cannot tell which model wrote these samples."
            )
        records = []
        for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise InvalidValueError(
                    f"Line {number} of {str(file)!r} is not valid JSON ({err.msg}); the file "
                    "may be truncated."
                ) from None
            if not isinstance(record, dict) or "doc_id" not in record:
                raise InputShapeError(
                    f"Line {number} of {str(file)!r} is not an lm-evaluation-harness sample "
                    "(a JSON object with doc_id, doc, target, filtered_resps and metrics)."
                )
            records.append(record)
        if not records:
            raise EmptyInputError(f"{str(file)!r} holds no samples.")
        filters = list(dict.fromkeys(r.get("filter", "none") for r in records))
        chosen_filter = response_filter
        if chosen_filter is None:
            if len(filters) > 1:
                raise InvalidValueError(
                    f"{str(file)!r} holds several filters ({format_items(filters)}); choose one "
                    "with response_filter=..."
                )
            chosen_filter = filters[0]
        elif chosen_filter not in filters:
            raise InvalidValueError(
                f"{str(file)!r} has no filter {chosen_filter!r}; its filters are "
                f"{format_items(filters)}."
            )
        records = [r for r in records if r.get("filter", "none") == chosen_filter]
        metrics = list(dict.fromkeys(m for r in records for m in (r.get("metrics") or [])))
        metric = correct
        if metric is None:
            if len(metrics) != 1:
                raise InvalidValueError(
                    f"Task {task!r} in {str(file)!r} has metrics {format_items(metrics)}; "
                    "choose the one used as `correct` with correct=..."
                )
            metric = metrics[0]
        missing = [r["doc_id"] for r in records if metric not in r]
        if missing:
            raise InvalidValueError(
                f"{len(missing)} sample(s) of {str(file)!r} have no metric {metric!r} (e.g. "
                f"doc_id {format_items(missing, 3)}); its metrics are {format_items(metrics)}."
            )
        values = []
        for r in records:
            v = r[metric]
            if isinstance(v, bool):
                v = float(v)
            if not isinstance(v, int | float) or not 0.0 <= float(v) <= 1.0:
                raise InvalidValueError(
                    f"Metric {metric!r} of doc_id {r['doc_id']} in {str(file)!r} is {v!r}; "
                    "`correct` must be a number in [0, 1] (choose a 0/1 metric with correct=)."
                )
            values.append(float(v))
        docs = [r.get("doc") if isinstance(r.get("doc"), dict) else {} for r in records]
        if item is not None:
            lacking = [r["doc_id"] for r, d in zip(records, docs, strict=True) if item not in d]
            if lacking:
                raise InvalidValueError(
                    f"{len(lacking)} sample(s) of {str(file)!r} have no doc field {item!r} "
                    f"(e.g. doc_id {format_items(lacking, 3)})."
                )
            ids = [str(d[item]) for d in docs]
        else:
            ids = [str(r["doc_id"]) for r in records]
        base = pl.DataFrame(
            {
                "model": [model] * len(records),
                "item": ids,
                "correct": values,
                "answer": [_lm_eval_answer(r.get("filtered_resps")) for r in records],
                "target": [_target_text(r.get("target")) for r in records],
                "task": [task] * len(records),
                "filter": [chosen_filter] * len(records),
                "doc_id": [int(r["doc_id"]) for r in records],
                "source": [str(file)] * len(records),
            },
            schema={
                "model": pl.String,
                "item": pl.String,
                "correct": pl.Float64,
                "answer": pl.String,
                "target": pl.String,
                "task": pl.String,
                "filter": pl.String,
                "doc_id": pl.Int64,
                "source": pl.String,
            },
        )
        meta = _metadata_columns(docs, base.columns)
        frames.append(pl.concat([base, meta], how="horizontal") if meta.width else base)
        sources.append(
            {
                "source": str(file),
                "harness": "lm_eval",
                "task": task,
                "model": model,
                "status": "success",
                "samples": len(records),
                "scored_by": metric,
                "errors": 0,
            }
        )
    table = _combine(frames, ["task", "model", "item"], duplicates)
    return EvaluationResults(table=table, sources=pl.DataFrame(sources))


# --------------------------------------------------------------------------- plain tables


def _source_format(path: Path, format: str | None) -> str:
    if format is not None:
        if format not in ("csv", "tsv", "parquet", "ndjson"):
            raise InvalidValueError(
                f"`format` must be 'csv', 'tsv', 'parquet' or 'ndjson', got {format!r}."
            )
        return format
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise InvalidValueError(
            f"Cannot tell the format of {str(path)!r} from its extension; pass "
            "format='csv', 'tsv', 'parquet' or 'ndjson'."
        )
    return _FORMATS[suffix]


def _renames(columns: Any, available: list[str], source: str) -> dict[str, str]:
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise InputTypeError(
            "`columns` must map hierlab's column roles to your column names, e.g. "
            f"{{'model': 'system', 'item': 'question_id'}}, got {type(columns).__name__}."
        )
    roles = {"model", "item", "correct", "answer", "target", "task", "epoch"}
    unknown = sorted(set(columns) - roles)
    if unknown:
        raise InvalidValueError(
            f"`columns` maps unknown role(s) {format_items(unknown)}; the roles are "
            f"{format_items(sorted(roles))}."
        )
    absent = [v for v in columns.values() if v not in available]
    if absent:
        raise InputShapeError(
            f"{source} has no column(s) {format_items(absent)} named in `columns`; its "
            f"columns are {format_items(available)}."
        )
    clash = [
        r for r, v in columns.items() if r in available and r != v and r not in columns.values()
    ]
    if clash:
        raise InputShapeError(
            f"{source} already has column(s) {format_items(clash)}, which `columns` would "
            "overwrite with another column; rename or drop them first."
        )
    return {v: k for k, v in columns.items() if k != v}


def scan_results(
    source: Any, *, columns: Mapping[str, str] | None = None, format: str | None = None
) -> pl.LazyFrame:
    """Scan a results file lazily (Parquet, CSV or JSON Lines), renamed to hierlab's columns.

    Nothing is read until the frame is collected, and then only the columns a query uses:
    pass the result straight to :func:`hierlab.bias.disaggregate` or the depth functions,
    which select their columns before collecting (a 10-million-row table stays cheap).

    Parameters
    ----------
    source : str or Path
        The file (``.parquet``, ``.csv``, ``.tsv``, ``.jsonl``/``.ndjson``; a glob such as
        ``"results/*.parquet"`` works for Parquet).
    columns : mapping of str to str, optional
        Hierlab's column roles to your column names: ``{"model": "system", "item":
        "question_id", "correct": "is_correct"}``.
    format : {"parquet", "csv", "tsv", "ndjson"}, optional
        The format, when the extension does not say.

    Returns
    -------
    polars.LazyFrame

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "results.parquet"
    >>> pl.DataFrame({"system": ["a", "b"], "qid": ["q1", "q1"], "ok": [1, 0]}).write_parquet(path)
    >>> lazy = scan_results(path, columns={"model": "system", "item": "qid", "correct": "ok"})
    >>> lazy.select("model", "correct").collect().rows()
    [('a', 1), ('b', 0)]
    """
    if not isinstance(source, str | Path):
        raise InputTypeError(
            f"`source` must be a file path (str or Path), got {type(source).__name__}."
        )
    path = Path(source).expanduser()
    kind = _source_format(path, format)
    if "*" not in str(path) and not path.exists():
        raise InvalidValueError(f"The results file {str(path)!r} does not exist.")
    try:
        if kind == "parquet":
            lazy = pl.scan_parquet(path)
        elif kind in ("csv", "tsv"):
            lazy = pl.scan_csv(path, separator="\t" if kind == "tsv" else ",")
        else:
            lazy = pl.scan_ndjson(path)
        schema = lazy.collect_schema()
    except (pl.exceptions.PolarsError, OSError) as err:
        raise InvalidValueError(
            f"Could not read {str(path)!r} as {kind}: {type(err).__name__}: {str(err)[:200]}"
        ) from None
    renames = _renames(columns, list(schema.names()), f"The results file {str(path)!r}")
    return lazy.rename(renames) if renames else lazy


def read_results_table(
    source: Any, *, columns: Mapping[str, str] | None = None, format: str | None = None
) -> pl.DataFrame:
    r"""Read a plain results table (CSV, Parquet, JSON Lines) and check it.

    The table is renamed to hierlab's columns, then checked: ``model`` and ``item`` present
    and never null, ``correct`` (when present) booleans or numbers in [0, 1] (booleans
    become 0/1), and each (model, item) - or (model, item, epoch) - once.

    Parameters
    ----------
    source : str or Path
        The file (``.csv``, ``.tsv``, ``.parquet``, ``.jsonl``/``.ndjson``).
    columns : mapping of str to str, optional
        Hierlab's column roles to your column names: ``{"model": "system", "item":
        "question_id", "correct": "is_correct", "answer": "response"}``.
    format : {"csv", "tsv", "parquet", "ndjson"}, optional
        The format, when the extension does not say.

    Returns
    -------
    polars.DataFrame
        The long results table (all columns, renamed).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "results.csv"
    >>> _ = path.write_text("system,qid,ok,region\na,q1,true,Europe\nb,q1,false,Europe\n")
    >>> read_results_table(path, columns={"model": "system", "item": "qid", "correct": "ok"}).rows()
    [('a', 'q1', 1, 'Europe'), ('b', 'q1', 0, 'Europe')]
    """
    lazy = scan_results(source, columns=columns, format=format)
    try:
        table = lazy.collect()
    except (pl.exceptions.PolarsError, OSError) as err:
        raise InvalidValueError(
            f"Could not read {str(source)!r}: {type(err).__name__}: {str(err)[:300]}"
        ) from None
    return check_results_table(table, what=f"The results table {str(source)!r}")


def check_results_table(table: pl.DataFrame, *, what: str = "The results table") -> pl.DataFrame:
    """Check a long results table; return it with ``correct`` as numbers.

    Parameters
    ----------
    table : polars.DataFrame
        ``model, item`` (+ ``correct``, ``epoch``, item columns).
    what : str, default "The results table"
        How messages name the table.

    Returns
    -------
    polars.DataFrame

    Examples
    --------
    >>> check_results_table(pl.DataFrame({"model": ["a"], "item": ["q"], "correct": [True]}))["correct"].to_list()
    [1]
    """
    if not isinstance(table, pl.DataFrame):
        raise InputTypeError(f"`table` must be a polars DataFrame, got {type(table).__name__}.")
    missing = [c for c in ("model", "item") if c not in table.columns]
    if missing:
        raise InputShapeError(
            f"{what} has no column(s) {format_items(missing)}; its columns are "
            f"{format_items(table.columns)}. Map yours with columns={{'model': ..., "
            "'item': ...}."
        )
    if "correct" not in table.columns and "answer" not in table.columns:
        raise InputShapeError(
            f"{what} has neither 'correct' nor 'answer'; map the outcome (or the raw answer "
            "to parse) with columns={'correct': ...} or {'answer': ...}."
        )
    if table.height == 0:
        raise EmptyInputError(f"{what} has no rows.")
    for column in ("model", "item"):
        nulls = table.with_row_index("row").filter(pl.col(column).is_null())["row"].to_list()
        if nulls:
            raise InvalidValueError(
                f"{what} has no {column} in {len(nulls)} row(s): {format_items(nulls, 5)}."
            )
    if "correct" in table.columns:
        dtype = table.schema["correct"]
        if dtype == pl.Boolean:
            table = table.with_columns(pl.col("correct").cast(pl.Int8))
        elif not dtype.is_numeric():
            raise InvalidValueError(
                f"{what}'s 'correct' column holds {dtype} values; it must be booleans or "
                "numbers in [0, 1] (0/1, or a score)."
            )
        bad = table.with_row_index("row").filter(
            pl.col("correct").is_not_null()
            & (pl.col("correct").is_nan() | (pl.col("correct") < 0) | (pl.col("correct") > 1))
            if table.schema["correct"].is_float()
            else pl.col("correct").is_not_null()
            & ((pl.col("correct") < 0) | (pl.col("correct") > 1))
        )
        if bad.height:
            raise InvalidValueError(
                f"{what}'s 'correct' is outside [0, 1] (or NaN) in {bad.height} row(s): "
                f"rows {format_items(bad['row'].to_list(), 5)} hold "
                f"{format_items(bad['correct'].head(5).to_list(), 5)}. Use null for a missing "
                "outcome."
            )
    keys = ["model", "item"] + (["epoch"] if "epoch" in table.columns else [])
    dup = table.filter(pl.struct(keys).is_duplicated())
    if dup.height:
        shown = dup.select(keys).unique(maintain_order=True).head(3).rows()
        raise DuplicateRowsError(
            f"{what} has {dup.select(keys).n_unique()} ({', '.join(keys)}) combination(s) in "
            f"more than one row, e.g. {format_items(shown, 3)}. Keep one row per model and "
            "item (add an 'epoch' column for repeated runs)."
        )
    return table
