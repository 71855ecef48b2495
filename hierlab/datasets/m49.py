"""UN M49 regions: world > region > sub-region (> intermediate region) > country."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from hierlab.datasets._download import M49, fetch_file
from hierlab.datasets.card import DatasetCard
from hierlab.errors import InputTypeError
from hierlab.results import Result, Summary
from hierlab.tree import Tree

__all__ = ["M49_PATCHES", "RegionsDataset", "fetch_un_m49"]

#: Countries the M49 table leaves without a region, and where hierlab places them.
M49_PATCHES: dict[str, tuple[str, str]] = {
    "TW": ("Asia", "Eastern Asia"),  # not listed by the UN; placed geographically
    "AQ": ("Antarctica", "Antarctica"),  # not a UN region; kept as its own branch
}


@dataclass(frozen=True, eq=False)
class RegionsDataset(Result):
    """UN M49 countries with their regions, as a table and as a world Tree.

    Attributes
    ----------
    countries : polars.DataFrame
        One row per country: ``country, iso2, iso3, iso_numeric, region, sub_region,
        intermediate_region, region_source`` ("M49", or "hierlab" for the patched rows).
    tree : Tree
        World > region > sub-region > country (or with intermediate regions, if asked).
    card : DatasetCard
        Source, licence, sizes and caveats.

    Examples
    --------
    >>> m49 = fetch_un_m49()
    >>> m49.to_polars().height
    249
    >>> m49.summary().tables["countries by region"]["region"].to_list()[:2]
    ['Africa', 'Americas']
    """

    countries: pl.DataFrame
    tree: Tree
    card: DatasetCard

    def summary(self) -> Summary:
        """Summarise the regions: the card's facts and the countries per region.

        Returns
        -------
        Summary
        """
        by_region = (
            self.countries.group_by("region")
            .agg(pl.col("sub_region").n_unique().alias("sub_regions"), pl.len().alias("countries"))
            .sort("region")
        )
        return self.card.summary(tables={"countries by region": by_region})

    def to_polars(self) -> pl.DataFrame:
        """Return the country table (one row per country).

        Returns
        -------
        polars.DataFrame
        """
        return self.countries


def fetch_un_m49(intermediate: bool = False) -> RegionsDataset:
    """Return the UN M49 regional classification of the 249 ISO 3166 countries.

    Parameters
    ----------
    intermediate : bool, default False
        Include intermediate regions (e.g. Eastern Africa inside Sub-Saharan Africa) as an
        extra level where the table has one; by default every country sits at depth 3.

    Returns
    -------
    RegionsDataset
        The country table, the world tree and the card.

    Examples
    --------
    >>> m49 = fetch_un_m49()
    >>> m49.tree.path(m49.tree.find("Europe/Western Europe/France"))
    ('World', 'Europe', 'Western Europe', 'France')
    """
    if not isinstance(intermediate, bool):
        raise InputTypeError(
            f"`intermediate` must be True or False, got {type(intermediate).__name__}."
        )
    url = f"{M49}/all/all.csv"
    raw = pl.read_csv(fetch_file(url), infer_schema_length=0)  # every column as text
    blank_to_null = [
        pl.when(pl.col(c) == "").then(None).otherwise(pl.col(c)).alias(c) for c in raw.columns
    ]
    raw = raw.with_columns(blank_to_null)
    patch = pl.DataFrame(
        {
            "alpha-2": list(M49_PATCHES),
            "patch_region": [v[0] for v in M49_PATCHES.values()],
            "patch_sub": [v[1] for v in M49_PATCHES.values()],
        }
    )
    countries = raw.join(patch, on="alpha-2", how="left", maintain_order="left").select(
        pl.col("name").alias("country"),
        pl.col("alpha-2").alias("iso2"),
        pl.col("alpha-3").alias("iso3"),
        pl.col("country-code").alias("iso_numeric"),
        pl.coalesce("region", "patch_region").alias("region"),
        pl.coalesce("sub-region", "patch_sub").alias("sub_region"),
        pl.col("intermediate-region").alias("intermediate_region"),
        pl.when(pl.col("region").is_null())
        .then(pl.lit("hierlab"))
        .otherwise(pl.lit("M49"))
        .alias("region_source"),
    )
    levels = ["region", "sub_region", "intermediate_region", "country"]
    if not intermediate:
        levels.remove("intermediate_region")
    tree = Tree.from_levels(countries, levels=levels, root="World", on_null="skip")
    n_regions = countries.filter(pl.col("region_source") == "M49")["region"].n_unique()
    card = DatasetCard(
        name="UN M49 regions (ISO-3166 countries with regional codes)",
        description=(
            "ISO 3166-1 countries with their UN M49 region, sub-region and intermediate "
            "region, compiled from the UN Statistics Division's M49 standard and Wikipedia's "
            "ISO 3166-1 list."
        ),
        source="lukes/ISO-3166-Countries-with-Regional-Codes @ 145f1ad (all/all.csv)",
        urls=(url,),
        license="CC BY-SA 4.0",
        citation=(
            "Luke Duncalfe, ISO-3166-Countries-with-Regional-Codes (2024); United Nations "
            "Statistics Division, Standard country or area codes for statistical use (M49)."
        ),
        sizes={
            "countries": countries.height,
            "regions": n_regions,
            "sub_regions": countries["sub_region"].n_unique(),
        },
        columns={
            "country": "ISO 3166 short name",
            "iso2": "ISO 3166-1 alpha-2",
            "iso3": "ISO 3166-1 alpha-3",
            "iso_numeric": "ISO 3166-1 numeric, zero-padded (the world-atlas map ids)",
            "region": "M49 region (Africa, Americas, Asia, Europe, Oceania)",
            "sub_region": "M49 sub-region",
            "intermediate_region": "M49 intermediate region, where there is one",
            "region_source": "'M49', or 'hierlab' where hierlab filled a missing region",
        },
        caveats=(
            "M49 gives no region for Taiwan (placed in Asia / Eastern Asia here) or "
            "Antarctica (its own branch here); region_source marks both.",
        ),
    )
    return RegionsDataset(countries=countries, tree=tree, card=card)
