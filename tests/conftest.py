"""Shared fixtures: the offline data mirror.

Tests that read real public data use the mirror named by ``HIERLAB_DATA_MIRROR`` or, by
default, ``../shared/data/mirror`` beside the repository. When neither exists (a user's
machine) they are skipped with a reason; under CI (``CI`` set) a missing mirror fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def mirror_root() -> Path | None:
    configured = os.environ.get("HIERLAB_DATA_MIRROR")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "data" / "mirror"
    return candidate if candidate.is_dir() else None


@pytest.fixture(scope="session")
def mirror() -> Path:
    root = mirror_root()
    if root is None:
        if os.environ.get("CI"):
            pytest.fail(
                "CI must have the data mirror: set HIERLAB_DATA_MIRROR or provide ../shared"
            )
        pytest.skip("the offline data mirror is not available (set HIERLAB_DATA_MIRROR)")
    return root
