"""Download, verify and cache the real public data files hierlab's fetchers use.

Every file is pinned by its canonical, commit-pinned URL and its sha256 hash (the
registry below). Files are cached under ``HIERLAB_DATA_HOME`` (default: the operating
system's user cache folder for ``hierlab``) at the URL's path, so a cached copy is never
confused with another version. ``HIERLAB_DATA_MIRROR`` replaces the ``https://`` prefix of
every URL: either a folder (``../shared/data/mirror``) or an HTTP base URL
(``http://127.0.0.1:8000``).

A download is streamed to a temporary file *inside the cache folder*
(``.<name>.<pid>-<random>.part``) while its sha256 is computed; only a file whose hash
matches is moved into place (an atomic rename). The temporary file is removed on every
exit Python sees (an error, Ctrl-C, a failed hash); one left by a process killed outright
is removed by the next fetch of that file. One file's download may take at most
``HIERLAB_DATA_TIMEOUT`` seconds in total (default 300): a server that stalls or sends a
byte at a time is abandoned with a :class:`~hierlab.errors.DataDownloadError` that says so.
Every error names the URL, where it was fetched from, the cache folder, the environment
variables and what actually went wrong.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from pathlib import Path
from typing import Any

from hierlab.errors import (
    DataDownloadError,
    DataIntegrityError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.settings import (
    ENV_HOME,
    ENV_MIRROR,
    ENV_TIMEOUT,
    data_home,
    data_mirror,
    download_timeout,
)

__all__ = ["REGISTRY", "fetch_file"]

_GH = "https://raw.githubusercontent.com"
MATHVISTA = f"{_GH}/lupantech/MathVista/53d525874bdde205128e6b160b7357a88277d479"
CHEMBENCH = f"{_GH}/lamalab-org/irt-on-bench/a914cea87f9577dafdc9381b1cbfa685007ccbeb"
EARTHWHERE = f"{_GH}/UCSC-VLAA/EarthWhere/354154619c61f25eefe99d1ed8f5903dde19cdd0"
TAXI = f"{_GH}/uhh-lt/taxi/0abc016ff854cf3ebeff61be76acf10b7d6a67a7"
HIAGM = f"{_GH}/Alibaba-NLP/HiAGM/d215dc7d4de4c2eafc1fe63be3afdab34a047aa6"
M49 = f"{_GH}/lukes/ISO-3166-Countries-with-Regional-Codes/145f1ad3caff212ed25f42b0ee2c8b92a75af895"
WORLD_ATLAS = "https://cdn.jsdelivr.net/npm/world-atlas@2.0.2"

#: URL -> sha256 of every file a fetcher may download.
REGISTRY: dict[str, str] = {
    f"{MATHVISTA}/LICENSE": "da89f9867822be4b8adb1e601d9e9226c195016c6508015eb7593e68ead0c98a",
    f"{MATHVISTA}/data/source.json": "26f21e53e5ef1b251ccb2724456fb74b74644c98c42af30b798cace35bdda806",
    f"{MATHVISTA}/data/testmini.json": "ab0148dca9d401c31cc47f29b3826eec28a76ff155a1c0878d81e8daf0413480",
    f"{MATHVISTA}/results/bard/output_bard.json": "f5f36fd074413ced3b52b9c9deb6a4ad667aa82e16229f7d411d6e90e106ee99",
    f"{MATHVISTA}/results/chatgpt/output_chatgpt.json": "52766b3c5d1b554d495148bf482b6460feff7acdc5cd7b3cb8a7981b4760ed62",
    f"{MATHVISTA}/results/chatgpt/output_chatgpt_2shot_code.json": "e3c5a4dabe40774c609fea2bfc5ae0697e27f549a32245e5fcd21719be61dc55",
    f"{MATHVISTA}/results/chatgpt/output_chatgpt_2shot_code_use_ocr.json": "5514f33d8e0a2ed5965feb69fba904db41723b7ec07c4dc40be0e696de14f8e9",
    f"{MATHVISTA}/results/chatgpt/output_chatgpt_2shot_solution.json": "c5d8f6c8a87ffcbc1226f72b834fb114af338fc9e8d6c677990aa7e1802851ba",
    f"{MATHVISTA}/results/chatgpt/output_chatgpt_2shot_solution_use_ocr.json": "b9f401c53e6702fd4d1da81c8ac333d4ed827cfa0207fe541676158dc8390215",
    f"{MATHVISTA}/results/claude/output_claude.json": "a701979100c51d8b0692ae5cdbe361d129ebd93726250652815411380adbe51b",
    f"{MATHVISTA}/results/claude/output_claude_2shot_solution.json": "9b835b5b73881b87b69dd646ff49c76620c2b5cf9198ee6be3919af35d7204a1",
    f"{MATHVISTA}/results/claude/output_claude_2shot_solution_use_ocr.json": "998f263b193f8f9b05a6b960ef107690fe6a29b6c3cd193e9646784935ae665c",
    f"{MATHVISTA}/results/gpt4/output_gpt4.json": "eb369c9be0c0f01986ed3abb25e3bbe2d5003747c689dd7d1134c7a1d6bb5af8",
    f"{MATHVISTA}/results/gpt4/output_gpt4_2shot_code.json": "5c3b87545a39db6f57ed2e2ac6f2f5d62528649e0c07c2b915e1772a1e958dd7",
    f"{MATHVISTA}/results/gpt4/output_gpt4_2shot_code_use_ocr.json": "dbadd6ea6792fa4d7eeb3b7ad0497ddbe39084d4c6a40737d73b225d52088d73",
    f"{MATHVISTA}/results/gpt4/output_gpt4_2shot_solution.json": "2a6760b85ce284663a0aed94889de114ba1dc437cfca72df8e98fdac49f815ee",
    f"{MATHVISTA}/results/gpt4/output_gpt4_2shot_solution_use_ocr.json": "a91f61fb7223dddd92c3792f2884638c168a2eca52a051516903adaaad3ff415",
    f"{MATHVISTA}/results/idefics/output_idefics_9b_instruct.json": "0a01feefc73790e8ef48417dff1702fd1363a60b3289845b95ee77ae62978c0a",
    f"{MATHVISTA}/results/instruct_blip2/output_instruct_blip2_vicuna_13b.json": "58c4af69265f6b9d2c54dbfb00b387cce5855a8d0e6be4d34533f11486bc27e5",
    f"{MATHVISTA}/results/llama_adapter_v2/output_llama_adapter_v2.json": "758c13d38a8e8aafa0fc0e3c1c60e602659cec013d479b74e872aa6fdaea6069",
    f"{MATHVISTA}/results/llava/output_llava_llama_2_13b.json": "4e338776500fe1bf8d906f202c7f7c836973103f80df66c5dbfa33140ced4423",
    f"{MATHVISTA}/results/llavar/output_llavar.json": "268a81e9bd4dce902b5dacf5e1966f907b8b14dc54547745155ccdeb7887df13",
    f"{MATHVISTA}/results/minigpt4/output_minigpt4_llama2.json": "1fd79797c9c9659eec1934d01e15a7ba151dba929338e82cc4afc337ab9d935d",
    f"{MATHVISTA}/results/mplugowl/output_mplugowl_7b_ft.json": "8f838b0206845ec068c584dc4033ae7aeb3620a1f89b64b67b13a30c2f4a83be",
    f"{MATHVISTA}/results/random/output_frequent_guess.json": "6673eda8b09486024118d602bb4ab517f03f6e47ea6fd62f97fd65ec3d37f8c2",
    f"{MATHVISTA}/results/random/output_random_guess.json": "7c3c878df8b7cbd5afc673cfa864301fe155e1e7c40f85deffdd8b97f4ee7ea1",
    f"{CHEMBENCH}/LICENSE": "4ef48aa51438dc6fb649d12602b00bbcd325e7b2dd44d8bde04b94675e6c3faa",
    f"{CHEMBENCH}/results/binary_matrix.csv": "7ae8f32dc3efeb4eb96797d83cacaa027e7703f113fb1525148012c8ca06bd3c",
    f"{CHEMBENCH}/data/difficulty_dict.json": "dc7e7449ba010253ef45bbd2443b904dd8c874ec858ba2236de8eb181a02c3be",
    f"{CHEMBENCH}/data/model_score_allcorrect.csv": "7fd18a7c44ecd989d84c7ee4b1d95c53a1b92e9a1c1fdc9e4443cff1bba58a00",
    f"{EARTHWHERE}/README.md": "3e03107af8302d75d16499b78a3a37395a7e999e92a687c453f9288b83d3a7f5",
    f"{EARTHWHERE}/wherecountry/wherecountry_500.csv": "c83abde3950ae5a147c11ddee6bad90b678c5b583d3d81ad6f2d02f244af6072",
    f"{EARTHWHERE}/wherestreet/all.csv": "e58caee4d0c595b9a88071b161f4a0b24469740863b3e743ef196fe81c570679",
    f"{EARTHWHERE}/wherestreet/gt_key_clues_weight.json": "a65d519d18f17cd3cdf7afc389e57eb7dcc5777d4e31f98e8a40c274a65e3610",
    f"{TAXI}/LICENSE": "b40930bbcf80744c86c46a12bc9da056641d722716c378f5659b9e555ef833e1",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/environment_eurovoc.taxo": "260cdffbcdccd5fd67785aaa1509c53e4ae844c4e5c3071fa632dfcf6ffc20d0",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/food.taxo": "230322b92315900900fee1ded0bdb23090d1edec7bca576fcde538f0ae46ae8b",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/food_wordnet.taxo": "61b7bf7bea4c150b8e5eee64f8a2fc642eedaccc2ccddfabc7340754f1474350",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/science.taxo": "8b7b053e602f3a55cb1fb87fa940a1ca62a5d1130bc801764cd3b2d0b862209a",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/science_eurovoc.taxo": "a2e7d7a982f8696583d1a84f6f226ed9b8ac1a2102ebe397a19f4806674e851a",
    f"{TAXI}/eval/taxi_eval_archive/gold_standard/science_wordnet.taxo": "424473fb1f6cf2f776518516575068190189a8f72d9bda2f7b96ce741c20dc96",
    f"{HIAGM}/LICENSE": "e1daeb92b34fec1bd2d20d7057bdb33b2710a336c3717ad5caf3df59de125772",
    f"{HIAGM}/data/nyt.taxonomy": "9b516e8bc7ee9722055d58f0b4b447cf24162c552b8ab221dc713faae8b6d8bb",
    f"{HIAGM}/data/rcv1.taxonomy": "54cd5a4e0201b6e9d71ec88eb0fa973dbcc4788137ed78bb3edebf99db9ce597",
    f"{M49}/LICENSE.md": "e9c7458d87ae87ffd92460a0903e4fb5ff5f1e6070d2f2ee3b247cc63cb4bf45",
    f"{M49}/all/all.csv": "347bba35029f804f53780062052499781d267b8a5d887bf3b051e80a68390d6d",
    f"{WORLD_ATLAS}/countries-50m.json": "04342cdc1e3016bcd7db1630de95684d67b79fe3c8c460321e87aef469502394",
}


#: Bytes read per chunk.
_CHUNK = 1 << 16
#: The longest wait for one read from a server (the total deadline is separate).
_READ_TIMEOUT = 30.0
#: A temporary file older than this is stale even if its process id is alive again.
_STALE_SECONDS = 24 * 3600.0


def _variables(home: Path) -> str:
    """Describe the cache folder and the three variables (every error ends with this)."""
    mirror = data_mirror()
    return (
        f"Cache folder: {home} (set {ENV_HOME} to use another). Mirror: "
        + (f"{mirror} ({ENV_MIRROR})" if mirror else f"none ({ENV_MIRROR} is not set)")
        + f". Time allowed per file: {download_timeout():g} s ({ENV_TIMEOUT})."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    except OSError:  # pragma: no cover - platforms without signal 0
        return False
    return True


def _clean_stale(folder: Path, name: str) -> None:
    """Remove temporary files of ``name`` left by processes that no longer run."""
    now = time.time()
    for part in folder.glob(f".{name}.*.part"):
        pid_text = part.name[len(name) + 2 :].split("-", 1)[0]
        try:
            pid = int(pid_text)
            age = now - part.stat().st_mtime
        except (ValueError, OSError):
            continue
        if not _pid_alive(pid) or age > _STALE_SECONDS:
            part.unlink(missing_ok=True)


def _source(url: str) -> str:
    """Where to download ``url`` from, honouring the mirror."""
    mirror = data_mirror()
    relative = url.removeprefix("https://")
    if mirror is None:
        return url
    if mirror.startswith(("http://", "https://")):
        return f"{mirror.rstrip('/')}/{relative}"
    return str(Path(mirror).expanduser().resolve() / relative)


class _MissingFromMirror(FileNotFoundError):
    """The mirror folder has no file at the URL's path (turned into a DataDownloadError)."""


