"""Settings read from the environment: where data is cached and where it is downloaded from.

This module is hierlab's ground floor: it imports nothing from the rest of the package,
so every layer (datasets, taxonomy's embedding cache, io) can use it.

=======================  ==================================================================
variable                 meaning
=======================  ==================================================================
``HIERLAB_DATA_HOME``    the cache folder (default: the operating system's user cache
                         folder for ``hierlab``)
``HIERLAB_DATA_MIRROR``  a folder or an http(s) base URL that replaces ``https://`` in
                         every download URL (offline mirrors; CI uses
                         ``../shared/data/mirror``)
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

import os
from pathlib import Path

__all__ = ["ENV_HOME", "ENV_MIRROR", "data_home", "data_mirror"]

#: The environment variable naming the cache folder.
ENV_HOME = "HIERLAB_DATA_HOME"
#: The environment variable naming an offline mirror (a folder or an http(s) base URL).
ENV_MIRROR = "HIERLAB_DATA_MIRROR"


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
