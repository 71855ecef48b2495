"""Datasets: real public benchmarks (downloaded, verified, cached) and the embedded demo.

Fetchers download commit-pinned files, check their sha256 and cache them under
``HIERLAB_DATA_HOME``; ``HIERLAB_DATA_MIRROR`` points them at an offline mirror (a folder
or an http(s) base URL that replaces ``https://``; both are read by
:mod:`hierlab.settings`). The demo and the world map need no network; :func:`load_country_borders` downloads the
1:50m world-atlas borders once for point-in-polygon reverse geocoding.

Examples
--------
>>> from hierlab.datasets import load_demo
>>> load_demo(n_items=20, n_models=2).results.height
40
"""

from hierlab.datasets._download import fetch_file
from hierlab.datasets.benchmark import BenchmarkResults
from hierlab.datasets.borders import CountryBorders, load_country_borders
from hierlab.datasets.card import DatasetCard
from hierlab.datasets.chembench import fetch_chembench
from hierlab.datasets.countries import country_table, normalize_countries
from hierlab.datasets.demo import Demo, DemoTruth, load_demo
from hierlab.datasets.earthwhere import EarthWhere, fetch_earthwhere
from hierlab.datasets.m49 import RegionsDataset, fetch_un_m49
from hierlab.datasets.mathvista import fetch_mathvista
from hierlab.datasets.places import Places, load_places, load_world_map
from hierlab.datasets.taxonomies import TreeDataset, fetch_label_tree, fetch_semeval_taxonomy

__all__ = [
    "BenchmarkResults",
    "CountryBorders",
    "DatasetCard",
    "Demo",
    "DemoTruth",
    "EarthWhere",
    "Places",
    "RegionsDataset",
    "TreeDataset",
    "country_table",
    "fetch_chembench",
    "fetch_earthwhere",
    "fetch_file",
    "fetch_label_tree",
    "fetch_mathvista",
    "fetch_semeval_taxonomy",
    "fetch_un_m49",
    "load_country_borders",
    "load_demo",
    "load_places",
    "load_world_map",
    "normalize_countries",
]
