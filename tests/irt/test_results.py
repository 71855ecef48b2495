"""Result records, summaries, public helpers and input errors of hierlab.irt."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab import Tree
from hierlab.errors import (
    DuplicateRowsError,
    HierlabWarning,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.irt import (
    FitComparison,
    InformationCurves,
    IRTFit,
    Prior,
    ResponseMatrix,
    Simulation,
    audit_items,
    compare_fits,
    dif,
    estimate_abilities,
    estimate_from_subset,
    fit_irt,
    grm_category_probabilities,
    information_curves,
    item_information,
    response_probability,
    score,
    simulate_responses,
    topic_profiles,
    topics_from_tree,
)
from hierlab.irt.data import response_values
from hierlab.irt.fit import as_irt_fit
from hierlab.results import Result, Summary


@pytest.fixture(scope="module")
def sim() -> Simulation:
    return simulate_responses(300, 12, irt_model="2pl", seed=7)


@pytest.fixture(scope="module")
def fit(sim) -> IRTFit:
    return fit_irt(sim.responses, "2pl")


def test_fit_is_a_complete_result(fit) -> None:
    assert isinstance(fit, Result)
    summary = fit.summary()
    assert isinstance(summary, Summary) and summary.title.startswith("2PL")
    facts = dict(summary.facts)
    assert facts["models"] == 300 and facts["items"] == 12 and "priors" in facts
    assert set(summary.tables) == {"item parameters", "abilities (EAP)"}
    assert fit.to_polars() is fit.items
    assert fit.abilities.columns[:3] == ["model", "theta", "theta_se"]
    assert fit.seconds > 0 and fit.n_models == 300
    assert "<table" in fit._repr_html_()
    with pytest.raises(AttributeError):
        fit.seconds = 0.0  # type: ignore[misc]


def test_fit_probabilities_and_information_follow_the_model_functions(fit) -> None:
    theta = np.array([-1.0, 0.0, 2.0])
    a, b = fit.items["a"].to_numpy(), fit.items["b"].to_numpy()
    probs = fit.category_probabilities(theta)
    assert probs.shape == (3, 12, 2)
    assert np.allclose(probs[..., 1], response_probability(theta, a, b))
    assert np.allclose(fit.item_information(theta), item_information(theta, a, b))


def test_graded_fit_probabilities() -> None:
    sim = simulate_responses(400, 6, irt_model="grm", n_categories=3, seed=2)
    fit = fit_irt(sim.responses, "grm")
    thresholds = fit.items.select("b1", "b2").to_numpy()
    expected = grm_category_probabilities([0.5], fit.items["a"].to_numpy(), thresholds)
    assert np.allclose(fit.category_probabilities([0.5]), expected)
    assert sim.to_polars().columns == ["item", "a", "b1", "b2"]


def test_abilities_from_an_item_bank_match_the_fit(sim, fit) -> None:
    bank = fit.items.select("item", "a", "b")  # no intercept column: d = -a b
    again = estimate_abilities(sim.responses, bank)
    assert np.allclose(again["theta"], fit.abilities["theta"], atol=1e-6)
    part = ResponseMatrix(
        sim.responses.values[:, :4], sim.responses.models, sim.responses.items[:4]
    )
    assert estimate_abilities(part, bank)["n"].max() == 4
    with pytest.raises(InvalidValueError, match="no parameters"):
        estimate_abilities(part, bank.head(2))
    with pytest.raises(InputTypeError, match="ResponseMatrix"):
        estimate_abilities(sim.responses.values, bank)


def test_subset_estimates_take_responses_then_fit(sim, fit) -> None:
    wide = sim.responses.to_polars().select("model", *fit.items["item"][:5]).head(4)
    est = estimate_from_subset(wide, fit)
    assert est["model"].to_list() == ["0", "1", "2", "3"] and est["n"].to_list() == [5] * 4
    assert est["predicted_accuracy"].is_between(0, 1).all()


def test_information_curves_are_a_result(fit) -> None:
    curves = information_curves(fit, [-1.0, 0.0, 1.0])
    assert isinstance(curves, InformationCurves)
    assert curves.to_polars().columns == ["theta", "information", "theta_se", "expected_score"]
    assert curves.items.height == 36
    assert curves.summary().title == "Test information"


def test_compare_fits(sim) -> None:
    one, two = fit_irt(sim.responses, "1pl"), fit_irt(sim.responses, "2pl")
    cmp = compare_fits(two, one)
    assert isinstance(cmp, FitComparison) and cmp.approximate
    assert cmp.to_polars()["irt_model"].to_list() == ["1pl", "2pl"]
    assert cmp.tests.columns == ["restricted", "general", "statistic", "df", "p_value", "note"]
    assert cmp.tests["df"][0] == 11
    assert "likelihood-ratio tests" in cmp.summary().tables
    other = fit_irt(simulate_responses(300, 12, seed=8).responses.values[:, :10], "2pl")
    with pytest.raises(InputShapeError, match="different responses"):
        compare_fits(one, other)
    with pytest.raises(InvalidValueError, match="at least two"):
        compare_fits(one)
    with pytest.raises(InputTypeError, match="fits\\[1\\]"):
        compare_fits(one, "2pl")  # type: ignore[arg-type]


def test_compare_fits_gives_no_test_for_a_fit_that_did_not_converge(sim) -> None:
    one = fit_irt(sim.responses, "1pl")
    with pytest.warns(HierlabWarning):  # a ConvergenceWarning
        stopped = fit_irt(sim.responses, "2pl", max_iter=2)
    assert not stopped.converged
    with pytest.warns(HierlabWarning, match="did not converge.*max_iter="):
        cmp = compare_fits(one, stopped)
    assert cmp.table["converged"].to_list() == [True, False]
    row = cmp.tests.row(0, named=True)
    assert np.isnan(row["statistic"]) and np.isnan(row["p_value"])
    assert "2pl fit did not converge" in row["note"]


def test_audit_names_unknown_models(fit) -> None:
    with pytest.raises(InvalidValueError, match="'nobody'"):
        audit_items(fit, baseline="nobody")
    audit = audit_items(fit, baseline=["0", "1"], strong=["2", "3"], n_boot=20)
    assert audit.items.columns[:3] == ["item", "flagged", "reasons"]


def test_dif_columns_follow_the_glossary(sim) -> None:
    groups = {m: ("a" if int(m) % 2 else "b") for m in sim.responses.models}
    res = dif(sim.responses, groups, correction="holm", significance=0.01)
    out = res.table
    for column in (
        "mh_statistic",
        "mh_p_value",
        "mh_p_adjusted",
        "uniform_statistic",
        "uniform_p_value",
        "uniform_p_adjusted",
        "nonuniform_p_adjusted",
    ):
        assert column in out.columns
    assert res.correction == "holm" and res.significance == 0.01
    table = pl.DataFrame({"model": list(groups), "group": list(groups.values())})
    assert dif(sim.responses, table).table["item"].sort().equals(out["item"].sort())
    with pytest.raises(InputTypeError, match="groups"):
        dif(sim.responses, ["a", "b"])
    with pytest.raises(InvalidValueError, match="correction"):
        dif(sim.responses, groups, correction="fdr")


def test_topic_profiles_name_columns_per_the_glossary(sim) -> None:
    table = pl.DataFrame({"question": list(sim.responses.items), "area": ["x"] * 6 + ["y"] * 6})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        tp = topic_profiles(sim.responses, table, group="area", item="question", min_items=5)
    assert tp.to_polars().columns[:4] == ["model", "topic", "theta", "theta_se"]
    assert {"statistic", "p_value", "p_adjusted", "rest_theta_se"} <= set(tp.profiles.columns)
    assert tp.correction == "holm" and tp.summary().title == "Topic ability profiles (2PL)"
    doubled = pl.concat([table, table.head(1).with_columns(area=pl.lit("y"))])
    with pytest.raises(DuplicateRowsError, match="more than once"):
        topic_profiles(sim.responses, doubled, group="area", item="question", min_items=5)


def test_topics_from_tree_takes_the_tree_first() -> None:
    tree = Tree.from_paths(["math/algebra", "physics/optics"], root="exam")
    nodes = tree.find(["math/algebra", "physics/optics"])
    out = topics_from_tree(tree, ["q1", "q2"], nodes)
    assert out["topic"].to_list() == ["exam / math", "exam / physics"]
    with pytest.raises(InputShapeError, match="same length"):
        topics_from_tree(tree, ["q1"], nodes)
    with pytest.raises(InputTypeError, match="Tree"):
        topics_from_tree(["q1", "q2"], nodes, tree)


def test_inputs_of_the_wrong_type_are_named() -> None:
    with pytest.raises(InputTypeError, match="responses"):
        fit_irt("not a table")
    with pytest.raises(InputTypeError, match="IRTFit"):
        score(np.zeros((2, 2)), object())
    with pytest.raises(InputTypeError, match="`fit`"):
        as_irt_fit(None)
    with pytest.raises(InputTypeError, match="n_models"):
        simulate_responses(10.5, 3)  # type: ignore[arg-type]
    with pytest.raises(InputShapeError, match="model ids"):
        ResponseMatrix(np.zeros((2, 2)), ("a",), ("q1", "q2"))
    with pytest.raises(InputTypeError, match="numeric"):
        response_values(pl.DataFrame({"model": ["a"], "q1": ["yes"]}), model="model")


def test_compare_fits_refuses_a_test_when_priors_break_the_nesting() -> None:
    sim = simulate_responses(300, 20, irt_model="2pl", seed=1)  # no guessing at all
    two = fit_irt(sim.responses, "2pl")
    # the default guessing prior has no density at c = 0: this 3PL cannot reach the 2PL
    three = fit_irt(sim.responses, "3pl")
    assert three.loglik < two.loglik
    with pytest.warns(HierlabWarning, match="guess_alpha=1"):
        tests = compare_fits(two, three).tests
    assert np.isnan(tests["statistic"][0]) and np.isnan(tests["p_value"][0])
    assert "fits worse than the 2pl" in tests["note"][0]
    # with a prior whose mode is 0 the 3PL contains the 2PL again, and the test is defined
    nested = fit_irt(sim.responses, "3pl", prior=Prior(guess_alpha=1.0, guess_beta=17.0))
    tests = compare_fits(two, nested).tests
    assert tests["statistic"][0] >= 0 and tests["note"][0] is None
    assert tests["p_value"][0] > 0.5
