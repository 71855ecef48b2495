"""The paper theme: column widths, font sizes and colour-blind-safe schemes.

The font list ends in a generic family: vl-convert drops all text when no listed font is
found, so ``sans-serif`` must come last.

Examples
--------
>>> SINGLE_COLUMN < DOUBLE_COLUMN
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["DOUBLE_COLUMN", "FONT", "SINGLE_COLUMN", "THEME_NAME", "enable_theme", "paper_config"]

THEME_NAME = "hierlab_paper"
FONT = "Liberation Sans, DejaVu Sans, Helvetica, Arial, sans-serif"
#: Plot widths in pixels for single- and double-column figures (3.3 in and 7 in at 72 px/in).
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


def paper_config() -> dict[str, Any]:
    """Return the Vega-Lite config of the paper theme.

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

    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(paper_config)
    alt.theme.enable(THEME_NAME)
