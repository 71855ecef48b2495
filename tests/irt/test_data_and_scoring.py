"""Input validation and ability scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from hierlab.errors import DuplicateRowsError, EmptyInputError, InvalidValueError
from hierlab.irt import (
    as_response_matrix,
    fit_irt,
    response_probability,
    responses_from_long,
    score,
    simulate_responses,
)
from hierlab.irt.data import ResponseMatrix


def test_inputs_polars_pandas_numpy_and_long() -> None:
    wide = pl.DataFrame({"model": ["a", "b", "c"], "q1": [1, 0, 1], "q2": [None, 1, 0]})
    m = as_response_matrix(wide)
    assert m.models == ("a", "b", "c") and m.items == ("q1", "q2")
    assert np.isnan(m.values[0, 1])
    pdf = pd.DataFrame({"q1": [1, 0, 1], "q2": [np.nan, 1, 0]}, index=["a", "b", "c"])
    assert np.array_equal(as_response_matrix(pdf).values, m.values, equal_nan=True)
    long = pl.DataFrame(
        {
            "model": ["a", "b", "b", "c", "c"],
            "item": ["q1", "q1", "q2", "q1", "q2"],
            "correct": [1, 0, 1, 1, 0],
        }
    )
    assert np.array_equal(responses_from_long(long).values, m.values, equal_nan=True)
    back = m.to_polars()
    assert back.columns == ["model", "q1", "q2"] and back["q2"][0] is None


def test_values_outside_binary_name_the_columns() -> None:
    frame = pl.DataFrame({"model": ["a", "b"], "q1": [1, 0], "q2": [2, 1], "q3": [0.5, 1]})
    with pytest.raises(InvalidValueError, match=r"2 item column\(s\).*'q2', 'q3'"):
        as_response_matrix(frame, binary=True)


def test_missing_codes_get_a_hint() -> None:
    with pytest.raises(InvalidValueError, match="look like missing-value codes"):
        as_response_matrix(np.array([[1, -1], [0, 1]]), binary=True)


def test_only_ones_and_missing_warns() -> None:
    with pytest.warns(UserWarning) as record:
        as_response_matrix(np.array([[1, np.nan], [np.nan, 1], [1, 1]]))
    messages = [str(w.message) for w in record]
    assert any("were wrong answers coded as missing" in m for m in messages)
    assert any("same response from every model" in m for m in messages)


def test_empty_rows_and_columns_are_dropped_with_names() -> None:
    values = np.array([[1, np.nan, 0], [np.nan, np.nan, np.nan], [0, np.nan, 1], [1, np.nan, 0]])
    with pytest.warns(UserWarning) as record:
        m = as_response_matrix(values)
    messages = [str(w.message) for w in record]
    assert any("item(s) with no responses: 'item_1'" in m for m in messages)
    assert any("model(s) with no responses: '1'" in m for m in messages)
    assert m.shape == (3, 2)


def test_too_few_models_and_infinite_values() -> None:
    with pytest.raises(EmptyInputError, match="at least two models"):
        as_response_matrix(np.array([[1.0, 0.0]]))
    with pytest.raises(InvalidValueError, match="Infinite"):
        as_response_matrix(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(EmptyInputError):
        as_response_matrix(np.full((3, 2), np.nan))
    long = pl.DataFrame({"model": ["a", "a"], "item": ["q", "q"], "correct": [1, 0]})
    with pytest.raises(DuplicateRowsError, match="more than once"):
        responses_from_long(long)


def test_graded_data_need_a_graded_model() -> None:
    with pytest.raises(InvalidValueError):
        fit_irt(np.array([[0, 1, 2], [2, 1, 0], [1, 1, 1]]), "2pl")
    with pytest.raises(InvalidValueError, match="distinct values"):
        as_response_matrix(np.random.default_rng(0).random((5, 4)), binary=False)


@pytest.fixture(scope="module")
def fitted():
    sim = simulate_responses(800, 20, irt_model="2pl", seed=21)
    return sim, fit_irt(sim.responses, "2pl")


def test_all_right_and_all_wrong_abilities_are_finite(fitted) -> None:
    _sim, fit = fitted
    extremes = pl.DataFrame({"model": ["ace", "zero"]} | {i: [1.0, 0.0] for i in fit.items["item"]})
    out = score(extremes, fit)
    assert (
        np.isfinite(out["theta"].to_numpy()).all()
        and np.isfinite(out["theta_map_se"].to_numpy()).all()
    )
    assert out["theta"][0] > 1.5 and out["theta"][1] < -1.5


def test_score_new_models_against_frozen_items(fitted) -> None:
    sim, fit = fitted
    subset = sim.responses.to_polars().select("model", *fit.items["item"][:10])
    part = score(subset, fit)
    assert part["n"].unique().to_list() == [10]
    full = score(sim.responses.to_polars().head(50), fit)
    assert np.allclose(full["theta"], fit.abilities["theta"][:50], atol=1e-6)
    one = score(subset.head(1), fit)  # a single new model is fine for scoring
    assert one.height == 1


def test_score_rejects_unknown_items(fitted) -> None:
    _, fit = fitted
    bad = pl.DataFrame({"model": ["m"], "item_0": [1.0], "not_an_item": [0.0], "other": [1.0]})
    with pytest.raises(InvalidValueError, match="'not_an_item', 'other'"):
        score(bad, fit)


def test_eap_matches_brute_force_quadrature(fitted) -> None:
    sim, fit = fitted
    grid = np.linspace(-7, 7, 20001)
    a, b = fit.items["a"].to_numpy(), fit.items["b"].to_numpy()
    p = response_probability(grid, a, b)
    x = sim.responses.values[:5]
    loglik = x @ np.log(p).T + (1 - x) @ np.log1p(-p).T - 0.5 * grid**2
    w = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    eap = (w * grid).sum(axis=1) / w.sum(axis=1)
    sd = np.sqrt((w * (grid - eap[:, None]) ** 2).sum(axis=1) / w.sum(axis=1))
    assert np.allclose(fit.abilities["theta"][:5], eap, atol=1e-4)
    assert np.allclose(fit.abilities["theta_se"][:5], sd, atol=1e-4)


def test_long_test_eap_stays_finite() -> None:
    """girth's EAP multiplies probabilities and turns NaN past ~1,300 items; ours does not."""
    sim = simulate_responses(40, 5000, irt_model="2pl", seed=3)
    fit = fit_irt(sim.responses, "2pl")
    assert np.isfinite(fit.abilities["theta"].to_numpy()).all()
    assert np.corrcoef(fit.abilities["theta"], sim.theta)[0, 1] > 0.99


