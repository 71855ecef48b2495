"""Shared fixtures: the offline data mirror; ``tools/`` made importable.

Tests that read real public data use the mirror named by ``HIERLAB_DATA_MIRROR`` or, by
default, ``../shared/data/mirror`` beside the repository. When neither exists (a user's
machine) they are skipped with a reason; under CI (``CI`` set) a missing mirror fails.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# tools/ (the gallery and the notebook runner) is not installed; its tests import it from
# the checkout
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


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


class _CountingHandler:
    """Factory for a quiet static-file handler that counts the requests it serves."""

    @staticmethod
    def make(directory: Path, log: list[str]):
        import functools
        from http.server import SimpleHTTPRequestHandler

        class Handler(SimpleHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                log.append(self.path)
                super().do_GET()

        return functools.partial(Handler, directory=str(directory))


@pytest.fixture(scope="session")
def http_mirror(mirror: Path):
    """A real HTTP server on 127.0.0.1 serving the mirror; yields (base_url, request_log)."""
    import threading
    from http.server import ThreadingHTTPServer

    log: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler.make(mirror, log))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def data_env(http_mirror, tmp_path_factory):
    """Point the fetchers at the HTTP mirror with a fresh cache for this test session."""
    base, _ = http_mirror
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HIERLAB_DATA_MIRROR", base)
        mp.setenv("HIERLAB_DATA_HOME", str(tmp_path_factory.mktemp("hierlab-cache")))
        yield base
