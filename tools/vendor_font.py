"""Rebuild ``data/fonts/`` from Liberation Sans 2.1.5: ``python tools/vendor_font.py SOURCE_DIR``.

hierlab's exports use one vendored font, registered with vl-convert, so that the SVG and
PNG files are byte-identical on every machine whatever fonts it has installed. The font is
Liberation Sans 2.1.5 (metric-compatible with Arial and Helvetica, SIL Open Font License
1.1) with one change: its family is renamed "Hierlab Sans". vl-convert resolves a family
name to the first face it loaded under that name, and it loads the system's fonts first,
so an unrenamed "Liberation Sans" would lose to a different version installed by the
system (Debian's fonts-liberation is 1.07). The OFL reserves the name "Liberation" for
the original version, which is a second reason for the new name.

SOURCE_DIR holds the upstream ``LiberationSans-Regular.ttf`` and ``LiberationSans-Bold.ttf``
(for example Debian's ``fonts-liberation2`` 2.1.5-1: ``apt-get download fonts-liberation2``
then ``dpkg-deb -x fonts-liberation2_2.1.5-1_all.deb x``; the files are in
``x/usr/share/fonts/truetype/liberation2``). Their sha256 hashes are checked. Needs
``fonttools`` (``pip install fonttools``); the output does not depend on the time it runs.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

FAMILY = "Hierlab Sans"
UPSTREAM = {
    "Regular": "8d91388f1d3604b3b8ae0e3ee2d140e50cd6122f9214514f4aca772540a4076d",
    "Bold": "ba0e0dc3f7aca5b0afbc31e800531ee43be3aa79ae35b2ef1f6470a9547765c4",
}
TARGET = Path(__file__).resolve().parents[1] / "data" / "fonts"


def rename(source: Path, style: str, target: Path) -> None:
    """Write ``source`` with its family renamed to FAMILY (name IDs 1, 3, 4, 6)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(source), recalcTimestamp=False)
    full = FAMILY if style == "Regular" else f"{FAMILY} {style}"
    postscript = FAMILY.replace(" ", "") + ("" if style == "Regular" else f"-{style}")
    new = {
        1: FAMILY,
        3: f"{postscript} 2.1.5 (renamed Liberation Sans)",
        4: full,
        6: postscript,
    }
    table = font["name"]
    for record in table.names:
        if record.nameID in new:
            record.string = new[record.nameID]
    font.save(str(target), reorderTables=True)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    source_dir = Path(argv[0])
    TARGET.mkdir(parents=True, exist_ok=True)
    for style, digest in UPSTREAM.items():
        source = source_dir / f"LiberationSans-{style}.ttf"
        found = hashlib.sha256(source.read_bytes()).hexdigest()
        if found != digest:
            print(f"{source}: sha256 {found} is not Liberation Sans 2.1.5 ({digest})")
            return 1
        target = TARGET / f"HierlabSans-{style}.ttf"
        rename(source, style, target)
        print(f"{target.name}: sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
