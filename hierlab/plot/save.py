"""Export charts for papers: SVG, PNG and PDF through vl-convert, offline and byte-stable.

:func:`save` fits a chart to a journal column (``size="single"``: 3.3 in, ``"double"``:
7 in), keeps every text at least 7 pt at that size, writes PNG at 300 dpi, and draws text
with the vendored font, so the files are the same on every machine.

Sizes follow CSS: 96 px to the inch. SVG keeps pixel units (a 317 px wide SVG is 3.3 in
in a browser, Inkscape or Word), the PDF page is the same size in points, and the PNG has
``dpi`` pixels per inch (recorded in the file).
"""

from __future__ import annotations

import json
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hierlab.errors import (
    FontWarning,
    HierlabError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.plot.setup import use_data_transformer
from hierlab.plot.theme import (
    COLUMN_INCHES,
    MIN_FONT_PT,
    PX_PER_INCH,
    font_available,
    paper_config,
    register_fonts,
    register_theme,
)

__all__ = ["FORMATS", "SIZES", "chart_spec", "save"]

#: The file formats :func:`save` writes.
FORMATS = ("svg", "png", "pdf")
#: The named sizes of :func:`save`: the paper columns, ``"auto"`` and ``None``.
SIZES = ("auto", "single", "double", None)
#: The smallest font size in pixels (7 pt at 96 px per inch).
MIN_FONT_PX = MIN_FONT_PT * PX_PER_INCH / 72
_FONT_SIZE_KEYS = re.compile(r"^(fontSize|[a-z]+FontSize)$")
_FONT_KEYS = {"font", "labelFont", "titleFont", "subtitleFont"}
_VIEW_KEYS = ("layer", "hconcat", "vconcat", "concat")
#: Below this plot width (pixels) a chart is too crowded to fit the column at 7 pt.
MIN_PLOT_PX = 40.0
#: How close (pixels) a fitted figure comes to the column width (Vega rounds some sizes).
TOLERANCE_PX = 1.0


def _remote_urls(spec: Any, found: list[str]) -> list[str]:
    """Collect every ``url`` in the spec that points at a remote resource."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "url" and isinstance(value, str):
                found.append(value)
            else:
                _remote_urls(value, found)
    elif isinstance(spec, list):
        for value in spec:
            _remote_urls(value, found)
    return found


def _finite(value: Any) -> Any:
    """NaN and infinities become null (JSON has no NaN; Vega treats null as missing)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def chart_spec(chart: Any) -> dict[str, Any]:
    """Return the chart's Vega-Lite spec with the paper theme applied.

    The chart's data become inline values through hierlab's data transformer: models are
    shown under their display names (:func:`hierlab.plot.set_display_names`) and a
    table over 5,000 rows is refused with advice to aggregate first.

    Parameters
    ----------
    chart : altair.Chart or dict
        An Altair chart (any chart with ``to_dict()``) or a Vega-Lite spec as a dict.

    Returns
    -------
    dict
        The spec, with NaN and infinities replaced by null (JSON has no NaN) and the
        paper theme's config under the chart's own ``config``.

    Examples
    --------
    >>> spec = chart_spec({"mark": "point", "data": {"values": [{"x": float("nan")}]}})
    >>> spec["data"]["values"], spec["config"]["font"].endswith("sans-serif")
    ([{'x': None}], True)
    """
    if hasattr(chart, "to_dict") and callable(chart.to_dict):
        import altair as alt

        # the paper theme, whatever theme is active (a user's own config still wins)
        with use_data_transformer(), alt.theme.enable(register_theme()):
            try:
                raw = chart.to_dict()
            except HierlabError:
                raise
            except Exception as err:
                if type(err).__name__ == "MaxRowsError":
                    raise InputShapeError(f"{err}; aggregate first or chart a subset.") from err
                raise
    elif isinstance(chart, Mapping):
        raw = dict(chart)
    else:
        raise InputTypeError(
            f"`chart` must be an Altair chart or a Vega-Lite spec (a dict), got "
            f"{type(chart).__name__}."
        )
    spec = _finite(raw)
    spec["config"] = _merge(paper_config()["config"], spec.get("config", {}))
    return spec


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Return ``base`` updated by ``top``, merging nested dicts (``top`` wins)."""
    out = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _walk_spec(spec: Any, visit: Any) -> None:
    """Call ``visit(node)`` on every dict of the spec outside its data and datasets."""
    if isinstance(spec, dict):
        visit(spec)
        for key, value in spec.items():
            if key in ("data", "datasets", "values"):
                continue
            _walk_spec(value, visit)
    elif isinstance(spec, list):
        for value in spec:
            _walk_spec(value, visit)


def _enlarge_fonts(spec: dict[str, Any]) -> dict[str, Any]:
    """Raise every explicit font size below 7 pt (at 96 px per inch) to 7 pt."""

    def visit(node: dict[str, Any]) -> None:
        for key, value in list(node.items()):
            if (
                _FONT_SIZE_KEYS.match(key)
                and isinstance(value, int | float)
                and not isinstance(value, bool)
                and value < MIN_FONT_PX
            ):
                node[key] = math.ceil(MIN_FONT_PX * 100) / 100  # 9.34 px: never under 7 pt

    _walk_spec(spec, visit)
    return spec


def _font_lists(spec: dict[str, Any]) -> list[str]:
    """Every font list named in the spec (config, marks, titles), each once, in order."""
    found: list[str] = []

    def visit(node: dict[str, Any]) -> None:
        for key in _FONT_KEYS & node.keys():
            value = node[key]
            if isinstance(value, str) and value not in found:
                found.append(value)

    _walk_spec(spec, visit)
    return found


def _check_fonts(spec: dict[str, Any], name: str) -> None:
    """Warn when a requested font is missing; raise when no font of a list is available."""
    for fonts in _font_lists(spec):
        families = [f.strip().strip("'\"") for f in fonts.split(",") if f.strip()]
        if not families:
            continue
        if font_available(families[0]):
            continue
        fallback = next((f for f in families[1:] if font_available(f)), None)
        if fallback is None:
            raise InvalidValueError(
                f"save({name!r}): none of the fonts {fonts!r} is available to the exporter, "
                "so the figure would have no text. Register the font's folder with "
                "hierlab.plot.register_fonts(folder), or end the list with a generic "
                "family such as 'sans-serif'."
            )
        warnings.warn(
            f"save({name!r}): font {families[0]!r} is not available to the exporter; text "
            f"is drawn in {fallback!r}, which differs from machine to machine. Register "
            "the font's folder with hierlab.plot.register_fonts(folder).",
            FontWarning,
            stacklevel=3,
        )


def _render_svg(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    text = json.dumps(spec, sort_keys=True, allow_nan=False)
    return vlc.vegalite_to_svg(text, allowed_base_urls=[])


def _svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"', svg)
    if match is None:  # pragma: no cover - vl-convert always writes both
        raise InvalidValueError("The exporter returned an SVG without a size.")
    return float(match.group(1)), float(match.group(2))


def _points(svg: str) -> str:
    """Return the SVG with its size in points (3/4 of its pixels), for the PDF converter.

    vl-convert's PDF page has one point per SVG unit; the viewBox keeps the drawing, so the
    page is the print size and the 10 px labels are 7.5 pt.
    """
    width, height = _svg_size(svg)
    head, rest = svg.split(">", 1)
    head = re.sub(r'\swidth="[\d.]+"', f' width="{width * 0.75:g}"', head, count=1)
    head = re.sub(r'\sheight="[\d.]+"', f' height="{height * 0.75:g}"', head, count=1)
    if "viewBox" not in head:  # pragma: no cover - vl-convert always writes one
        head += f' viewBox="0 0 {width:g} {height:g}"'
    return head + ">" + rest


def _has_projection(node: dict[str, Any]) -> bool:
    found = []
    _walk_spec(node, lambda n: found.append(True) if "projection" in n else None)
    return bool(found)


def _scaled(spec: dict[str, Any], k: float) -> dict[str, Any]:
    """Return a copy of the spec with plot widths ``k`` times as wide (maps keep their aspect).

    Text keeps its size: only the views' widths (and band steps) change, so the figure's
    width follows ``k`` while its axes, legends and titles stay as they were.
    """
    out = json.loads(json.dumps(spec))

    def scale_view(node: dict[str, Any], maps: bool) -> None:
        width = node.get("width")
        if isinstance(width, int | float) and not isinstance(width, bool):
            node["width"] = round(width * k, 3)
            height = node.get("height")
            if maps and isinstance(height, int | float) and not isinstance(height, bool):
                node["height"] = round(height * k, 3)
        elif isinstance(width, dict) and isinstance(width.get("step"), int | float):
            node["width"] = {**width, "step": round(width["step"] * k, 3)}
        for key in _VIEW_KEYS:
            for child in node.get(key, []) or []:
                if isinstance(child, dict):
                    scale_view(child, maps)
        inner = node.get("spec")
        if isinstance(inner, dict):
            scale_view(inner, maps)

    scale_view(out, _has_projection(out))
    view = dict(out.get("config", {}).get("view", {}))
    continuous = view.get("continuousWidth", 300)
    view["continuousWidth"] = round(continuous * k, 3)
    discrete = view.get("discreteWidth", {"step": 20})
    if isinstance(discrete, dict) and isinstance(discrete.get("step"), int | float):
        view["discreteWidth"] = {**discrete, "step": round(discrete["step"] * k, 3)}
    elif isinstance(discrete, int | float):
        view["discreteWidth"] = round(discrete * k, 3)
    out.setdefault("config", {})["view"] = view
    return out


def _plot_widths(spec: dict[str, Any]) -> list[float]:
    """Return the explicit numeric plot widths of the spec's views."""
    found: list[float] = []

    def visit(node: dict[str, Any]) -> None:
        width = node.get("width")
        if isinstance(width, int | float) and not isinstance(width, bool):
            found.append(float(width))
        for key in _VIEW_KEYS:
            for child in node.get(key, []) or []:
                if isinstance(child, dict):
                    visit(child)
        if isinstance(node.get("spec"), dict):
            visit(node["spec"])

    visit(spec)
    return found


def _fit(
    spec: dict[str, Any], svg: str, target: float, name: str, label: str
) -> tuple[dict[str, Any], str]:
    """Scale the plot widths until the whole figure is ``target`` pixels wide (within 1 px).

    The figure's width is close to affine in the scale ``k`` of its plot widths (axes,
    legends and titles do not change), so a secant search finds ``k`` in a few renders.
    Vega rounds some figures' widths to whole pixels, hence the tolerance.
    """
    k0, w0 = 1.0, _svg_size(svg)[0]
    candidate = spec
    if abs(w0 - target) <= TOLERANCE_PX:
        return candidate, svg
    k1 = 0.5 if w0 > target else 2.0
    candidate = _scaled(spec, k1)
    svg = _render_svg(candidate)
    w1 = _svg_size(svg)[0]
    for _ in range(8):
        if abs(w1 - target) <= TOLERANCE_PX:
            break
        if abs(w1 - w0) < 1e-9:  # the width does not follow the plot width: text dominates
            break
        k_next = k1 + (target - w1) * (k1 - k0) / (w1 - w0)
        if k_next <= 0:
            break
        k0, w0, k1 = k1, w1, k_next
        candidate = _scaled(spec, k1)
        svg = _render_svg(candidate)
        w1 = _svg_size(svg)[0]
    widths = _plot_widths(candidate)
    if abs(w1 - target) > TOLERANCE_PX or (widths and min(widths) < MIN_PLOT_PX):
        other = "size='double', " if target < COLUMN_INCHES["double"] * PX_PER_INCH else ""
        raise InvalidValueError(
            f"save({name!r}): the figure cannot be made {label} wide with text of at least "
            f"{MIN_FONT_PT:g} pt: its axes, legends and titles need "
            f"{(w1 - sum(widths)) / PX_PER_INCH:.1f} in besides the plots (got "
            f"{w1 / PX_PER_INCH:.2f} in, narrowest plot {min(widths, default=0):.0f} px). Use "
            f"{other}size=None, or shorten the titles and labels."
        )
    return candidate, svg


def _target(size: Any, natural: float) -> tuple[float | None, str]:
    """Return the target width in pixels for ``size`` (None: natural width) and a label."""
    if size is None:
        return None, "its natural size"
    if isinstance(size, str):
        if size == "auto":
            single, double = (COLUMN_INCHES[k] * PX_PER_INCH for k in ("single", "double"))
            size = "single" if natural <= (single + double) / 2 else "double"
        inches = COLUMN_INCHES[size]
        return inches * PX_PER_INCH, f"{inches:g} in ({size} column)"
    return float(size) * PX_PER_INCH, f"{float(size):g} in"


def _check_size(size: Any) -> Any:
    if size is None or (isinstance(size, str) and size in SIZES):
        return size
    if isinstance(size, str):
        raise InvalidValueError(
            f"`size` must be 'single' (3.3 in), 'double' (7 in), 'auto', None or a width in "
            f"inches, got {size!r}."
        )
    if isinstance(size, bool) or not isinstance(size, int | float):
        raise InputTypeError(
            f"`size` must be 'single', 'double', 'auto', None or a width in inches, got "
            f"{type(size).__name__}."
        )
    if not (1.0 <= float(size) <= 20.0):
        raise InvalidValueError(f"`size` in inches must be between 1 and 20, got {size}.")
    return float(size)


def _check_name(name: Any, folder: Path) -> str:
    if not isinstance(name, str):
        raise InputTypeError(
            f"`name` must be a file name (text such as 'forest_plot'), got {type(name).__name__}."
        )
    if (
        not name.strip()
        or "/" in name
        or "\\" in name
        or name in (".", "..")
        or name.startswith(".")
        or "\x00" in name
    ):
        raise InvalidValueError(
            f"`name` must be a plain file name without folders or a leading dot, got "
            f"{name!r}; pass the folder as folder=."
        )
    resolved = (folder / name).resolve()
    if resolved.parent != folder.resolve():  # pragma: no cover - the checks above catch it
        raise InvalidValueError(f"`name` {name!r} would write outside {str(folder)!r}.")
    return name


def save(
    chart: Any,
    name: str,
    *,
    formats: Iterable[str] = FORMATS,
    folder: str | Path = "figures",
    size: str | float | None = "auto",
    dpi: int = 300,
) -> list[Path]:
    r"""Write a chart as SVG, PNG and/or PDF for a paper: column-sized, offline, byte-stable.

    The figure is fitted to a journal column: the plot widths are scaled so that the whole
    figure (axes, legends and titles included) is exactly 3.3 in (``"single"``) or 7 in
    (``"double"``) wide, while text keeps its size, never less than 7 pt at that size
    (smaller font sizes are raised to 7 pt). Place it at 100 % (LaTeX:
    ``width=\columnwidth``). Models appear under their display names
    (:func:`hierlab.plot.set_display_names`). Text is drawn with the vendored font, so SVG
    and PNG are byte-identical from run to run and from machine to machine; a font the
    chart asks for that is missing gives a :class:`~hierlab.errors.FontWarning` (or an
    error when no font of the list is available). A spec that references remote data is
    refused: exports are offline.

    Parameters
    ----------
    chart : altair.Chart or dict
        An Altair chart or a Vega-Lite spec dict.
    name : str
        The file name without extension and without folders (``"forest_region"``).
    formats : iterable of {"svg", "png", "pdf"}, default ("svg", "png", "pdf")
        The formats to write, in order.
    folder : str or pathlib.Path, default "figures"
        The output folder (created if missing); files are written nowhere else.
    size : {"auto", "single", "double"}, float or None, default "auto"
        The print width: ``"single"`` column (3.3 in), ``"double"`` column (7 in), a
        width in inches, ``"auto"`` (the column nearer to the chart's own width; double
        when the text does not fit one column) or None (the chart's own size, at 96 px
        per inch).
    dpi : int, default 300
        Pixels per inch of the PNG at print size (recorded in the file).

    Returns
    -------
    list of pathlib.Path
        The files written, in the order of ``formats``.

    Examples
    --------
    >>> import altair as alt, polars as pl, tempfile
    >>> chart = alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
    >>> [p.suffix for p in save(chart, "demo", formats=("svg", "png"), folder=tempfile.mkdtemp())]
    ['.svg', '.png']
    """
    if not isinstance(folder, str | Path):
        raise InputTypeError(
            f"`folder` must be a folder path (text or pathlib.Path), got {type(folder).__name__}."
        )
    out_dir = Path(folder)
    name = _check_name(name, out_dir)
    if isinstance(formats, str):
        formats = [formats]
    elif not isinstance(formats, Iterable):
        raise InputTypeError(
            f"`formats` must be a list of formats such as ('svg', 'png'), got "
            f"{type(formats).__name__}."
        )
    formats = list(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise InvalidValueError(
            f"Unknown format(s) {unknown or '(none given)'}; use 'svg', 'png' or 'pdf'."
        )
    size = _check_size(size)
    if isinstance(dpi, bool) or not isinstance(dpi, int | float):
        raise InputTypeError(f"`dpi` must be a number such as 300, got {type(dpi).__name__}.")
    if not 36 <= dpi <= 2400:
        raise InvalidValueError(f"`dpi` must be between 36 and 2400, got {dpi}.")
    try:
        spec = chart_spec(chart)
    except InputShapeError as err:
        raise InputShapeError(f"save({name!r}): {err}") from err
    remote = _remote_urls(spec, [])
    if remote:
        raise InvalidValueError(
            f"The chart references remote data ({remote[0]}); hierlab exports offline only. "
            "Pass the data inline (a polars or pandas table) instead of a URL."
        )
    register_fonts()
    spec = _enlarge_fonts(spec)
    _check_fonts(spec, name)
    import vl_convert as vlc

    svg = _render_svg(spec)
    target, label = _target(size, _svg_size(svg)[0])
    if target is not None:
        try:
            spec, svg = _fit(spec, svg, target, name, label)
        except InvalidValueError:
            if size != "auto" or label.endswith("(double column)"):
                raise
            target, label = _target("double", 0.0)  # too crowded for one column: use two
            spec, svg = _fit(spec, svg, target, name, label)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InvalidValueError(
            f"save({name!r}): cannot create the folder {str(out_dir)!r} ({err.strerror or err}); "
            "pass folder= a folder you can write to."
        ) from err
    written = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        if fmt == "svg":
            path.write_text(svg, encoding="utf-8")
        elif fmt == "png":
            # 1 px = 1/96 in; vl-convert counts 72 px per inch, hence the 0.75
            path.write_bytes(vlc.svg_to_png(svg, scale=72 / PX_PER_INCH, ppi=float(dpi)))
        else:
            path.write_bytes(vlc.svg_to_pdf(_points(svg)))
        written.append(path)
    return written
