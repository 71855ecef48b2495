"""World maps from the embedded world-atlas TopoJSON (no network)."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab.plot._common import need, table
from hierlab.plot.theme import DOUBLE_COLUMN

__all__ = ["choropleth", "coverage_map"]


def choropleth(
    values: Any,
    value: str,
    country: str = "iso_numeric",
    title: str = "",
    value_title: str | None = None,
    scheme: str = "viridis",
    domain: tuple[float, float] | None = None,
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Countries coloured by a value (Equal Earth projection).

    Parameters
    ----------
    values : table with the country key and the value (one row per country)
    country : column with zero-padded ISO 3166 numeric codes ("250"), the map's ids;
        or ISO alpha-2 codes in a column named ``iso2`` (converted)
    value : column to colour by

    Countries without data are drawn light grey; features of the map without an ISO id
    (a few disputed areas) are drawn grey too.

    Examples
    --------
    >>> chart = choropleth(pl.DataFrame({"iso_numeric": ["250"], "acc": [0.8]}), "acc")
    >>> chart.to_dict()["layer"][1]["mark"]["type"]
    'geoshape'
    """
    import altair as alt

    from hierlab.datasets import load_world_map
    from hierlab.datasets.countries import country_table

    frame = table(values)
    if country == "iso2" or (country not in frame.columns and "iso2" in frame.columns):
        codes = country_table().select("iso2", "iso_numeric")
        frame = frame.join(codes, on="iso2", how="left")
        country = "iso_numeric"
    need(frame, [country, value], "choropleth")
    rows = frame.select(pl.col(country).cast(pl.String).str.zfill(3).alias("id"), pl.col(value))
    extra = [c for c in ("country", "n") if c in frame.columns]
    if extra:
        rows = rows.with_columns(frame.select(extra))
    topo = load_world_map()
    shapes = alt.Data(values=topo, format=alt.DataFormat(type="topojson", feature="countries"))
    background = alt.Chart(shapes).mark_geoshape(fill="#eeeeee", stroke="white", strokeWidth=0.3)
    scale = alt.Scale(scheme=scheme, domain=list(domain)) if domain else alt.Scale(scheme=scheme)
    fields = [value, *extra]
    data_layer = (
        alt.Chart(shapes)
        .mark_geoshape(stroke="white", strokeWidth=0.3)
        .transform_lookup(lookup="id", from_=alt.LookupData(rows.to_pandas(), "id", fields))
        .transform_filter(f"isValid(datum['{value}'])")
        .encode(
            color=alt.Color(f"{value}:Q", title=value_title or value, scale=scale),
            tooltip=[alt.Tooltip(f"{f}:{'Q' if f != 'country' else 'N'}") for f in fields],
        )
    )
    return (
        alt.layer(background, data_layer, title=title)
        .project(type="equalEarth")
        .properties(width=width, height=width * 0.5)
    )


def coverage_map(
    items: Any, country: str = "iso2", title: str = "Items per country", width: int = DOUBLE_COLUMN
) -> Any:
    """Number of items per country (log colour scale): benchmark coverage is itself a bias.

    Examples
    --------
    >>> coverage_map(pl.DataFrame({"iso2": ["FR", "FR", "CN"]})).to_dict()["layer"][1]["mark"]["type"]
    'geoshape'
    """
    frame = table(items)
    need(frame, [country], "coverage_map")
    counts = frame.group_by(country).len().rename({"len": "n"}).drop_nulls(country)
    if country != "iso2" and country != "iso_numeric":
        raise ValueError(
            "coverage_map needs ISO codes: a column of alpha-2 ('iso2') or numeric codes."
        )
    import altair as alt

    chart = choropleth(counts, "n", country=country, title=title, value_title="Items", width=width)
    chart.layer[1] = chart.layer[1].encode(
        color=alt.Color("n:Q", title="Items", scale=alt.Scale(type="log", scheme="oranges"))
    )
    return chart
