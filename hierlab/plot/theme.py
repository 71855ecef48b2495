"""The paper theme: column widths, font sizes, the vendored font and colour-blind-safe schemes.

Sizes are in CSS pixels, 96 to the inch (the unit of SVG and of the browser), so a 10 px
label prints at 7.5 pt. :func:`hierlab.plot.save` fits a figure to a single (3.3 in) or
double (7 in) column and never lets text fall below :data:`MIN_FONT_PT` at print size.

Every export draws its text with **Hierlab Sans**, a copy of Liberation Sans 2.1.5 (SIL
Open Font License; metric-compatible with Arial and Helvetica) renamed so that no font
installed on the machine can stand in for it: exports are byte-identical on every machine.
The font ships in ``data/fonts`` and is registered with vl-convert on first use
(:func:`register_fonts`). In the browser, where Hierlab Sans is not installed, the font
list falls back to the metric-compatible Liberation Sans, Arial or Helvetica, and ends in a
generic family (a font list whose fonts are all missing draws no text at all).

Examples
--------
>>> SINGLE_COLUMN < DOUBLE_COLUMN
True
>>> FONT.split(",")[0], FONT.split(",")[-1].strip()
('Hierlab Sans', 'sans-serif')
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from hierlab.errors import InputTypeError, InvalidValueError

__all__ = [
    "COLUMN_INCHES",
    "DOUBLE_COLUMN",
    "FONT",
    "FONT_FAMILY",
    "MIN_FONT_PT",
    "PX_PER_INCH",
    "SINGLE_COLUMN",
    "THEME_NAME",
    "enable_theme",
    "font_available",
    "font_folder",
    "paper_config",
    "register_fonts",
]

THEME_NAME = "hierlab_paper"
#: The vendored font's family (Liberation Sans 2.1.5, renamed; see ``data/fonts/README.md``).
FONT_FAMILY = "Hierlab Sans"
#: The theme's font list: the vendored font, metric-compatible fallbacks, a generic family.
FONT = f"{FONT_FAMILY}, Liberation Sans, Arimo, Arial, Helvetica, sans-serif"
#: CSS pixels per inch: the unit of chart sizes and font sizes.
PX_PER_INCH = 96
#: Print widths of the paper presets of :func:`hierlab.plot.save`, in inches.
COLUMN_INCHES = {"single": 3.3, "double": 7.0}
#: The smallest text size at print size, in points; ``save`` enlarges smaller text.
MIN_FONT_PT = 7.0
#: Default plot-area widths in pixels: with axes and legends a chart comes close to a single
#: (3.3 in = 317 px) or double (7 in = 672 px) column; ``save(size=...)`` fits it exactly.
SINGLE_COLUMN = 240
DOUBLE_COLUMN = 500
#: Colour-blind-safe categorical colours (Okabe & Ito).
CATEGORICAL = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
]

_lock = threading.Lock()
_registered: list[str] = []
_available: dict[str, bool] = {}
_blank: dict[str, bytes] = {}
_NO_SUCH_FONT = "hierlab-probe-no-such-font-5f3a"


def paper_config() -> dict[str, Any]:
    """Return the Vega-Lite config of the paper theme.

    Text sizes are 10 px (7.5 pt at print size) for labels, 11 px for axis and legend
    titles and 12 px (9 pt) for chart titles.

    Returns
    -------
    dict
        ``{"config": {...}}``: fonts, sizes, colours and the default view size.

    Examples
    --------
    >>> paper_config()["config"]["font"].endswith("sans-serif")
    True
    """
    return {
        "config": {
            "font": FONT,
            "background": "white",
            "view": {"continuousWidth": SINGLE_COLUMN, "continuousHeight": 180, "stroke": None},
            "title": {"fontSize": 12, "fontWeight": "bold", "anchor": "start", "font": FONT},
            "axis": {
                "labelFontSize": 10,
                "titleFontSize": 11,
                "labelFont": FONT,
                "titleFont": FONT,
                "gridColor": "#e6e6e6",
                "domainColor": "#555555",
                "tickColor": "#555555",
                "titleFontWeight": "normal",
            },
            "legend": {
                "labelFontSize": 10,
                "titleFontSize": 11,
                "labelFont": FONT,
                "titleFont": FONT,
                "titleFontWeight": "normal",
            },
            "header": {
                "labelFontSize": 10,
                "titleFontSize": 11,
                "labelFont": FONT,
                "titleFont": FONT,
            },
            "text": {"font": FONT, "fontSize": 10},
            "range": {
                "category": CATEGORICAL,
                "heatmap": {"scheme": "viridis"},
                "diverging": {"scheme": "blueorange"},
            },
            "line": {"strokeWidth": 1.5},
            "point": {"size": 30, "filled": True},
        }
    }


def enable_theme() -> None:
    """Register and enable the paper theme in Altair (idempotent).

    Returns
    -------
    None

    Examples
    --------
    >>> import altair as alt
    >>> enable_theme()
    >>> alt.theme.active
    'hierlab_paper'
    """
    import altair as alt

    register_theme()
    alt.theme.enable(THEME_NAME)


def register_theme() -> str:
    """Register the paper theme with Altair without enabling it; return its name (internal)."""
    import altair as alt

    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(paper_config)
    return THEME_NAME


def font_folder() -> Path:
    """Return the folder of the vendored font (Hierlab Sans) and its licence.

    Returns
    -------
    pathlib.Path
        ``data/fonts`` in a source checkout, ``hierlab/_data/fonts`` in an installed wheel.

    Examples
    --------
    >>> sorted(p.name for p in font_folder().glob("*.ttf"))
    ['HierlabSans-Bold.ttf', 'HierlabSans-Regular.ttf']
    """
    from hierlab.datasets.places import embedded_data_dir

    return embedded_data_dir() / "fonts"


def register_fonts(folder: str | Path | None = None) -> list[str]:
    """Make fonts available to vl-convert (the exporter): the vendored font, plus ``folder``.

    hierlab registers its own font before every export, so call this only to use another
    font: pass the folder that holds its ``.ttf``/``.otf`` files, then name its family in
    the chart's config. Registering the same folder twice does nothing.

    Parameters
    ----------
    folder : str or pathlib.Path, optional
        A folder of font files to register besides the vendored font.

    Returns
    -------
    list of str
        Every folder registered so far in this process, in order.

    Examples
    --------
    >>> register_fonts()[0] == str(font_folder().resolve())
    True
    """
    if folder is not None and not isinstance(folder, str | Path):
        raise InputTypeError(
            f"`folder` must be a folder path (text or pathlib.Path), got {type(folder).__name__}."
        )
    folders = [font_folder(), *([] if folder is None else [Path(folder)])]
    import vl_convert as vlc

    with _lock:
        for path in folders:
            resolved = path.expanduser().resolve()
            if str(resolved) in _registered:
                continue
            if not resolved.is_dir():
                raise InvalidValueError(
                    f"Font folder {str(path)!r} does not exist; pass a folder that holds "
                    ".ttf or .otf files."
                )
            if not any(p.suffix.lower() in (".ttf", ".otf", ".ttc") for p in resolved.iterdir()):
                raise InvalidValueError(
                    f"Font folder {str(path)!r} holds no .ttf, .otf or .ttc files."
                )
            vlc.register_font_directory(str(resolved))
            _registered.append(str(resolved))
            _available.clear()  # a family missing before may be found now
        return list(_registered)


def _probe_spec(family: str, text: str) -> str:
    """Return a tiny chart that draws ``text`` in ``family`` alone (no fallback family)."""
    import json

    return json.dumps(
        {
            "data": {"values": [{"t": text}]},
            "mark": {"type": "text", "font": family, "fontSize": 20},
            "encoding": {"text": {"field": "t", "type": "nominal"}},
            "width": 40,
            "height": 30,
            "background": "white",
            "config": {"view": {"stroke": None}},
        }
    )


def font_available(family: str) -> bool:
    """Tell whether vl-convert (the exporter) can draw text in a font family.

    A family that is not found draws nothing: the probe renders a word in ``family`` alone
    and compares the picture with the same word in a family that does not exist. Generic families (``sans-serif``, ``serif``,
    ``monospace``) are always available. The answer is cached until fonts are registered.

    Parameters
    ----------
    family : str
        One family name, such as ``"Hierlab Sans"`` or ``"Times New Roman"``.

    Returns
    -------
    bool

    Examples
    --------
    >>> font_available("Hierlab Sans"), font_available("No Such Font 123")
    (True, False)
    """
    if not isinstance(family, str):
        raise InputTypeError(f"`family` must be a font family name, got {type(family).__name__}.")
    name = family.strip().strip("'\"")
    if not name:
        raise InvalidValueError("`family` is empty; name a font family such as 'Hierlab Sans'.")
    register_fonts()
    with _lock:
        if name not in _available:
            import vl_convert as vlc

            if "missing" not in _blank:  # what a family that no machine has draws: nothing
                _blank["missing"] = vlc.vegalite_to_png(_probe_spec(_NO_SUCH_FONT, "Hg"))
            drawn = vlc.vegalite_to_png(_probe_spec(name.replace(",", " "), "Hg"))
            _available[name] = drawn != _blank["missing"]
        return _available[name]
