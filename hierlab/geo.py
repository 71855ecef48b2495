"""Geography: great-circle distances, Acc@k and GeoScore with intervals, reverse geocoding.

Coordinates are decimal degrees, latitude in [-90, 90] and longitude in [-180, 180]; a
value outside is an error naming the rows. NaN marks a missing answer: distances to it
are NaN, and the scores (:func:`accuracy_at_k`, :func:`geoscore`,
:func:`geo_accuracy`) count it as wrong (``on_missing="wrong"``, the default: a model
that does not answer has not located the place) or leave it out (``"exclude"``), never
letting a NaN through. Distances are haversine great-circle distances on a sphere of
radius 6,371.0088 km (the IUGG mean Earth radius).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from hierlab._tables import as_float_array, as_polars, require_columns
from hierlab.errors import (
    EmptyInputError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
    MissingDependencyError,
    MissingValueError,
    format_items,
)
from hierlab.results import Result, Summary
from hierlab.stats import check_confidence, check_on_missing, check_unique, wilson_interval

__all__ = [
    "EARTHWHERE_THRESHOLDS_KM",
    "EARTH_RADIUS_KM",
    "STANDARD_THRESHOLDS_KM",
    "GeoAccuracy",
    "NearestPlaces",
    "accuracy_at_k",
    "check_coordinates",
    "geo_accuracy",
    "geodesic_km",
    "geoscore",
    "haversine_km",
    "reverse_geocode",
]

#: What a missing answer (a NaN coordinate or distance) counts as.
GEO_MISSING = ("wrong", "exclude", "raise")
#: GeoGuessr's distance scale: a score of 5000 * exp(-d / GEOSCORE_SCALE_KM).
GEOSCORE_SCALE_KM = 1492.7

EARTH_RADIUS_KM = 6371.0088
#: street, city, region, country, continent (the usual geolocation thresholds).
STANDARD_THRESHOLDS_KM = (1.0, 25.0, 200.0, 750.0, 2500.0)
#: EarthWhere's thresholds.
EARTHWHERE_THRESHOLDS_KM = (1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)


def check_coordinates(lat: Any, lon: Any, *, what: str = "coordinates") -> None:
    """Raise a clear error naming the rows whose coordinates are NaN or out of range.

    Parameters
    ----------
    lat : array-like of float
        Latitudes in decimal degrees.
    lon : array-like of float
        Longitudes in decimal degrees, same shape as ``lat``.
    what : str, default "coordinates"
        What the coordinates are, for the message.

    Returns
    -------
    None

    Examples
    --------
    >>> check_coordinates(np.array([0.0, 95.0]), np.array([0.0, 0.0]))
    Traceback (most recent call last):
    ...
    hierlab.errors.InvalidValueError: 1 row(s) of coordinates are NaN or out of range (latitude in [-90, 90], longitude in [-180, 180]): row 1 (95.0, 0.0).
    """
    lat = np.ravel(as_float_array(lat, "`lat`"))
    lon = np.ravel(as_float_array(lon, "`lon`"))
    if lat.shape != lon.shape:
        raise InputShapeError(
            f"`lat` has {lat.size} values but `lon` has {lon.size}; give one of each per point."
        )
    bad = ~(np.isfinite(lat) & np.isfinite(lon) & (np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = format_items([f"row {i} ({lat[i]}, {lon[i]})" for i in rows], 5).replace("'", "")
        raise InvalidValueError(
            f"{len(rows)} row(s) of {what} are NaN or out of range (latitude in [-90, 90], "
            f"longitude in [-180, 180]): {shown}."
        )


def _check_range(lat: np.ndarray, lon: np.ndarray, what: str) -> None:
    """Raise naming the rows whose coordinates are out of range (NaN is allowed)."""
    with np.errstate(invalid="ignore"):
        bad = (np.abs(lat) > 90) | (np.abs(lon) > 180) | np.isinf(lat) | np.isinf(lon)
    if bad.any():
        flat = np.flatnonzero(np.ravel(bad))
        la, lo = np.ravel(lat), np.ravel(lon)
        shown = format_items([f"row {i} ({la[i]}, {lo[i]})" for i in flat], 5).replace("'", "")
        raise InvalidValueError(
            f"{len(flat)} row(s) of {what} are out of range (latitude in [-90, 90], "
            f"longitude in [-180, 180]): {shown}. Check that latitude and longitude are not "
            "swapped."
        )


def _coordinates(*values: Any, names: tuple[str, ...]) -> list[np.ndarray]:
    arrays = [as_float_array(v, f"`{n}`") for v, n in zip(values, names, strict=True)]
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        shapes = ", ".join(f"{n} {a.shape}" for n, a in zip(names, arrays, strict=True))
        raise InputShapeError(
            f"The coordinate arrays do not broadcast together: {shapes}."
        ) from None


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Compute great-circle distances in km between coordinate arrays (numpy broadcasting).

    A latitude outside [-90, 90] or a longitude outside [-180, 180] is an error naming
    the rows; NaN (a missing answer) gives a NaN distance, which the scores handle by
    their ``on_missing`` choice.

    Parameters
    ----------
    lat1 : array-like of float
        Latitudes of the first points, decimal degrees.
    lon1 : array-like of float
        Longitudes of the first points.
    lat2 : array-like of float
        Latitudes of the second points.
    lon2 : array-like of float
        Longitudes of the second points.

    Returns
    -------
    numpy.ndarray
        Distances in km, the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(haversine_km(48.8566, 2.3522, 51.5074, -0.1278)))  # Paris - London
    344
    """
    arrays = _coordinates(lat1, lon1, lat2, lon2, names=("lat1", "lon1", "lat2", "lon2"))
    _check_range(arrays[0], arrays[1], "first coordinates")
    _check_range(arrays[2], arrays[3], "second coordinates")
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in arrays)
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def geodesic_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Compute distances in km on the WGS84 ellipsoid (Karney's algorithm), via pyproj.

    The haversine distance on a sphere differs from it by about 0.2% at the median and
    by up to about 14 km at 2,500 km (0.5%, worst near the poles and along meridians);
    that is below every usual Acc@k threshold except street level. Needs ``pyproj``.

    Parameters
    ----------
    lat1 : array-like of float
        Latitudes of the first points, decimal degrees.
    lon1 : array-like of float
        Longitudes of the first points.
    lat2 : array-like of float
        Latitudes of the second points.
    lon2 : array-like of float
        Longitudes of the second points.

    Returns
    -------
    numpy.ndarray
        Distances in km, the broadcast shape of the inputs.

    Examples
    --------
    >>> round(float(geodesic_km(48.8566, 2.3522, 51.5074, -0.1278)))
    344
    """
    arrays = _coordinates(lat1, lon1, lat2, lon2, names=("lat1", "lon1", "lat2", "lon2"))
    try:
        from pyproj import Geod
    except ImportError:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "geodesic_km needs pyproj: pip install pyproj (or use haversine_km)."
        ) from None
    check_coordinates(arrays[0], arrays[1], what="first coordinates")
    check_coordinates(arrays[2], arrays[3], what="second coordinates")
    _, _, metres = Geod(ellps="WGS84").inv(arrays[1], arrays[0], arrays[3], arrays[2])
    return np.asarray(metres) / 1000.0


def _distances(distances_km: Any, on_missing: str = "wrong") -> np.ndarray:
    """Distances as floats: negative ones refused; NaN (missing) by ``on_missing``.

    ``"wrong"`` turns NaN into +inf (beyond every threshold, a score of 0), ``"exclude"``
    drops them and ``"raise"`` refuses them.
    """
    on_missing = check_on_missing(on_missing, GEO_MISSING)
    d = np.ravel(as_float_array(distances_km, "`distances_km`"))
    with np.errstate(invalid="ignore"):
        negative = np.flatnonzero(d < 0)
    if len(negative):
        raise InvalidValueError(
            f"{len(negative)} distance(s) in `distances_km` are negative, at position(s) "
            f"{format_items(negative.tolist())} (e.g. {d[negative[0]]}); a distance is >= 0 km."
        )
    missing = np.isnan(d)
    if missing.any():
        if on_missing == "raise":
            raise MissingValueError(
                f"{int(missing.sum())} distance(s) in `distances_km` are NaN (missing answers), "
                f"at position(s) {format_items(np.flatnonzero(missing).tolist())}; pass "
                "on_missing='wrong' to count them as wrong or 'exclude' to leave them out."
            )
        d = d[~missing] if on_missing == "exclude" else np.where(missing, np.inf, d)
    if d.size == 0:
        raise EmptyInputError(
            "`distances_km` has no distances"
            + (" left after excluding the missing answers." if missing.any() else ".")
        )
    return d


def _thresholds(thresholds_km: Any) -> np.ndarray:
    if isinstance(thresholds_km, int | float) and not isinstance(thresholds_km, bool):
        thresholds_km = (thresholds_km,)
    k = as_float_array(thresholds_km, "`thresholds_km`", ndim=1)
    bad = k[~np.isfinite(k) | (k < 0)] if k.size else k
    if k.size == 0 or bad.size:
        raise InvalidValueError(
            "`thresholds_km` must be one or more distances >= 0 km (e.g. (1, 25, 200, 750, "
            f"2500)), got {format_items(k.tolist()) or 'none'}."
        )
    return k


def accuracy_at_k(
    distances_km: Any,
    *,
    thresholds_km: tuple[float, ...] = STANDARD_THRESHOLDS_KM,
    on_missing: str = "wrong",
) -> dict[float, float]:
    """Compute the share of predictions within k km of the truth, per threshold.

    A prediction counts at threshold k when ``distance <= k``. A missing answer (NaN)
    is wrong by default.

    Parameters
    ----------
    distances_km : array-like of float
        Distance of each prediction from the truth, in km (NaN: no answer).
    thresholds_km : tuple of float, default STANDARD_THRESHOLDS_KM
        The thresholds k (street, city, region, country, continent by default;
        :data:`EARTHWHERE_THRESHOLDS_KM` for EarthWhere's), each >= 0.
    on_missing : {"wrong", "exclude", "raise"}, default "wrong"
        Count a missing answer as wrong, leave it out, or refuse it.

    Returns
    -------
    dict of float to float
        Threshold -> share, in the order of ``thresholds_km`` (see :func:`geo_accuracy`
        for counts and intervals).

    Examples
    --------
    >>> accuracy_at_k(np.array([0.5, 30.0, 900.0]), thresholds_km=(1.0, 25.0, 1000.0))
    {1.0: 0.3333333333333333, 25.0: 0.3333333333333333, 1000.0: 1.0}
    >>> accuracy_at_k(np.array([0.5, np.nan]), thresholds_km=(1.0,))  # no answer: wrong
    {1.0: 0.5}
    """
    d = _distances(distances_km, on_missing)
    thresholds = _thresholds(thresholds_km)
    return {float(k): float((d <= k).mean()) for k in thresholds}


def geoscore(distances_km: Any, *, on_missing: str = "wrong") -> np.ndarray:
    """Compute the GeoGuessr-style score ``5000 * exp(-d / 1492.7)`` (5,000 for a perfect guess).

    Parameters
    ----------
    distances_km : array-like of float
        Distance of each prediction from the truth, in km (>= 0; NaN: no answer).
    on_missing : {"wrong", "exclude", "raise"}, default "wrong"
        Score a missing answer 0, leave it out (the result is shorter), or refuse it.

    Returns
    -------
    numpy.ndarray
        Scores in [0, 5000].

    Examples
    --------
    >>> geoscore(np.array([0.0, 1492.7, np.nan])).round(1).tolist()
    [5000.0, 1839.4, 0.0]
    """
    return 5000.0 * np.exp(-_distances(distances_km, on_missing) / GEOSCORE_SCALE_KM)


@dataclass(frozen=True, eq=False)
class GeoAccuracy(Result):
    """Acc@k and GeoScore per model, with counts and intervals.

    Attributes
    ----------
    table : polars.DataFrame
        One row per model: ``model, n`` (answers scored), ``n_missing`` (answers
        missing), for each threshold ``acc_<k>km`` with ``acc_<k>km_ci_low,
        acc_<k>km_ci_high`` (Wilson), ``geoscore`` with ``geoscore_ci_low,
        geoscore_ci_high`` (t interval over items) and ``median_km`` (of the answered).
    long : polars.DataFrame
        The same in long form: ``model, measure, threshold_km, n, estimate, ci_low,
        ci_high, interval``.
    thresholds_km : tuple of float
        The thresholds k.
    on_missing : str
        How missing answers were counted (``"wrong"`` or ``"exclude"``).
    confidence : float
        Confidence level of the intervals.

    Examples
    --------
    >>> preds = pl.DataFrame({"model": ["m"] * 3, "item": ["a", "b", "c"],
    ...                       "distance_km": [0.5, 30.0, None]})
    >>> acc = geo_accuracy(preds, distance="distance_km", thresholds_km=(1.0, 100.0))
    >>> acc.table["acc_100km"].to_list()
    [0.6666666666666666]
    """

    table: pl.DataFrame
    long: pl.DataFrame
    thresholds_km: tuple[float, ...]
    on_missing: str
    confidence: float

    def summary(self) -> Summary:
        """Summarise: Acc@k and GeoScore per model.

        Returns
        -------
        Summary
        """
        missing = int(self.table["n_missing"].sum())
        return Summary(
            "Geolocation accuracy (Acc@k: Wilson intervals; GeoScore: t intervals)",
            facts=[
                ("models", self.table.height),
                ("thresholds (km)", ", ".join(f"{k:g}" for k in self.thresholds_km)),
                (
                    "missing answers",
                    f"{missing} ({'counted wrong' if self.on_missing == 'wrong' else 'excluded'})",
                ),
                ("confidence", self.confidence),
            ],
            tables={"by model": self.table},
        )

    def to_polars(self) -> pl.DataFrame:
        """Return the per-model table.

        Returns
        -------
        polars.DataFrame
        """
        return self.table


def _threshold_name(k: float) -> str:
    return f"acc_{k:g}km".replace(".", "_")


def geo_accuracy(
    predictions: Any,
    *,
    model: str | None = "model",
    item: str | None = "item",
    distance: str | None = None,
    thresholds_km: tuple[float, ...] = STANDARD_THRESHOLDS_KM,
    on_missing: str = "wrong",
    confidence: float = 0.95,
) -> GeoAccuracy:
    """Score coordinate predictions per model: Acc@k and GeoScore, with n and intervals.

    Distances come from the ``lat, lon`` (truth) and ``pred_lat, pred_lon`` columns
    (haversine), or from a ``distance`` column. A missing prediction (a null or NaN
    predicted coordinate or distance) is counted as wrong (Acc@k 0, GeoScore 0) by
    default, or excluded; either way the table reports how many there were. Acc@k gets
    Wilson intervals; the mean GeoScore a t interval over items.

    Parameters
    ----------
    predictions : polars or pandas DataFrame
        One row per (model, item) with the coordinates or the distance.
    model : str or None, default "model"
        Column of the AI model (None for one model without such a column).
    item : str or None, default "item"
        Column of the item (checked for duplicates; None when absent).
    distance : str, optional
        Column of precomputed distances in km (instead of the coordinates).
    thresholds_km : tuple of float, default STANDARD_THRESHOLDS_KM
        The thresholds k, each >= 0.
    on_missing : {"wrong", "exclude", "raise"}, default "wrong"
        Count a missing answer as wrong, leave it out, or refuse it.
    confidence : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    GeoAccuracy

    Examples
    --------
    >>> preds = pl.DataFrame({"model": ["m", "m"], "item": ["a", "b"],
    ...                       "lat": [48.86, 40.71], "lon": [2.35, -74.01],
    ...                       "pred_lat": [48.80, None], "pred_lon": [2.30, None]})
    >>> res = geo_accuracy(preds, thresholds_km=(25.0,))
    >>> res.table.select("n", "n_missing", "acc_25km").row(0)
    (2, 1, 0.5)
    """
    from scipy.stats import t as student_t

    frame = as_polars(predictions, "`predictions`")
    confidence = check_confidence(confidence)
    on_missing = check_on_missing(on_missing, GEO_MISSING)
    thresholds = _thresholds(thresholds_km)
    for value, name in ((model, "model"), (item, "item"), (distance, "distance")):
        if value is not None and not isinstance(value, str):
            raise InputTypeError(f"`{name}` must be a column name or None, got {value!r}.")
    keys = [k for k in (model, item) if k is not None]
    coords = [distance] if distance else ["lat", "lon", "pred_lat", "pred_lon"]
    require_columns(
        frame,
        [*keys, *coords],
        "The predictions table",
        "Give lat, lon, pred_lat and pred_lon, or name a distance column with distance=.",
    )
    if frame.height == 0:
        raise EmptyInputError("The predictions table is empty.")
    if item is not None:
        check_unique(frame, keys, "The predictions table")
    if distance:
        d = frame[distance].cast(pl.Float64).fill_null(np.nan).to_numpy()
    else:
        lat, lon, plat, plon = (
            frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy() for c in coords
        )
        truth_missing = np.isnan(lat) | np.isnan(lon)
        if truth_missing.any():
            raise MissingValueError(
                f"{int(truth_missing.sum())} row(s) have no true coordinates (lat/lon), e.g. "
                f"row(s) {format_items(np.flatnonzero(truth_missing)[:5].tolist())}: the truth "
                "cannot be missing."
            )
        d = haversine_km(lat, lon, plat, plon)
        d = np.where(np.isnan(plat) | np.isnan(plon), np.nan, d)
    with np.errstate(invalid="ignore"):
        if (d < 0).any():
            _distances(d)  # raises naming the negative distances
    missing = np.isnan(d)
    if missing.any() and on_missing == "raise":
        _distances(d, "raise")
    models = (
        frame[model].cast(pl.String).to_numpy() if model else np.full(frame.height, "all", object)
    )
    names = sorted(set(models.tolist()))
    z_cut = confidence
    rows, long_rows = [], []
    for m in names:  # a few models; each is vectorised
        mine = models == m
        dm, miss = d[mine], missing[mine]
        used = dm[~miss] if on_missing == "exclude" else np.where(miss, np.inf, dm)
        n = used.size
        row: dict[str, Any] = {"model": m, "n": n, "n_missing": int(miss.sum())}
        if n == 0:
            rows.append(row)
            continue
        hits = (used[:, None] <= thresholds[None, :]).sum(axis=0).astype(float)
        lo, hi = wilson_interval(hits, np.full(len(thresholds), float(n)), confidence=z_cut)
        for j, k in enumerate(thresholds):
            name = _threshold_name(float(k))
            row[name] = hits[j] / n
            row[f"{name}_ci_low"] = float(lo[j])
            row[f"{name}_ci_high"] = float(hi[j])
            long_rows.append(
                (m, "acc@k", float(k), n, hits[j] / n, float(lo[j]), float(hi[j]), "wilson")
            )
        scores = 5000.0 * np.exp(-used / GEOSCORE_SCALE_KM)
        mean = float(scores.mean())
        if n > 1:
            half = float(
                student_t.ppf(0.5 + confidence / 2, n - 1) * scores.std(ddof=1) / np.sqrt(n)
            )
        else:
            half = float("nan")
        row.update(
            geoscore=mean,
            geoscore_ci_low=max(mean - half, 0.0),
            geoscore_ci_high=min(mean + half, 5000.0),
            median_km=float(np.median(dm[~miss])) if (~miss).any() else None,
        )
        long_rows.append(
            (m, "geoscore", None, n, mean, row["geoscore_ci_low"], row["geoscore_ci_high"], "t")
        )
        rows.append(row)
    schema: dict[str, Any] = {"model": pl.String, "n": pl.Int64, "n_missing": pl.Int64}
    for k in thresholds:
        name = _threshold_name(float(k))
        schema.update(
            {name: pl.Float64, f"{name}_ci_low": pl.Float64, f"{name}_ci_high": pl.Float64}
        )
    schema.update(
        {
            "geoscore": pl.Float64,
            "geoscore_ci_low": pl.Float64,
            "geoscore_ci_high": pl.Float64,
            "median_km": pl.Float64,
        }
    )
    table = pl.DataFrame([{k: r.get(k) for k in schema} for r in rows], schema=schema)
    long = pl.DataFrame(
        long_rows,
        schema={
            "model": pl.String,
            "measure": pl.String,
            "threshold_km": pl.Float64,
            "n": pl.Int64,
            "estimate": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "interval": pl.String,
        },
        orient="row",
    )
    return GeoAccuracy(
        table=table,
        long=long,
        thresholds_km=tuple(float(k) for k in thresholds),
        on_missing=on_missing,
        confidence=confidence,
    )


#: Nearest-place indexes of the last few place tables, keyed by the table's identity.
_INDEXES: dict[int, tuple[pl.DataFrame, NearestPlaces]] = {}
_MAX_INDEXES = 4


def _place_table(places: Any) -> pl.DataFrame:
    """Return the table of a places bundle (anything with a ``.table``) or the table itself."""
    table = getattr(places, "table", places)
    if not isinstance(table, pl.DataFrame) and type(table).__module__.split(".")[0] != "pandas":
        raise InputTypeError(
            "`places` must be a places bundle with a `.table` (hierlab.datasets.load_places()) "
            f"or a table with lat and lon columns, got {type(places).__name__}."
        )
    table = as_polars(table, "`places`")
    require_columns(table, ["lat", "lon"], "The places table", "Give each place's lat and lon.")
    return table


def _nearest_index(table: pl.DataFrame) -> NearestPlaces:
    cached = _INDEXES.get(id(table))
    if cached is not None and cached[0] is table:
        return cached[1]
    index = NearestPlaces(table["lat"].to_numpy(), table["lon"].to_numpy())
    if len(_INDEXES) >= _MAX_INDEXES:
        _INDEXES.pop(next(iter(_INDEXES)))
    _INDEXES[id(table)] = (table, index)
    return index


def reverse_geocode(lat: Any, lon: Any, *, places: Any) -> pl.DataFrame:
    """Map coordinates to the nearest place of a place table (vectorised KD-tree).

    The KD-tree of a place table is built once and reused for the same table.

    Parameters
    ----------
    lat : array-like of float
        Latitudes to look up, decimal degrees.
    lon : array-like of float
        Longitudes, same length as ``lat``.
    places : Places or polars/pandas DataFrame
        The places: :func:`hierlab.datasets.load_places` (GeoNames cities of >= 15,000
        people in the world tree), or any table with ``lat`` and ``lon`` columns.

    Returns
    -------
    polars.DataFrame
        One row per coordinate: the nearest place's columns (for ``load_places()``:
        ``city``, ``admin1``, ``country``, ``iso2``, ``region``, ``node`` ...) and
        ``distance_km``. Its ``node`` turns a coordinate prediction into a hierarchical
        prediction for :mod:`hierlab.coherence`.

    Examples
    --------
    >>> toy = pl.DataFrame({"city": ["Paris", "Lyon"], "lat": [48.86, 45.76], "lon": [2.35, 4.84]})
    >>> reverse_geocode([45.7], [4.9], places=toy)["city"].to_list()
    ['Lyon']
    """
    table = _place_table(places)
    idx, km = _nearest_index(table).query(lat, lon)
    return table[idx].with_columns(distance_km=pl.Series(km))


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


class NearestPlaces:
    """Nearest-place lookup over a fixed set of places: a KD-tree on 3-D unit vectors.

    Chord distance on the unit sphere is monotone in great-circle distance, so the
    Euclidean nearest neighbour of the unit vectors is the great-circle nearest place.

    Parameters
    ----------
    lat : array-like of float
        Latitudes of the places, decimal degrees.
    lon : array-like of float
        Longitudes of the places, same length as ``lat``.

    Attributes
    ----------
    lat, lon : numpy.ndarray
        The places' coordinates.

    Examples
    --------
    >>> places = NearestPlaces([48.8566, 51.5074], [2.3522, -0.1278])
    >>> idx, km = places.query([48.0, 51.0], [2.0, 0.0])
    >>> idx.tolist()
    [0, 1]
    """

    def __init__(self, lat: Any, lon: Any) -> None:
        from scipy.spatial import cKDTree

        self.lat = np.ravel(as_float_array(lat, "`lat`"))
        self.lon = np.ravel(as_float_array(lon, "`lon`"))
        check_coordinates(self.lat, self.lon, what="place coordinates")
        if self.lat.size == 0:
            raise EmptyInputError("NearestPlaces needs at least one place.")
        self._tree = cKDTree(_unit_vectors(self.lat, self.lon))

    def query(self, lat: Any, lon: Any, *, workers: int = -1) -> tuple[np.ndarray, np.ndarray]:
        """Find the nearest place to each coordinate.

        Parameters
        ----------
        lat : array-like of float
            Latitudes to look up, decimal degrees.
        lon : array-like of float
            Longitudes, same length as ``lat``.
        workers : int, default -1
            Threads of the KD-tree query (-1: all cores).

        Returns
        -------
        tuple of numpy.ndarray
            ``(index, distance_km)``: the nearest place's position and its great-circle
            distance.
        """
        lat = np.atleast_1d(np.ravel(as_float_array(lat, "`lat`")))
        lon = np.atleast_1d(np.ravel(as_float_array(lon, "`lon`")))
        check_coordinates(lat, lon, what="query coordinates")
        _, idx = self._tree.query(_unit_vectors(lat, lon), workers=workers)
        return idx, haversine_km(lat, lon, self.lat[idx], self.lon[idx])