def _copy(source: str, tmp: Path, digest: Any, deadline: float) -> None:
    path = Path(source)
    if not path.is_file():
        raise _MissingFromMirror(f"not in the mirror folder: {path}")
    with path.open("rb") as src, tmp.open("wb") as out:
        for block in iter(lambda: src.read(_CHUNK), b""):
            out.write(block)
            digest.update(block)
            if time.monotonic() > deadline:
                raise TimeoutError("the copy took longer than allowed")


def _stream(source: str, tmp: Path, digest: Any, deadline: float, seconds: float) -> None:
    import http.client

    import requests
    from urllib3.exceptions import ProtocolError

    read_timeout = max(min(_READ_TIMEOUT, seconds), 0.1)
    with requests.get(source, stream=True, timeout=(read_timeout, read_timeout)) as response:
        response.raise_for_status()
        expected = response.headers.get("Content-Length")
        received = 0
        with tmp.open("wb") as out:
            while True:
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"the download took longer than {seconds:g} s ({received:,} bytes "
                        "received): the server stalled or is too slow"
                    )
                try:
                    block = response.raw.read1(_CHUNK)  # returns as soon as any bytes arrive
                except (ProtocolError, http.client.IncompleteRead):
                    block = b""  # the server closed the connection early: checked below
                if not block:
                    break
                received += len(block)
                out.write(block)
                digest.update(block)
        if expected is not None and received != int(expected):
            raise ConnectionError(
                f"the server closed the connection after {received:,} of {int(expected):,} bytes"
            )


