"""Great-circle distances and nearest-place lookup."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, MissingValueError
from hierlab.geo import (
    EARTH_RADIUS_KM,
    NearestPlaces,
    accuracy_at_k,
    check_coordinates,
    haversine_km,
)


def test_haversine_known_distances() -> None:
    # Paris-London ~344 km, New York-Los Angeles ~3,936 km (great-circle, mean radius)
    d = haversine_km(
        [48.8566, 40.7128], [2.3522, -74.0060], [51.5074, 34.0522], [-0.1278, -118.2437]
    )
    assert d == pytest.approx([343.5, 3935.7], abs=1.5)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(np.pi * EARTH_RADIUS_KM)
    assert haversine_km(10, 20, 10, 20) == 0


def test_nearest_places_matches_brute_force() -> None:
    rng = np.random.default_rng(0)
    plat, plon = rng.uniform(-80, 80, 500), rng.uniform(-180, 180, 500)
    qlat, qlon = rng.uniform(-80, 80, 200), rng.uniform(-180, 180, 200)
    idx, km = NearestPlaces(plat, plon).query(qlat, qlon)
    brute = haversine_km(qlat[:, None], qlon[:, None], plat[None, :], plon[None, :])
    assert np.array_equal(idx, brute.argmin(axis=1))
    assert np.allclose(km, brute.min(axis=1))


def test_bad_coordinates_are_named() -> None:
    with pytest.raises(InvalidValueError, match=r"row 2 \(nan, 0.0\)"):
        check_coordinates(np.array([0.0, 10.0, np.nan]), np.array([0.0, 0.0, 0.0]))
    with pytest.raises(InvalidValueError, match="query coordinates"):
        NearestPlaces([0.0], [0.0]).query([0.0], [200.0])


def test_accuracy_at_k_convention_and_presets() -> None:
    from hierlab.geo import EARTHWHERE_THRESHOLDS_KM, STANDARD_THRESHOLDS_KM

    d = np.array([1.0, 25.0, 199.0, 2500.0, 2500.1])
    acc = accuracy_at_k(d)  # distance <= k counts
    assert tuple(acc) == STANDARD_THRESHOLDS_KM
    assert acc[1.0] == 0.2 and acc[25.0] == 0.4 and acc[2500.0] == 0.8
    assert tuple(accuracy_at_k(d, thresholds_km=EARTHWHERE_THRESHOLDS_KM)) == (
        EARTHWHERE_THRESHOLDS_KM
    )
    # a missing answer (NaN) is wrong by default, excluded or refused by choice
    assert accuracy_at_k(np.array([0.5, np.nan]), thresholds_km=(1.0,)) == {1.0: 0.5}
    assert accuracy_at_k(np.array([0.5, np.nan]), thresholds_km=(1.0,), on_missing="exclude") == {
        1.0: 1.0
    }
    with pytest.raises(MissingValueError, match=r"position\(s\) 0"):
        accuracy_at_k(np.array([np.nan]), on_missing="raise")


def test_reverse_geocode_reuses_one_index_per_table() -> None:
    from hierlab import geo

    table = pl.DataFrame({"city": ["Paris", "Lyon"], "lat": [48.86, 45.76], "lon": [2.35, 4.84]})
    first = geo.reverse_geocode([45.7, 48.0], [4.9, 2.0], places=table)
    assert first["city"].to_list() == ["Lyon", "Paris"]
    cached = geo._INDEXES[id(table)][1]
    geo.reverse_geocode([45.7], [4.9], places=table)
    assert geo._INDEXES[id(table)][1] is cached  # built once per table

    class Bundle:  # anything with a .table, like hierlab.datasets.Places
        def __init__(self, table: pl.DataFrame) -> None:
            self.table = table

    assert geo.reverse_geocode([48.0], [2.0], places=Bundle(table))["city"][0] == "Paris"
    with pytest.raises(InputTypeError, match="`places`"):
        geo.reverse_geocode([0.0], [0.0], places=object())
    with pytest.raises(InputShapeError, match="'lat'"):
        geo.reverse_geocode([0.0], [0.0], places=table.drop("lat"))


def test_wrong_types_name_the_argument() -> None:
    with pytest.raises(InputTypeError, match="`lat1`"):
        haversine_km("north", 0.0, 0.0, 0.0)
    with pytest.raises(InputTypeError, match="`distances_km`"):
        accuracy_at_k(object())
    with pytest.raises(InputShapeError, match="broadcast"):
        haversine_km([0.0, 1.0], [0.0, 1.0, 2.0], 0.0, 0.0)


def test_geoscore() -> None:
    from hierlab.geo import geoscore

    assert geoscore(np.array([0.0]))[0] == 5000.0
    assert geoscore(np.array([1492.7]))[0] == pytest.approx(5000 / np.e)


def test_geodesic_difference_is_as_documented() -> None:
    from pyproj import Geod

    from hierlab.geo import geodesic_km

    rng = np.random.default_rng(0)
    n = 20000
    lat1 = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    lon1 = rng.uniform(-180, 180, n)
    lon2, lat2, _ = Geod(ellps="WGS84").fwd(
        lon1, lat1, rng.uniform(0, 360, n), np.full(n, 2_500_000.0)
    )
    assert np.allclose(geodesic_km(lat1, lon1, lat2, lon2), 2500.0)
    err = np.abs(haversine_km(lat1, lon1, lat2, lon2) - 2500.0)
    assert 0.001 < np.median(err) / 2500 < 0.003  # ~0.2% median
    assert 10 < err.max() < 15  # up to ~14 km


@pytest.mark.mirror
@pytest.mark.usefixtures("data_env")
def test_reverse_geocode_onto_the_world_tree() -> None:
    from hierlab.datasets import load_places
    from hierlab.geo import reverse_geocode

    places = load_places()
    out = reverse_geocode([48.857, 33.66], [2.35, -95.55], places=places)
    assert (
        out["city"][0].startswith("Paris") and out["city"][1] == "Paris"
    )  # GeoNames lists arrondissements
    assert out["iso2"].to_list() == ["FR", "US"] and out["node"][0] != out["node"][1]
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-60, 70, 300), rng.uniform(-180, 180, 300)
    got = reverse_geocode(lat, lon, places=places)
    table = places.table
    brute = haversine_km(
        lat[:, None],
        lon[:, None],
        table["lat"].to_numpy()[None, :],
        table["lon"].to_numpy()[None, :],
    )
    assert np.allclose(got["distance_km"].to_numpy(), brute.min(axis=1))


def test_geo_accuracy_table_by_hand() -> None:
    from hierlab.geo import geo_accuracy
    from hierlab.stats import wilson_interval

    preds = pl.DataFrame(
        {
            "model": ["a"] * 4 + ["b"] * 4,
            "item": list("wxyz") * 2,
            "distance_km": [0.5, 20.0, 300.0, None, 5.0, 5.0, 3000.0, 10.0],
        }
    )
    res = geo_accuracy(preds, distance="distance_km", thresholds_km=(1.0, 25.0))
    a = res.table.row(0, named=True)
    assert (a["n"], a["n_missing"], a["acc_1km"], a["acc_25km"]) == (4, 1, 0.25, 0.5)
    lo, hi = wilson_interval([2], [4])
    assert (a["acc_25km_ci_low"], a["acc_25km_ci_high"]) == pytest.approx((lo[0], hi[0]))
    scores = 5000 * np.exp(-np.array([0.5, 20.0, 300.0]) / 1492.7)
    assert a["geoscore"] == pytest.approx(scores.sum() / 4)  # the missing answer scores 0
    assert a["median_km"] == pytest.approx(20.0)
    excluded = geo_accuracy(
        preds, distance="distance_km", thresholds_km=(25.0,), on_missing="exclude"
    ).table.row(0, named=True)
    assert (excluded["n"], excluded["n_missing"], excluded["acc_25km"]) == (3, 1, 2 / 3)
    assert res.long.filter(pl.col("measure") == "geoscore").height == 2
    assert "counted wrong" in str(res.summary())


def test_geo_accuracy_from_coordinates_matches_haversine() -> None:
    from hierlab.geo import geo_accuracy

    rng = np.random.default_rng(0)
    n = 50
    lat, lon = rng.uniform(-60, 60, n), rng.uniform(-170, 170, n)
    plat, plon = lat + rng.normal(0, 2, n), lon + rng.normal(0, 2, n)
    preds = pl.DataFrame(
        {
            "model": "m",
            "item": np.arange(n),
            "lat": lat,
            "lon": lon,
            "pred_lat": plat,
            "pred_lon": plon,
        }
    )
    d = haversine_km(lat, lon, plat, plon)
    row = geo_accuracy(preds, thresholds_km=(200.0,)).table.row(0, named=True)
    assert row["acc_200km"] == pytest.approx(float(np.mean(d <= 200)))
    assert row["geoscore"] == pytest.approx(float(np.mean(5000 * np.exp(-d / 1492.7))))
