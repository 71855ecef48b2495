"""Country-name normalisation against GeoNames' country list, offline."""

from __future__ import annotations

import polars as pl

from hierlab.datasets import country_table, normalize_countries
from hierlab.datasets.countries import COUNTRY_ALIASES


def test_names_codes_and_aliases() -> None:
    out = normalize_countries(
        ["France", "  côte d'ivoire ", "USA", "U.K.", "DEU", "fr", "Swaziland", "Atlantis", None]
    )
    assert out["iso2"].to_list() == ["FR", "CI", "US", "GB", "DE", "FR", "SZ", None, None]
    assert out["matched_by"].to_list()[:5] == ["name", "alias", "alias", "alias", "code"]
    assert out.filter(pl.col("iso2") == "FR")["iso_numeric"].unique().to_list() == ["250"]
    assert out.height == 9  # one row per input, in order


def test_every_alias_points_to_a_known_country() -> None:
    known = set(country_table()["iso2"])
    assert set(COUNTRY_ALIASES.values()) <= known


def test_country_table() -> None:
    table = country_table()
    assert table["iso2"].n_unique() == table.height > 240
    assert table["iso_numeric"].str.len_chars().unique().to_list() == [3]
