"""Diagnostic charts: marks, titles, tooltips, row limits, and only surviving cells outlined."""

from __future__ import annotations

import json

import numpy as np
import polars as pl
import pytest

from hierlab import plot
from hierlab.errors import InputTypeError
from hierlab.irt import dif, fit_irt, item_fit, local_dependence, simulate_responses


def _marks(spec: dict) -> list[str]:
    out = [spec["mark"]["type"] if isinstance(spec.get("mark"), dict) else spec.get("mark")]
    for sub in spec.get("layer", []):
        out += _marks(sub)
    return [m for m in out if m]


def _check(chart) -> dict:
    spec = chart.to_dict()
    text = json.dumps(spec)
    assert '"tooltip"' in text and '"title"' in text
    assert max((len(d) for d in spec.get("datasets", {}).values()), default=0) <= 5000
    return spec


@pytest.fixture(scope="module")
def fit():
    return fit_irt(simulate_responses(300, 12, seed=1).responses)


def test_item_fit_and_local_dependence_charts(fit) -> None:
    spec = _check(plot.item_fit_plot(item_fit(fit)))
    assert _marks(spec) == ["rule", "point"]
    ld = local_dependence(fit, n_boot=10, seed=0)
    spec = _check(plot.local_dependence_plot(ld))
    assert _marks(spec) == ["bar", "line", "rule"]
    with pytest.raises(InputTypeError, match="LocalDependence"):
        plot.local_dependence_plot(ld.pairs)


def test_profile_heatmap_outlines_only_surviving_cells() -> None:
    frame = pl.DataFrame(
        {
            "model": ["m1", "m1", "m2", "m2"],
            "topic": ["A", "B", "A", "B"],
            "excess": [0.2, -0.1, 0.01, 0.0],
            "excess_se": [0.05, 0.05, 0.05, 0.05],
            "p_adjusted": [0.001, 0.2, 0.9, 1.0],
            "spiky": [True, False, False, False],
        }
    )
    spec = _check(plot.profile_heatmap(frame))
    outline = spec["layer"][1]
    assert outline["transform"] == [{"filter": "datum.spiky"}]
    assert "excess_se" in json.dumps(spec["layer"][0]["encoding"]["tooltip"])


def test_dif_plot_shows_ets_classes_for_binary_and_graded_items() -> None:
    sim = simulate_responses(400, 10, seed=0)
    groups = {m: ("A" if int(m) % 2 else "B") for m in sim.responses.models}
    spec = _check(plot.dif_plot(dif(sim.responses, groups)))
    assert "ETS delta" in json.dumps(spec)
    graded = simulate_responses(400, 10, irt_model="grm", seed=0)
    spec = _check(plot.dif_plot(dif(graded.responses, groups)))
    assert '"CC"' in json.dumps(spec) and "SMD" in json.dumps(spec)
    assert np.isfinite(dif(graded.responses, groups).table["smd"].to_numpy()).all()


def test_dif_plot_counts_items_with_an_infinite_effect_and_writes_strict_json() -> None:
    table = pl.DataFrame(
        {
            "item": ["q1", "q2", "q3"],
            "ets_delta": [-1.8, float("inf"), 0.3],
            "mh_p_adjusted": [0.001, 0.5, 0.9],
            "ets_class": ["C", None, "A"],
            "delta_r2": [0.1, float("nan"), 0.0],
            "flagged": [True, False, False],
            "mh_odds_ratio": [0.5, float("inf"), 1.1],  # not drawn: must not reach the JSON
        }
    )
    spec = plot.dif_plot(table).to_dict()
    json.dumps(spec, allow_nan=False)  # what Jupyter's message protocol requires
    assert "1 item(s) with an infinite effect" in json.dumps(spec)
    rows = [r for d in spec.get("datasets", {}).values() for r in d if "item" in r]
    assert sorted(r["item"] for r in rows) == ["q1", "q3"]
