"""The shared table format of the hostile-input suites (one file per area: test_<area>.py).

A case is one hostile call, the hierlab error class it must raise, and the pieces of
text its message must contain: the offending rows, columns, nodes or labels. The error
must be a :class:`hierlab.errors.HierlabError`, so nothing from deep inside numpy,
polars, pyarrow, statsmodels or Altair escapes.

    CASES = [Hostile("nan label", lambda: Tree.from_paths([["a", nan]]), NullLabelError, ("row(s) 0",))]

    @hostile(CASES)
    def test_hostile(case: Hostile) -> None:
        check(case)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pytest

from hierlab.errors import HierlabError


@dataclass(frozen=True)
class Hostile:
    """One hostile input: the call, the expected error class, the texts the message names."""

    id: str
    call: Callable[[], object]
    error: type[BaseException]
    names: tuple[str, ...] = ()


def check(case: Hostile) -> None:
    """Run the call; it must raise ``case.error`` (a HierlabError) naming ``case.names``."""
    with pytest.raises(case.error) as info:
        case.call()
    assert isinstance(info.value, HierlabError), f"{case.id}: not a HierlabError"
    message = str(info.value)
    missing = [name for name in case.names if name not in message]
    assert not missing, f"{case.id}: the message does not name {missing}: {message}"


def hostile(cases: Sequence[Hostile]) -> pytest.MarkDecorator:
    """Parametrize a test over the cases, by id (ids must be unique)."""
    ids = [c.id for c in cases]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"repeated case ids: {repeated}"
    return pytest.mark.parametrize("case", cases, ids=ids)
