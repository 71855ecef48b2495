"""The download path: mirror folder and HTTP mirror, hash check, cache, failures."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
from pathlib import Path

import pytest

from hierlab.datasets._download import M49, REGISTRY, fetch_file
from hierlab.errors import DataDownloadError, DataIntegrityError, InputTypeError, InvalidValueError
from hierlab.settings import data_home

URL = f"{M49}/all/all.csv"
RELATIVE = URL.removeprefix("https://")

pytestmark = pytest.mark.mirror


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_matches_the_mirror_manifest(mirror: Path) -> None:
    manifest = mirror.parent / "MANIFEST.tsv"
    pinned = dict(line.split("\t")[:2] for line in manifest.read_text().splitlines()[1:])
    for url, digest in REGISTRY.items():
        assert pinned[url] == digest, url


def test_http_mirror_downloads_verifies_and_caches(http_mirror, tmp_path, monkeypatch) -> None:
    base, log = http_mirror
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", base)
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    before = len(log)
    path = fetch_file(URL)
    assert path == tmp_path / RELATIVE and sha256(path) == REGISTRY[URL]
    assert len(log) == before + 1 and log[-1].endswith("/all/all.csv")
    assert fetch_file(URL) == path  # second call: served from the cache
    assert len(log) == before + 1


def test_folder_mirror(mirror: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    assert sha256(fetch_file(URL)) == REGISTRY[URL]
    assert data_home() == tmp_path.resolve()


def test_tampered_file_fails_the_hash_and_leaves_nothing(
    mirror: Path, tmp_path, monkeypatch
) -> None:
    fake = tmp_path / "mirror"
    target = fake / RELATIVE
    target.parent.mkdir(parents=True)
    shutil.copyfile(mirror / RELATIVE, target)
    with target.open("ab") as fh:
        fh.write(b"Atlantis,AT,ATL,999,,Nowhere,,,,,\n")
    cache = tmp_path / "cache"
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", str(fake))
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(cache))
    with pytest.raises(DataIntegrityError, match="does not match its pinned sha256"):
        fetch_file(URL)
    leftovers = [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []
    assert leftovers == []


def test_corrupt_cached_file_is_replaced(mirror: Path, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    partial = tmp_path / RELATIVE
    partial.parent.mkdir(parents=True)
    partial.write_bytes((mirror / RELATIVE).read_bytes()[:100])  # an interrupted download
    assert sha256(fetch_file(URL)) == REGISTRY[URL]


def test_no_network_names_url_cache_and_variables(tmp_path, monkeypatch) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    with pytest.raises(DataDownloadError) as err:
        fetch_file(URL)
    message = str(err.value)
    for needle in (URL, str(tmp_path), "HIERLAB_DATA_MIRROR", "HIERLAB_DATA_HOME"):
        assert needle in message
    assert not (tmp_path / RELATIVE).exists()


def test_missing_mirror_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path / "cache"))
    with pytest.raises(DataDownloadError, match="mirror folder does not hold the file"):
        fetch_file(URL)


def test_unregistered_url() -> None:
    with pytest.raises(InvalidValueError, match="not a registered"):
        fetch_file("https://example.org/file.csv")
    with pytest.raises(InputTypeError, match="`url`"):
        fetch_file(Path("file.csv"))


# --------------------------------------------------------------------------- hostile servers


@pytest.fixture(scope="module")
def hostile(mirror: Path):
    """A local HTTP server whose first path segment picks a misbehaviour.

    ``/ok/<relative>`` serves the mirror; ``/slow/...`` sends the headers then one byte
    every 0.2 s; ``/stall/...`` sends the headers then nothing; ``/truncate/...`` announces
    the full length and closes after half; ``/wrong/...`` sends the right length of wrong
    bytes; anything else is a 404. Every response ends by itself within 30 s.
    """
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            mode, _, relative = self.path.lstrip("/").partition("/")
            source = mirror / relative
            if mode not in ("ok", "slow", "stall", "truncate", "wrong") or not source.is_file():
                self.send_error(404, "Not Found")
                return
            body = source.read_bytes()
            if mode == "wrong":
                body = bytes(len(body))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                if mode in ("ok", "wrong"):
                    self.wfile.write(body)
                elif mode == "truncate":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                else:
                    stop = time.monotonic() + 30
                    for i in range(len(body)):
                        if time.monotonic() > stop:
                            break
                        if mode == "slow":
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                        time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _leftovers(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


def _names_everything(message: str, cache: Path) -> None:
    for needle in (URL, str(cache), "HIERLAB_DATA_MIRROR", "HIERLAB_DATA_HOME"):
        assert needle in message, needle
    assert "connect to the internet" not in message.lower()


@pytest.mark.parametrize("mode", ["slow", "stall"])
def test_a_trickling_or_stalled_server_hits_the_total_deadline(
    hostile, mode, tmp_path, monkeypatch
) -> None:
    import time

    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"{hostile}/{mode}")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    monkeypatch.setenv("HIERLAB_DATA_TIMEOUT", "1.5")
    start = time.monotonic()
    with pytest.raises(DataDownloadError) as err:
        fetch_file(URL)
    assert time.monotonic() - start < 6  # not forever: the deadline, plus one read at most
    message = str(err.value)
    _names_everything(message, tmp_path)
    assert "HIERLAB_DATA_TIMEOUT" in message and "1.5 s" in message
    assert _leftovers(tmp_path) == []


def test_the_deadline_is_an_argument_too(hostile, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"{hostile}/slow")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    with pytest.raises(DataDownloadError, match="longer than 1 s"):
        fetch_file(URL, timeout=1.0)
    with pytest.raises(InvalidValueError, match="`timeout`"):
        fetch_file(URL, timeout=0)
    monkeypatch.setenv("HIERLAB_DATA_TIMEOUT", "soon")
    with pytest.raises(InvalidValueError, match="HIERLAB_DATA_TIMEOUT='soon'"):
        fetch_file(URL)


@pytest.mark.parametrize(
    ("mode", "error", "says"),
    [
        ("truncate", DataDownloadError, "closed the connection after"),
        ("missing", DataDownloadError, "HTTP 404"),
        ("wrong", DataIntegrityError, "does not match its pinned sha256"),
    ],
)
def test_hostile_servers_fail_clearly_and_cache_nothing(
    hostile, mode, error, says, tmp_path, monkeypatch
) -> None:
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"{hostile}/{mode}")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    with pytest.raises(error, match=says) as err:
        fetch_file(URL)
    _names_everything(str(err.value), tmp_path)
    assert _leftovers(tmp_path) == []


def test_a_cache_that_cannot_be_written(tmp_path, monkeypatch, mirror: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(blocker))
    with pytest.raises(DataDownloadError, match="Cannot write to the cache folder") as err:
        fetch_file(URL)
    _names_everything(str(err.value), blocker)


def test_a_corrupt_cached_file_with_an_unreachable_source(tmp_path, monkeypatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cached = tmp_path / RELATIVE
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"half a file")
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    with pytest.raises(DataDownloadError, match="does not match its pinned sha256") as err:
        fetch_file(URL)
    _names_everything(str(err.value), tmp_path)
    assert "connection failed" in str(err.value)


def _start_fetch(base: str, cache: Path):
    import subprocess
    import sys

    env = {**os.environ, "HIERLAB_DATA_MIRROR": base, "HIERLAB_DATA_HOME": str(cache)}
    env["HIERLAB_DATA_TIMEOUT"] = "60"
    code = f"from hierlab.datasets import fetch_file; fetch_file({URL!r})"
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=Path(__file__).parents[2])


def _wait_for_part(cache: Path, process) -> Path:
    import time

    stop = time.monotonic() + 30
    while time.monotonic() < stop and process.poll() is None:
        parts = list(cache.rglob(".*.part"))
        if parts:
            time.sleep(0.6)  # a few bytes in: the download is under way
            return parts[0]
        time.sleep(0.1)
    process.kill()
    pytest.fail("the download never started writing its temporary file")


def test_a_download_killed_midway_leaves_nothing_the_next_fetch_keeps(
    hostile, tmp_path, monkeypatch
) -> None:
    import signal

    process = _start_fetch(f"{hostile}/slow", tmp_path)
    part = _wait_for_part(tmp_path, process)
    assert part.parent == (tmp_path / RELATIVE).parent  # inside the cache folder
    os.kill(process.pid, signal.SIGKILL)  # no chance to clean up
    process.wait(timeout=10)
    assert part.exists() and not (tmp_path / RELATIVE).exists()
    monkeypatch.setenv("HIERLAB_DATA_MIRROR", f"{hostile}/ok")
    monkeypatch.setenv("HIERLAB_DATA_HOME", str(tmp_path))
    assert sha256(fetch_file(URL)) == REGISTRY[URL]
    assert _leftovers(tmp_path) == [tmp_path / RELATIVE]  # the stale part file is gone


def test_an_interrupted_download_removes_its_temporary_file(hostile, tmp_path) -> None:
    import signal

    process = _start_fetch(f"{hostile}/slow", tmp_path)
    _wait_for_part(tmp_path, process)
    process.send_signal(signal.SIGINT)  # Ctrl-C: KeyboardInterrupt inside the download
    process.wait(timeout=20)
    assert _leftovers(tmp_path) == []
