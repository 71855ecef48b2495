"""World maps from the embedded world-atlas TopoJSON (no network)."""

from __future__ import annotations

from typing import Any

import polars as pl

from hierlab._tables import as_polars
from hierlab.errors import InputTypeError, InvalidValueError
from hierlab.plot._common import need
from hierlab.plot.theme import DOUBLE_COLUMN

__all__ = ["choropleth", "coverage_map"]

#: Country key columns the maps understand.
COUNTRY_KEYS = ("iso_numeric", "iso2")


def _check_column_name(value: object, name: str) -> str:
    """Return ``value`` if it is a column name (text), else raise naming ``name``."""
    if not isinstance(value, str):
        raise InputTypeError(f"`{name}` must be a column name (text), got {type(value).__name__}.")
    return value


def _check_country(country: object) -> str:
    """Return ``country`` if it names a supported key column, else raise."""
    _check_column_name(country, "country")
    if country not in COUNTRY_KEYS:
        raise InvalidValueError(
            f"`country` must name a column of ISO 3166 codes: 'iso_numeric' (zero-padded "
            f"numeric codes such as '250', the map's ids) or 'iso2' (alpha-2 codes such as "
            f"'FR'); got {country!r}. Convert country names first with "
            "hierlab.datasets.normalize_countries."
        )
    return country


def choropleth(
    values: Any,
    value: str,
    *,
    country: str = "iso_numeric",
    title: str = "",
    value_title: str | None = None,
    scheme: str = "viridis",
    domain: tuple[float, float] | None = None,
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Colour countries by a value (Equal Earth projection).

    Countries without data are drawn light grey; features of the map without an ISO id
    (a few disputed areas) are drawn grey too. ``country`` and ``n`` columns, where
    present, are shown in the tooltip.

    Parameters
    ----------
    values : polars.DataFrame or pandas.DataFrame
        One row per country: the country key column and the value column.
    value : str
        The column to colour by.
    country : {"iso_numeric", "iso2"}, default "iso_numeric"
        The country key column: zero-padded ISO 3166 numeric codes ("250", the map's
        ids) or ISO alpha-2 codes ("FR", converted). When the table has no
        ``iso_numeric`` column but has ``iso2``, ``iso2`` is used.
    title : str, default ""
        The chart's title.
    value_title : str, optional
        The colour legend's title (default: the ``value`` column's name).
    scheme : str, default "viridis"
        A Vega colour scheme.
    domain : tuple of float, optional
        The colour scale's (low, high); by default the data's range.
    width : int, default DOUBLE_COLUMN
        The chart's width in pixels (the height is half of it).

    Returns
    -------
    altair.LayerChart
        A grey background map and the coloured countries.

    Examples
    --------
    >>> chart = choropleth(pl.DataFrame({"iso_numeric": ["250"], "acc": [0.8]}), "acc")
    >>> chart.to_dict()["layer"][1]["mark"]["type"]
    'geoshape'
    """
    frame = as_polars(values, "`values`")
    value = _check_column_name(value, "value")
    country = _check_country(country)
    import altair as alt

    from hierlab.datasets import load_world_map
    from hierlab.datasets.countries import country_table

    if country == "iso2" or (country not in frame.columns and "iso2" in frame.columns):
        need(frame, ["iso2", value], "choropleth")
        codes = country_table().select("iso2", "iso_numeric")
        frame = frame.drop("iso_numeric", strict=False).join(codes, on="iso2", how="left")
        country = "iso_numeric"
    need(frame, [country, value], "choropleth")
    rows = frame.select(pl.col(country).cast(pl.String).str.zfill(3).alias("id"), pl.col(value))
    extra = [c for c in ("country", "n") if c in frame.columns and c != value]
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
    items: Any,
    *,
    country: str = "iso2",
    title: str = "Items per country",
    width: int = DOUBLE_COLUMN,
) -> Any:
    """Map the number of items per country (log colour scale): coverage is itself a bias.

    Parameters
    ----------
    items : polars.DataFrame or pandas.DataFrame
        One row per item, with the item's country code.
    country : {"iso2", "iso_numeric"}, default "iso2"
        The column of ISO 3166 codes: alpha-2 ("FR") or zero-padded numeric ("250").
        Items with a null code are not counted.
    title : str, default "Items per country"
        The chart's title.
    width : int, default DOUBLE_COLUMN
        The chart's width in pixels (the height is half of it).

    Returns
    -------
    altair.LayerChart
        A choropleth of the item counts (column ``n``).

    Examples
    --------
    >>> coverage_map(pl.DataFrame({"iso2": ["FR", "FR", "CN"]})).to_dict()["layer"][1]["mark"]["type"]
    'geoshape'
    """
    frame = as_polars(items, "`items`")
    country = _check_country(country)
    need(frame, [country], "coverage_map")
    counts = frame.group_by(country).len().rename({"len": "n"}).drop_nulls(country).sort(country)
    import altair as alt

    chart = choropleth(counts, "n", country=country, title=title, value_title="Items", width=width)
    chart.layer[1] = chart.layer[1].encode(
        color=alt.Color("n:Q", title="Items", scale=alt.Scale(type="log", scheme="oranges"))
    )
    return chart