def fetch_file(url: str, *, timeout: float | None = None) -> Path:
    """Return the local path of a registered file, downloading and verifying it if needed.

    Parameters
    ----------
    url : str
        A canonical URL from :data:`REGISTRY`.
    timeout : float, optional
        The most seconds the download of this file may take in total (default
        ``$HIERLAB_DATA_TIMEOUT``, else 300).

    Returns
    -------
    pathlib.Path
        The cached file, whose sha256 matches the registry.

    Raises
    ------
    InvalidValueError
        ``url`` is not in the registry.
    DataDownloadError
        The file is not cached and could not be fetched (the server or mirror failed,
        answered an error, stalled past the time allowed, or the cache folder is not
        writable); the message says which, and names the URL, the source, the cache
        folder and the environment variables.
    DataIntegrityError
        The fetched bytes do not match the pinned hash; nothing is left in the cache.

    Examples
    --------
    >>> from hierlab.datasets._download import M49
    >>> fetch_file(M49 + "/all/all.csv").name
    'all.csv'
    """
    if not isinstance(url, str):
        raise InputTypeError(
            f"`url` must be the URL (a str) of a registered data file, got {type(url).__name__}."
        )
    if url not in REGISTRY:
        raise InvalidValueError(
            f"{url!r} is not a registered hierlab data file; fetch_file only downloads "
            "the commit-pinned, sha256-checked URLs the dataset fetchers use."
        )
    if timeout is None:
        seconds = download_timeout()
    elif isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise InvalidValueError(f"`timeout` must be a positive number of seconds, got {timeout!r}.")
    else:
        seconds = float(timeout)
    home = data_home()
    relative = url.removeprefix("https://")
    target = home / relative
    expected = REGISTRY[url]
    if target.is_file():
        try:
            if _sha256(target) == expected:
                return target
        except OSError:
            pass  # unreadable: fetch it again below
    corrupt = target.is_file()  # cached, but its hash did not match (or it was unreadable)
    source = _source(url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _clean_stale(target.parent, target.name)
        tmp = target.parent / f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.part"
        tmp.touch()
    except OSError as err:
        raise DataDownloadError(
            f"Cannot write to the cache folder to fetch {url}: {type(err).__name__}: "
            f"{err.strerror or err}. Make the folder writable, or set {ENV_HOME} to a "
            f"writable folder. {_variables(home)}"
        ) from None
    digest = hashlib.sha256()
    deadline = time.monotonic() + seconds
    try:
        try:
            if source.startswith(("http://", "https://")):
                _stream(source, tmp, digest, deadline, seconds)
            else:
                _copy(source, tmp, digest, deadline)
        except Exception as err:  # every failure becomes one clear error
            message = _failure(url, source, err, seconds, home)
            if corrupt:
                message = (
                    f"The cached copy {target} does not match its pinned sha256 (corrupted or "
                    f"truncated), so it was fetched again, which failed. {message}"
                )
            raise DataDownloadError(message) from None
        if digest.hexdigest() != expected:
            raise DataIntegrityError(
                f"The file fetched for {url} (from {source}) does not match its pinned sha256 "
                f"{expected} (got {digest.hexdigest()}); it was discarded and nothing was "
                f"cached. The source holds a different or corrupted file: fix or update the "
                f"mirror, or unset {ENV_MIRROR} to fetch from the original URL. "
                f"{_variables(home)}"
            )
        try:
            os.replace(tmp, target)
        except OSError as err:
            raise DataDownloadError(
                f"Fetched {url} but could not move it into the cache folder: "
                f"{type(err).__name__}: {err.strerror or err}. {_variables(home)}"
            ) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _failure(url: str, source: str, err: Exception, seconds: float, home: Path) -> str:
    """Say what went wrong with a fetch, and how to fix it."""
    import requests

    what = f"{type(err).__name__}: {err}"
    if isinstance(err, TimeoutError | requests.exceptions.Timeout):
        fix = (
            f"Nothing was received in time or the whole file took longer than {seconds:g} s. "
            f"Set {ENV_TIMEOUT} to allow more time (seconds), or point {ENV_MIRROR} at a "
            "faster mirror."
        )
    elif isinstance(err, requests.exceptions.HTTPError):
        status = err.response.status_code if err.response is not None else "?"
        fix = (
            f"The server answered HTTP {status}: it does not have the file at that address. "
            f"Check that {ENV_MIRROR} holds it at '<mirror>/{url.removeprefix('https://')}'."
        )
    elif isinstance(err, FileNotFoundError):
        fix = (
            f"The mirror folder does not hold the file: copy it to "
            f"'<mirror>/{url.removeprefix('https://')}' or unset {ENV_MIRROR}."
        )
    elif isinstance(err, requests.exceptions.ConnectionError | ConnectionError):
        fix = (
            "The connection failed or was cut: the machine may be offline or the server "
            f"down. Retry, or set {ENV_MIRROR} to a mirror folder or URL that holds the file."
        )
    else:
        fix = f"Set {ENV_MIRROR} to a mirror folder or URL that holds the file."
    return (
        f"Could not fetch {url} from {source} ({what}). It is not in the cache. {fix} "
        f"{_variables(home)}"
    )
