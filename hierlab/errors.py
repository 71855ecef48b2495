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
    "FontWarning",
    "HierlabError",
    "HierlabWarning",
    "InputShapeError",
    "InputTypeError",
    "InvalidValueError",
    "MissingDependencyError",
    "MissingValueError",
    "MultipleParentsError",
    "MultipleRootsError",
    "NullLabelError",
    "OutputTooLargeError",
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
    """Base class of every error hierlab raises.

    Catch it to handle anything hierlab raises on purpose; every subclass is also the
    built-in exception that describes it.

    Parameters
    ----------
    message : str, default ""
        What went wrong, naming the offending rows, columns or nodes, and how to fix it.

    Examples
    --------
    >>> try:
    ...     raise InvalidValueError("`confidence` must be in (0, 1), got 2.")
    ... except HierlabError as err:
    ...     print(err)
    `confidence` must be in (0, 1), got 2.
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class HierlabWarning(UserWarning):
    """Base class of every warning hierlab emits.

    One filter silences or escalates them all (the test suite turns them into errors).

    Parameters
    ----------
    message : str, default ""
        What was met and what it means for the result.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always", HierlabWarning)
    ...     warnings.warn("2 groups have fewer than 30 items", SmallSampleWarning)
    >>> caught[0].category.__name__
    'SmallSampleWarning'
    """

    def __init__(self, message: str = "") -> None:
        super().__init__(message)


class EmptyInputError(HierlabError, ValueError):
    """The input has no rows, nodes or paths to work with.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise EmptyInputError("The results table has no rows.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    EmptyInputError True
    """


class InvalidValueError(HierlabError, ValueError):
    """A value is outside the allowed set or range.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise InvalidValueError("`confidence` must be in (0, 1), got 2.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    InvalidValueError True
    """


class InputShapeError(HierlabError, ValueError):
    """Arrays or tables do not have the shapes or columns that were expected.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise InputShapeError("The results table has no column 'correct'.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    InputShapeError True
    """


class InputTypeError(HierlabError, TypeError):
    """An argument has the wrong type (a list where a table is needed, text where numbers are).

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise InputTypeError("`tree` must be a hierlab Tree, got list.")
    ... except TypeError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    InputTypeError True
    """


class DuplicateRowsError(InputShapeError):
    """A table holds the same key (for example the same ``model, item`` pair) more than once.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise DuplicateRowsError("2 (model, item) pairs occur twice.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    DuplicateRowsError True
    """


class MissingDependencyError(HierlabError, ImportError):
    """An optional package a function needs is not installed; the message names the extra.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise MissingDependencyError("Install the embed extra: pip install 'hierlab[embed]'.")
    ... except ImportError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    MissingDependencyError True
    """


class MissingValueError(InvalidValueError):
    """A value that must be present is null or NaN (and no ``on_missing=`` choice allows it).

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise MissingValueError("`correct` is null in 3 rows.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    MissingValueError True
    """


# --------------------------------------------------------------------------- warnings


class ConvergenceWarning(HierlabWarning):
    """An iterative estimate stopped before meeting its convergence criterion.

    Parameters
    ----------
    message : str, default ""
        What was met and what it means for the result.

    Examples
    --------
    >>> issubclass(ConvergenceWarning, (HierlabWarning, UserWarning))
    True
    """


class SeparationWarning(HierlabWarning):
    """A regression has (quasi-)complete separation or empty cells; the estimate was adjusted.

    Parameters
    ----------
    message : str, default ""
        What was met and what it means for the result.

    Examples
    --------
    >>> issubclass(SeparationWarning, (HierlabWarning, UserWarning))
    True
    """


class FontWarning(HierlabWarning):
    """A font a chart asks for is not available to the exporter; a fallback font was used.

    The export then depends on the fonts of the machine. Register the font's folder with
    :func:`hierlab.plot.register_fonts`.

    Parameters
    ----------
    message : str, default ""
        What was met and what it means for the result.

    Examples
    --------
    >>> issubclass(FontWarning, (HierlabWarning, UserWarning))
    True
    """


class SmallSampleWarning(HierlabWarning):
    """A group or cell is too small for the asymptotic approximation a method relies on.

    Parameters
    ----------
    message : str, default ""
        What was met and what it means for the result.

    Examples
    --------
    >>> issubclass(SmallSampleWarning, (HierlabWarning, UserWarning))
    True
    """


# --------------------------------------------------------------------------- trees


class TreeError(HierlabError, ValueError):
    """The input does not describe a valid rooted tree.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise TreeError("The input does not describe a tree.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    TreeError True
    """


class CycleError(TreeError):
    """The parent links contain a cycle; ``nodes`` lists the nodes on one cycle.

    Parameters
    ----------
    message : str
        The cycle, node by node, and how to break it.
    nodes : sequence, default ()
        The nodes on one cycle (as the input names them); kept as ``.nodes``.

    Examples
    --------
    >>> err = CycleError("a -> b -> a", nodes=["a", "b"])
    >>> err.nodes, isinstance(err, ValueError)
    (('a', 'b'), True)
    """

    def __init__(self, message: str, nodes: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.nodes = tuple(nodes)


class MultipleRootsError(TreeError):
    """More than one node has no parent; ``roots`` lists them.

    Parameters
    ----------
    message : str
        The roots, and how to join them (``root=`` adds a synthetic root).
    roots : sequence, default ()
        The nodes without a parent; kept as ``.roots``.

    Examples
    --------
    >>> MultipleRootsError("2 roots", roots=["a", "b"]).roots
    ('a', 'b')
    """

    def __init__(self, message: str, roots: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.roots = tuple(roots)


class MultipleParentsError(TreeError):
    """A node has two or more different parents (the input is a DAG, not a tree).

    Parameters
    ----------
    message : str
        The nodes and their parents, and how to keep one parent.
    parents : dict, optional
        Node -> the tuple of its parents; kept as ``.parents``.

    Examples
    --------
    >>> MultipleParentsError("'x' has 2 parents", parents={"x": ("a", "b")}).parents
    {'x': ('a', 'b')}
    """

    def __init__(self, message: str, parents: dict[Any, tuple[Any, ...]] | None = None) -> None:
        super().__init__(message)
        self.parents = dict(parents or {})


class UnknownParentError(TreeError):
    """A parent is referenced that never appears as a node.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise UnknownParentError("Parent 'Europe' is not a node.")
    ... except TreeError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    UnknownParentError True
    """


class NullLabelError(TreeError):
    """A node label or path element is null or empty.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise NullLabelError("Row 3 has an empty path element.")
    ... except TreeError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    NullLabelError True
    """


class UnknownNodeError(TreeError):
    """A node id, path or label does not exist in the tree.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise UnknownNodeError("1 path(s) are not in the tree: 'a/x'.")
    ... except TreeError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    UnknownNodeError True
    """


class AmbiguousLabelError(TreeError):
    """A bare label names several nodes (in different branches); use paths instead.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise AmbiguousLabelError("'Paris' names 2 nodes; use paths.")
    ... except TreeError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    AmbiguousLabelError True
    """


class OutputTooLargeError(InvalidValueError):
    """An output would be too large to build (for example every path of a very deep tree).

    The paths of all nodes of a chain of n nodes hold n (n + 1) / 2 labels: quadratic in
    the depth. hierlab refuses such outputs instead of exhausting memory; the message
    gives the size and a cheaper alternative.

    Parameters
    ----------
    message : str, default ""
        The size that was asked for, the limit, and a cheaper alternative.

    Examples
    --------
    >>> try:
    ...     raise OutputTooLargeError("The path column would hold 50,005,000 labels.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    OutputTooLargeError True
    """


# --------------------------------------------------------------------------- data


class DataDownloadError(HierlabError, OSError):
    """A dataset file could not be downloaded or found in the cache or mirror.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise DataDownloadError("Could not download the file; set HIERLAB_DATA_MIRROR.")
    ... except OSError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    DataDownloadError True
    """


class DataIntegrityError(HierlabError, ValueError):
    """A downloaded file does not match its pinned sha256 hash.

    Parameters
    ----------
    message : str, default ""
        What went wrong and how to fix the input.

    Examples
    --------
    >>> try:
    ...     raise DataIntegrityError("The file does not match its pinned sha256.")
    ... except ValueError as err:
    ...     print(type(err).__name__, isinstance(err, HierlabError))
    DataIntegrityError True
    """
