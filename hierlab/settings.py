"""Settings read from the environment: where data is cached and where it is downloaded from.

This module is hierlab's ground floor: it imports nothing from the rest of the package but
its errors, so every layer (datasets, taxonomy's embedding cache, io) can use it.

=======================  ==================================================================
variable                 meaning
=======================  ==================================================================
``HIERLAB_DATA_HOME``    the cache folder (default: the operating system's user cache
                         folder for ``hierlab``)
``HIERLAB_DATA_MIRROR``  a folder or an http(s) base URL that replaces ``https://`` in
                         every download URL (offline mirrors; CI uses
                         ``../shared/data/mirror``)
``HIERLAB_DATA_TIMEOUT`` the longest a download of one file may take, in seconds (default
                         300); a server that stalls or trickles is abandoned after it
=======================  ==================================================================

Examples
--------
>>> from hierlab.settings import ENV_HOME, data_home
>>> ENV_HOME
'HIERLAB_DATA_HOME'
>>> data_home().name != ""
True
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from hierlab.errors import InvalidValueError

__all__ = [
    "DEFAULT_TIMEOUT",
    "ENV_HOME",
    "ENV_MIRROR",
    "ENV_TIMEOUT",
    "data_home",
    "data_mirror",
    "download_timeout",
]

#: The environment variable naming the cache folder.
ENV_HOME = "HIERLAB_DATA_HOME"
#: The environment variable naming an offline mirror (a folder or an http(s) base URL).
ENV_MIRROR = "HIERLAB_DATA_MIRROR"
#: The environment variable setting the total time allowed to download one file (seconds).
ENV_TIMEOUT = "HIERLAB_DATA_TIMEOUT"
#: The default total time allowed to download one file, in seconds.
DEFAULT_TIMEOUT = 300.0


def data_home() -> Path:
    """Return the cache folder: ``$HIERLAB_DATA_HOME`` or the OS user cache folder.

    Returns
    -------
    pathlib.Path
        An absolute path; the folder is created when something is first cached.

    Examples
    --------
    >>> data_home().is_absolute()
    True
    """
    configured = os.environ.get(ENV_HOME, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_cache_dir("hierlab")).resolve()


def data_mirror() -> str | None:
    """Return ``$HIERLAB_DATA_MIRROR`` (a folder or an http(s) base URL), or None when unset.

    Returns
    -------
    str or None
        The mirror as configured (a folder path is returned as written).

    Examples
    --------
    >>> import os
    >>> data_mirror() == (os.environ.get("HIERLAB_DATA_MIRROR", "").strip() or None)
    True
    """
    value = os.environ.get(ENV_MIRROR, "").strip()
    return value or None


def download_timeout() -> float:
    """Return the total time allowed to download one file: ``$HIERLAB_DATA_TIMEOUT`` or 300 s.

    Returns
    -------
    float
        Seconds (> 0).

    Raises
    ------
    InvalidValueError
        The variable is set to something that is not a positive number of seconds.

    Examples
    --------
    >>> download_timeout() > 0
    True
    """
    value = os.environ.get(ENV_TIMEOUT, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise InvalidValueError(
            f"{ENV_TIMEOUT}={value!r} is not a positive number of seconds; set it to the total "
            f"time one download may take (e.g. {ENV_TIMEOUT}=600) or unset it for "
            f"{DEFAULT_TIMEOUT:.0f} s."
        )
    return seconds
