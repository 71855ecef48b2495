"""The download path: mirror folder and HTTP mirror, hash check, cache, failures."""

from __future__ import annotations

import hashlib
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
    with pytest.raises(DataDownloadError, match="not in the mirror folder"):
        fetch_file(URL)


def test_unregistered_url() -> None:
    with pytest.raises(InvalidValueError, match="not a registered"):
        fetch_file("https://example.org/file.csv")
    with pytest.raises(InputTypeError, match="`url`"):
        fetch_file(Path("file.csv"))