def test_grm_scoring_consistent_with_fit() -> None:
    sim = simulate_responses(400, 12, irt_model="grm", seed=2)
    fit = fit_irt(sim.responses, "grm")
    again = score(
        ResponseMatrix(
            sim.responses.values,
            sim.responses.models,
            sim.responses.items,
            sim.responses.categories,
        ),
        fit,
    )
    assert np.allclose(again["theta"], fit.abilities["theta"])
    assert np.corrcoef(fit.abilities["theta"], sim.theta)[0, 1] > 0.85


def _brute_force(values: np.ndarray, a, b, weighted: bool) -> np.ndarray:
    grid = np.linspace(-6, 6, 24001)
    p = response_probability(grid, a, b)
    ll = values @ np.log(p).T + (1 - values) @ np.log1p(-p).T
    if weighted:
        info = (a**2 * p * (1 - p)).sum(axis=1)
        ll = ll + 0.5 * np.log(info)[None, :]
    return grid[np.argmax(ll, axis=1)]


def test_ml_and_wle_match_a_brute_force_search(fitted) -> None:
    sim, fit = fitted
    out = score(sim.responses.to_polars().head(20), fit, estimators=("eap", "map", "ml", "wle"))
    a, b = fit.items["a"].to_numpy(), fit.items["b"].to_numpy()
    x = sim.responses.values[:20]
    finite = np.isfinite(out["theta_ml"].to_numpy())
    assert np.allclose(
        out["theta_ml"].to_numpy()[finite], _brute_force(x, a, b, False)[finite], atol=2e-3
    )
    assert np.allclose(out["theta_wle"], _brute_force(x, a, b, True), atol=2e-3)
    info = (
        a**2
        * response_probability(out["theta_wle"].to_numpy(), a, b)
        * (1 - response_probability(out["theta_wle"].to_numpy(), a, b))
    ).sum(axis=1)
    assert np.allclose(out["theta_wle_se"], 1 / np.sqrt(info), rtol=1e-6)
    # WLE is pulled less towards 0 than MAP/EAP, and ML is the most spread out
    assert np.std(out["theta_ml"].to_numpy()[finite]) >= np.std(out["theta_map"].to_numpy()[finite])


def test_ml_is_infinite_and_wle_finite_for_perfect_scores(fitted) -> None:
    _, fit = fitted
    extremes = pl.DataFrame({"model": ["ace", "zero"]} | {i: [1.0, 0.0] for i in fit.items["item"]})
    out = score(extremes, fit, estimators=("ml", "wle"))
    assert out["theta_ml"].to_list() == [np.inf, -np.inf]
    assert np.isfinite(out["theta_wle"].to_numpy()).all()
    assert out["theta_wle"][0] > 1.5 > -1.5 > out["theta_wle"][1]


def test_score_with_a_published_item_bank(fitted) -> None:
    sim, fit = fitted
    bank = fit.items.select("item", "a", "b")
    new = sim.responses.to_polars().head(10)
    from_bank = score(new, items=bank)
    from_fit = score(new, fit)
    assert np.allclose(from_bank["theta"], from_fit["theta"])
    assert np.allclose(from_bank["theta_se"], from_fit["theta_se"])
    rasch_bank = pl.DataFrame({"item": ["q1", "q2", "q3"], "b": [-1.0, 0.0, 1.0]})
    one = score(pl.DataFrame({"model": ["m"], "q1": [1], "q2": [1], "q3": [0]}), items=rasch_bank)
    wide_prior = score(
        pl.DataFrame({"model": ["m"], "q1": [1], "q2": [1], "q3": [0]}),
        items=rasch_bank,
        latent_sd=2.0,
    )
    assert wide_prior["theta"][0] > one["theta"][0] > 0  # a wider prior shrinks less


def test_rasch_scores_use_the_estimated_latent_sd() -> None:
    sim = simulate_responses(600, 12, irt_model="rasch", seed=5)
    fit = fit_irt(sim.responses, "rasch")
    again = score(sim.responses, fit)
    assert np.allclose(again["theta"], fit.abilities["theta"], atol=1e-6)
    assert fit.latent_sd != 1.0
