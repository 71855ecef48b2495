"""Export charts for papers: SVG, PNG and PDF through vl-convert, offline."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.plot.theme import paper_config

__all__ = ["chart_spec", "save"]


def _remote_urls(spec: Any, found: list[str]) -> list[str]:
    """Collect every ``url`` in the spec that points at a remote resource."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "url" and isinstance(value, str) and "://" in value:
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
    if hasattr(chart, "to_dict"):
        raw = chart.to_dict()
    elif isinstance(chart, Mapping):
        raw = dict(chart)
    else:
        raise InputTypeError(
            f"`chart` must be an Altair chart or a Vega-Lite spec (a dict), got "
            f"{type(chart).__name__}."
        )
    spec = _finite(raw)
    merged = dict(paper_config()["config"])
    merged.update(spec.get("config", {}))
    spec["config"] = merged
    return spec


def save(
    chart: Any,
    name: str,
    *,
    formats: Iterable[str] = ("svg", "png", "pdf"),
    folder: str | Path = "figures",
    scale: float = 2.0,
) -> list[Path]:
    """Write a chart as SVG, PNG and/or PDF with the paper theme, fully offline.

    The spec must carry its data inline: a spec that references a remote URL is refused
    (vl-convert is also given no allowed base URL). SVG and PNG are byte-identical from
    run to run for the same chart.

    Parameters
    ----------
    chart : altair.Chart or dict
        An Altair chart or a Vega-Lite spec dict.
    name : str
        The file name without extension.
    formats : iterable of {"svg", "png", "pdf"}, default ("svg", "png", "pdf")
        The formats to write, in order.
    folder : str or pathlib.Path, default "figures"
        The output folder (created if missing).
    scale : float, default 2.0
        The PNG pixel scale (2 = retina).

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
    if not isinstance(name, str):
        raise InputTypeError(
            f"`name` must be a file name (text such as 'forest_plot'), got {type(name).__name__}."
        )
    if not name or Path(name).name != name:
        raise InvalidValueError(
            f"`name` must be a file name without a folder, got {name!r}; pass the folder "
            "as folder=."
        )
    formats = [formats] if isinstance(formats, str) else list(formats)
    unknown = [f for f in formats if f not in ("svg", "png", "pdf")]
    if unknown:
        raise InvalidValueError(f"Unknown format(s) {unknown}; use 'svg', 'png' or 'pdf'.")
    spec = chart_spec(chart)
    remote = _remote_urls(spec, [])
    if remote:
        raise InvalidValueError(
            f"The chart references remote data ({remote[0]}); hierlab exports offline only. "
            "Pass the data inline (a polars or pandas table) instead of a URL."
        )
    import vl_convert as vlc

    out_dir = Path(folder)
    out_dir.mkdir(parents=True, exist_ok=True)
    text = json.dumps(spec, sort_keys=True, allow_nan=False)
    written = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        if fmt == "svg":
            path.write_text(vlc.vegalite_to_svg(text, allowed_base_urls=[]), encoding="utf-8")
        elif fmt == "png":
            path.write_bytes(vlc.vegalite_to_png(text, scale=scale, allowed_base_urls=[]))
        else:
            path.write_bytes(vlc.vegalite_to_pdf(text, allowed_base_urls=[]))
        written.append(path)
    return written
