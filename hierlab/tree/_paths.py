"""Paths of labels: escaping, splitting, joining, hashing and parsing path inputs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import chain
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import is_missing, text_labels
from hierlab.errors import (
    InputTypeError,
    InvalidValueError,
    NullLabelError,
    format_items,
)
from hierlab.tree._structure import describe, list_series

ESCAPE = "\\"


PathLike = str | Sequence[str]


NodeIds = int | Sequence[int] | np.ndarray


# polynomial hashing of label-code sequences, modulo 2**64 (numpy's uint64 arithmetic
# wraps); every hash match is verified label by label, so collisions cost speed, never
# correctness
HASH_BASE = np.uint64(0x9E3779B97F4A7C15)


def inverse_mod_2_64(odd: np.uint64) -> np.uint64:
    """Return the inverse of an odd number modulo 2**64 (Newton's iteration)."""
    x = np.array([1], dtype=np.uint64)
    b = np.array([odd], dtype=np.uint64)
    for _ in range(7):
        x = x * (np.uint64(2) - b * x)
    return x[0]


HASH_BASE_INV = inverse_mod_2_64(HASH_BASE)


def powers(base: np.uint64, count: int) -> np.ndarray:
    """Return ``base ** 0 .. base ** (count - 1)`` modulo 2**64."""
    out = np.full(max(count, 1), base, dtype=np.uint64)
    out[0] = 1
    return np.cumprod(out)


def check_sep(sep: Any) -> str:
    if not isinstance(sep, str) or not sep:
        raise InvalidValueError(
            f"`sep` must be a non-empty string to split or join string paths, got {describe(sep)}."
        )
    if ESCAPE in sep:
        raise InvalidValueError(
            f"`sep` must not contain a backslash, hierlab's escape character; got {sep!r}."
        )
    return sep


def free_chars(strings: pl.Series, count: int) -> list[str]:
    """``count`` private-use characters that occur in none of ``strings`` (placeholders)."""
    out: list[str] = []
    for code in range(0xE000, 0xF900):
        ch = chr(code)
        if not strings.str.contains(ch, literal=True).any():
            out.append(ch)
            if len(out) == count:
                return out
    raise InvalidValueError(  # needs 6,400 distinct private-use characters in the input
        "The paths use every private-use Unicode character; hierlab cannot parse their escapes."
    )


def split_strings(strings: pl.Series, sep: str) -> pl.Series:
    """Split string paths into label lists: escapes resolved, one outer ``sep`` dropped."""
    if not strings.str.contains(ESCAPE, literal=True).fill_null(False).any():
        out = strings.str.strip_prefix(sep).str.strip_suffix(sep).str.split(sep)
        return out.cast(pl.List(pl.String))
    escaped_chars = sorted(set(sep))
    holders = free_chars(strings, len(escaped_chars) + 1)
    text = strings.str.replace_all(ESCAPE * 2, holders[0], literal=True)
    for ch, holder in zip(escaped_chars, holders[1:], strict=True):
        text = text.str.replace_all(ESCAPE + ch, holder, literal=True)
    lone = text.str.contains(ESCAPE, literal=True).fill_null(False)
    if lone.any():
        rows = np.flatnonzero(lone.to_numpy())
        shown = strings.gather(rows[:3]).to_list()
        raise InvalidValueError(
            f"{len(rows)} string path(s) hold a backslash that escapes nothing, at row(s) "
            f"{format_items(rows.tolist())} (e.g. {format_items(shown, 3)}). In a string path "
            f"a backslash escapes a backslash or the separator {sep!r}: write a literal "
            "backslash as two backslashes, or give the path as a tuple of labels."
        )
    parts = text.str.strip_prefix(sep).str.strip_suffix(sep).str.split(sep)
    element = pl.element()
    for ch, holder in zip(escaped_chars, holders[1:], strict=True):
        element = element.str.replace_all(holder, ch, literal=True)
    element = element.str.replace_all(holders[0], ESCAPE, literal=True)
    return parts.list.eval(element).cast(pl.List(pl.String))


def escape_one(label: str, sep: str) -> str:
    """Escape one label: backslashes, and every character where a separator match could start."""
    out = []
    for k, ch in enumerate(label):
        if ch == ESCAPE:
            out.append(ESCAPE * 2)
        elif label.startswith(sep, k) or sep.startswith(label[k:]):
            out.append(ESCAPE + ch)
        else:
            out.append(ch)
    return "".join(out)


def escape_labels(labels: pl.Series, sep: str) -> pl.Series:
    """Escape labels so that joining them with ``sep`` can be split back unambiguously."""
    out = labels.str.replace_all(ESCAPE, ESCAPE * 2, literal=True)
    if len(sep) == 1:
        return out.str.replace_all(sep, ESCAPE + sep, literal=True)
    # a multi-character separator can also start inside a label and end in the separator
    risky = labels.str.contains(sep, literal=True)
    for j in range(1, len(sep)):
        risky = risky | labels.str.ends_with(sep[:j])
    if risky.any():
        rows = np.flatnonzero(risky.to_numpy())
        fixed = [escape_one(x, sep) for x in labels.gather(rows).to_list()]  # the few risky
        out = out.scatter(rows, fixed)
    return out


def join_path(labels: Sequence[str], *, sep: str = "/") -> str:
    r"""Write a path (a sequence of labels, root first) as one string, escaping as needed.

    A backslash is written before every backslash and every separator that occurs inside
    a label, so :func:`split_path` (and every hierlab function that reads string paths)
    gives the labels back exactly.

    Parameters
    ----------
    labels : sequence of str
        The path's labels, root first.
    sep : str, default "/"
        The separator (it may not contain a backslash).

    Returns
    -------
    str

    Examples
    --------
    >>> join_path(["Top", "Features/Books", "C:\\temp"])
    'Top/Features\\/Books/C:\\\\temp'
    >>> split_path(join_path(["Top", "Features/Books"]))
    ('Top', 'Features/Books')
    """
    sep = check_sep(sep)
    if isinstance(labels, str) or not isinstance(labels, Sequence | np.ndarray | pl.Series):
        raise InputTypeError(
            f"`labels` must be a sequence of label strings (one path), got {describe(labels)}."
        )
    items = list(labels)
    if not items:
        raise NullLabelError("`labels` is empty: a path has at least one label.")
    text = text_labels(items, lambda pos: f"position(s) {format_items(pos)}")
    return sep.join(escape_labels(pl.Series(text, dtype=pl.String), sep).to_list())


def split_path(path: str, *, sep: str = "/") -> tuple[str, ...]:
    r"""Split a string path into its labels, resolving backslash escapes.

    ``\`` followed by a backslash or a separator character stands for that character;
    one leading or trailing separator is ignored.

    Parameters
    ----------
    path : str
        The path, labels joined by ``sep``.
    sep : str, default "/"
        The separator (it may not contain a backslash).

    Returns
    -------
    tuple of str
        The labels, root first.

    Examples
    --------
    >>> split_path("Top/Features\\/Books")
    ('Top', 'Features/Books')
    >>> split_path("Europe > France", sep=" > ")
    ('Europe', 'France')
    """
    if not isinstance(path, str):
        raise InputTypeError(f"`path` must be a string, got {describe(path)}.")
    series = paths_to_list_series([path], sep)
    return tuple(series[0].to_list())


def prefix_hashes(
    codes: np.ndarray, starts: np.ndarray, lengths: np.ndarray, position: np.ndarray
) -> np.ndarray:
    """Hash every prefix of every coded path: ``sum_k (c_k + 1) B^(j - k)``, flat.

    Computed as ``B^j * cumsum((c_k + 1) B^-k)`` within each path, modulo 2**64.
    """
    longest = int(lengths.max()) if len(lengths) else 1
    weight = (codes.astype(np.uint64) + np.uint64(1)) * powers(HASH_BASE_INV, longest)[position]
    running = np.cumsum(weight)
    before = running[starts] - weight[starts]
    return (running - np.repeat(before, lengths)) * powers(HASH_BASE, longest)[position]


SEQUENCE_TYPES = (list, tuple, np.ndarray)


def paths_to_list_series(paths: Any, sep: Any, what: str = "paths") -> pl.Series:
    """Normalise paths (strings with ``sep``, sequences, or a Series) to a list[str] Series.

    Null or empty paths, and null, NaN or empty labels, are refused naming the rows;
    labels must be text (numbers become text, but one input may not mix types).
    """
    sep = check_sep(sep)
    if isinstance(paths, pl.Series):
        dtype = paths.dtype
        if dtype == pl.String:
            series = strings_to_paths(paths, sep, what)
        elif isinstance(dtype, pl.List) and dtype.inner == pl.String:
            series = paths
        elif isinstance(dtype, pl.List) or dtype == pl.Null:
            series = items_to_paths(paths.to_list(), sep, what)
        else:
            raise InputTypeError(
                f"`{what}` must hold paths (strings or lists of labels), got a {dtype} Series."
            )
    else:
        if isinstance(paths, str | bytes):
            raise InputTypeError(
                f"`{what}` must be a collection of paths; wrap a single path in a list."
            )
        if type(paths).__module__.split(".")[0] == "pandas" and hasattr(paths, "tolist"):
            paths = paths.tolist()
        if isinstance(paths, np.ndarray):
            paths = paths.tolist()
        if isinstance(paths, Mapping | set | frozenset) or not isinstance(paths, Iterable):
            raise InputTypeError(
                f"`{what}` must be a list, array or Series of paths, got {describe(paths)}."
            )
        series = items_to_paths(list(paths), sep, what)
    return validated_paths(series.alias("path"), what)


def strings_to_paths(strings: pl.Series, sep: str, what: str) -> pl.Series:
    if strings.null_count():
        rows = np.flatnonzero(strings.is_null().to_numpy())
        raise NullLabelError(
            f"{len(rows)} of the {what} are null, at row(s) {format_items(rows.tolist())}."
        )
    return split_strings(strings, sep)


def items_to_paths(items: list[Any], sep: str, what: str) -> pl.Series:
    """Python paths (strings, sequences of labels) -> list[str] Series."""
    types = set(map(type, items))
    if types <= {str}:
        return strings_to_paths(pl.Series("path", items, dtype=pl.String), sep, what)
    is_str = np.fromiter((isinstance(p, str) for p in items), dtype=bool, count=len(items))
    is_seq = np.fromiter(
        (isinstance(p, SEQUENCE_TYPES) or isinstance(p, pl.Series) for p in items),
        dtype=bool,
        count=len(items),
    )
    other = np.flatnonzero(~(is_str | is_seq))
    if len(other):
        missing = [i for i in other.tolist() if is_missing(items[i])]
        if missing:
            raise NullLabelError(
                f"{len(missing)} of the {what} are null or NaN, at row(s) "
                f"{format_items(missing)}. Drop them first."
            )
        sets = [i for i in other.tolist() if isinstance(items[i], set | frozenset)]
        hint = (
            " A set has no order, so it is not a path (it is a multi-label sample)." if sets else ""
        )
        raise InputTypeError(
            f"Each of the {what} must be a string or a sequence of labels; row(s) "
            f"{format_items(other.tolist())} hold {format_items(sorted({type(items[i]).__name__ for i in other}))}.{hint}"
        )
    seq_rows = np.flatnonzero(is_seq)
    seqs = [items[i] for i in seq_rows.tolist()]
    if not types <= {tuple, list}:
        seqs = [s.to_list() if isinstance(s, pl.Series | np.ndarray) else s for s in seqs]
    lengths = np.fromiter(map(len, seqs), dtype=np.int64, count=len(seqs))
    flat = list(chain.from_iterable(seqs))  # C-speed flattening; labels checked as one column
    try:
        labels: pl.Series | None = pl.Series("path", flat, dtype=pl.String, strict=True)
    except (TypeError, ValueError, pl.exceptions.PolarsError):
        labels = None  # not all text: check and convert them one by one
    if labels is None or labels.null_count():
        row_of = np.repeat(seq_rows, lengths)
        labels = pl.Series(
            "path",
            text_labels(
                flat,
                lambda pos: f"path row(s) {format_items(sorted(set(row_of[pos].tolist())))}",
            ),
            dtype=pl.String,
        )
    seq_series = list_series(labels, lengths)
    if not is_str.any():
        return seq_series
    str_rows = np.flatnonzero(is_str)
    strings = pl.Series("path", [items[i] for i in str_rows.tolist()], dtype=pl.String)
    both = pl.concat([split_strings(strings, sep), seq_series])
    inverse = np.empty(len(items), dtype=np.int64)
    inverse[np.concatenate([str_rows, seq_rows])] = np.arange(len(items))
    return both.gather(inverse)


def validated_paths(series: pl.Series, what: str) -> pl.Series:
    """Refuse null paths, empty paths and null or empty labels, naming the rows."""
    if series.null_count():
        rows = np.flatnonzero(series.is_null().to_numpy())
        raise NullLabelError(
            f"{len(rows)} of the {what} are null, at row(s) {format_items(rows.tolist())}."
        )
    lengths = series.list.len().to_numpy()
    empty = np.flatnonzero(lengths == 0)
    if len(empty):
        raise NullLabelError(
            f"{len(empty)} of the {what} are empty, at row(s) {format_items(empty.tolist())}. "
            "Remove them or give at least one label per path."
        )
    flat = series.explode()
    bad = (flat.is_null() | (flat == "")).fill_null(True).to_numpy()
    if bad.any():
        row_of = np.repeat(np.arange(len(series)), lengths)
        rows = np.unique(row_of[bad])
        raise NullLabelError(
            f"Null or empty labels in {len(rows)} of the {what}, at row(s) "
            f"{format_items(rows.tolist())}. Every label on a path must be a non-empty "
            "string (check for doubled separators)."
        )
    return series
