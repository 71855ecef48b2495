"""Errors and warnings raised by hierlab.

Every exception hierlab raises on purpose is a :class:`HierlabError`, so callers can catch
everything hierlab raises in one clause. Each is also the built-in exception that
describes it (:class:`ValueError` for a bad value, :class:`TypeError` for a wrong type,
:class:`OSError` for a failed download), so ``except ValueError`` code keeps working.
Messages name the offending nodes, rows or columns and say how to fix the input. Warnings
are :class:`HierlabWarning` subclasses, so one filter silences or escalates them all.

Examples
--------
>>> from hierlab import Tree
>>> from hierlab.errors import CycleError
>>> try:
...     Tree.from_edges([("a", "b"), ("b", "a")])
... except CycleError as err:
...     print(err.nodes)
('a', 'b')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "AmbiguousLabelError",
    "ConvergenceWarning",
    "CycleError",
    "DataDownloadError",
    "DataIntegrityError",
    "DuplicateRowsError",
    "EmptyInputError",
    "HierlabError",
    "HierlabWarning",
    "InputShapeError",
    "InputTypeError",
    "InvalidValueError",
    "MissingValueError",
    "MultipleParentsError",
    "MultipleRootsError",
    "NullLabelError",
    "SeparationWarning",
    "SmallSampleWarning",
    "TreeError",
    "UnknownNodeError",
    "UnknownParentError",
]


def format_items(items: Iterable[Any], limit: int = 8) -> str:
    """Format a few items for an error message: ``'a', 'b', 'c' and 4 more``.

    Internal helper shared by hierlab's modules (not part of the public API).

    Examples
    --------
    >>> format_items(["a", "b", "c"], limit=2)
    "'a', 'b' and 1 more"
    """
    items = list(items)
    shown = ", ".join(repr(x) for x in items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


class HierlabError(Exception):
    """Base class of every error hierlab raises."""


class HierlabWarning(UserWarning):
    """Base class of every warning hierlab emits."""


class EmptyInputError(HierlabError, ValueError):
    """The input has no rows, nodes or paths to work with."""


class InvalidValueError(HierlabError, ValueError):
    """A value is outside the allowed set or range."""


class InputShapeError(HierlabError, ValueError):
    """Arrays or tables do not have the shapes or columns that were expected."""


class InputTypeError(HierlabError, TypeError):
    """An argument has the wrong type (a list where a table is needed, text where numbers are)."""


class DuplicateRowsError(InputShapeError):
    """A table holds the same key (for example the same ``model, item`` pair) more than once."""


class MissingValueError(InvalidValueError):
    """A value that must be present is null or NaN (and no ``on_missing=`` choice allows it)."""


# --------------------------------------------------------------------------- warnings


class ConvergenceWarning(HierlabWarning):
    """An iterative estimate stopped before meeting its convergence criterion."""


class SeparationWarning(HierlabWarning):
    """A regression has (quasi-)complete separation or empty cells; the estimate was adjusted."""


class SmallSampleWarning(HierlabWarning):
    """A group or cell is too small for the asymptotic approximation a method relies on."""


# --------------------------------------------------------------------------- trees


class TreeError(HierlabError, ValueError):
    """The input does not describe a valid rooted tree."""


class CycleError(TreeError):
    """The parent links contain a cycle; ``nodes`` lists the nodes on one cycle."""

    def __init__(self, message: str, nodes: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.nodes = tuple(nodes)


class MultipleRootsError(TreeError):
    """More than one node has no parent; ``roots`` lists them."""

    def __init__(self, message: str, roots: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.roots = tuple(roots)


class MultipleParentsError(TreeError):
    """A node has two or more different parents (the input is a DAG, not a tree)."""

    def __init__(self, message: str, parents: dict[Any, tuple[Any, ...]] | None = None) -> None:
        super().__init__(message)
        self.parents = dict(parents or {})


class UnknownParentError(TreeError):
    """A parent is referenced that never appears as a node."""


class NullLabelError(TreeError):
    """A node label or path element is null or empty."""


class UnknownNodeError(TreeError):
    """A node id, path or label does not exist in the tree."""


class AmbiguousLabelError(TreeError):
    """A bare label names several nodes (in different branches); use paths instead."""


# --------------------------------------------------------------------------- data


class DataDownloadError(HierlabError, OSError):
    """A dataset file could not be downloaded or found in the cache or mirror."""


class DataIntegrityError(HierlabError, ValueError):
    """A downloaded file does not match its pinned sha256 hash."""
