"""Topic profiles, DIF, explanatory IRT and informative subsets."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import StratifiedTable

from hierlab.datasets import load_demo
from hierlab.errors import InputShapeError, InvalidValueError
from hierlab.irt import (
    dif,
    evaluate_subsets,
    explain_difficulty,
    fit_irt,
    response_probability,
    select_items,
    simulate_responses,
    topic_profiles,
)
from hierlab.irt.data import ResponseMatrix
from hierlab.irt.dif import _logistic_regression, _mantel_haenszel


def _two_topic_data(seed: int = 0):
    """Models 0..9 are strong on topic B only (a planted spike)."""
    rng = np.random.default_rng(seed)
    n, j = 400, 80
    theta = rng.normal(size=n)
    a, b = np.exp(rng.normal(0, 0.2, j)), rng.normal(size=j)
    boost = np.zeros((n, j))
    boost[:10, 40:] = 2.5
    p = 1 / (1 + np.exp(-(a * (theta[:, None] + boost - b))))
    values = (rng.random((n, j)) < p).astype(float)
    items = tuple(f"q{i}" for i in range(j))
    topics = {item: ("A" if i < 40 else "B") for i, item in enumerate(items)}
    return ResponseMatrix(values, tuple(f"r{i}" for i in range(n)), items), topics


def test_topic_profiles_find_planted_spikes() -> None:
    m, topics = _two_topic_data()
    tp = topic_profiles(m, topics)
    prof = tp.profiles
    spiky_b = prof.filter((pl.col("topic") == "B") & pl.col("spiky"))["model"].to_list()
    planted = {f"r{i}" for i in range(10)}
    assert len(planted & set(spiky_b)) >= 7  # most planted spikes found
    # Holm over each model's 2 topics controls the family-wise rate at 5% per model
    assert len(set(spiky_b) - planted) <= 0.06 * 390
    assert (
        prof.filter(pl.col("model").is_in(list(planted)) & (pl.col("topic") == "B"))[
            "rank_change"
        ].mean()
        > 0
    )
    assert set(tp.topics["topic"]) == {"A", "B"} and tp.topics["converged"].all()


def test_topic_profiles_skip_small_topics_and_check_items() -> None:
    m, topics = _two_topic_data()
    topics = dict(topics) | {"q0": "tiny"}
    tp = topic_profiles(m, topics, min_items=5)
    assert tp.topics.filter(pl.col("topic") == "tiny")["converged"][0] is None
    with pytest.raises(InputShapeError, match="not in the responses"):
        topic_profiles(m, {"nope": "A"})


def _dif_data(seed: int = 3):
    rng = np.random.default_rng(seed)
    n, j = 1200, 12
    theta = rng.normal(size=n)
    a, b = np.exp(rng.normal(0, 0.2, j)), rng.normal(size=j)
    focal = np.arange(n) >= n // 2
    shift = np.zeros((n, j))
    shift[focal, 0] = 1.0  # item 0 harder for the focal group (uniform DIF)
    p = response_probability(theta, a, b)
    p = 1 / (1 + np.exp(-(np.log(p / (1 - p)) - a * shift)))
    values = (rng.random((n, j)) < p).astype(float)
    groups = {str(i): ("focal" if focal[i] else "ref") for i in range(n)}
    return values, groups, theta, focal


def test_dif_finds_the_planted_item() -> None:
    values, groups, _, _ = _dif_data()
    out = dif(values, groups, reference="ref")
    assert out["item"][0] == "item_0" and out["flagged"][0]
    assert out.filter(pl.col("item") == "item_0")["mh_odds_ratio"][0] > 1.5  # favours reference
    assert out["flagged"].sum() <= 2


def test_mantel_haenszel_matches_statsmodels() -> None:
    values, _, theta, focal = _dif_data()
    stratum = np.searchsorted(np.quantile(theta, [0.25, 0.5, 0.75]), theta, side="right")
    ours = _mantel_haenszel(values, focal.astype(float), stratum)
    for j in (0, 3, 7):
        tables = []
        for s in range(4):
            sel = stratum == s
            ref, foc = sel & ~focal, sel & focal
            tables.append(
                np.array(
                    [
                        [
                            values[ref, j].sum(),
                            (1 - values[ref, j]).sum(),
                        ],  # reference: right, wrong
                        [values[foc, j].sum(), (1 - values[foc, j]).sum()],  # focal: right, wrong
                    ]
                )
            )
        st = StratifiedTable(tables)  # built explicitly: from_data flips the odds ratio
        assert ours["odds_ratio"][j] == pytest.approx(st.oddsratio_pooled, rel=1e-9)
        test = st.test_null_odds(correction=True)
        assert ours["statistic"][j] == pytest.approx(test.statistic, rel=1e-9)
        assert ours["p_value"][j] == pytest.approx(test.pvalue, rel=1e-6)


def test_logistic_dif_matches_statsmodels() -> None:
    values, _, theta, focal = _dif_data()
    g = focal.astype(float)
    ours = _logistic_regression(values, g, theta)
    for j in (0, 5):
        y = values[:, j]
        x0 = sm.add_constant(theta)
        x1 = np.column_stack([x0, g])
        x2 = np.column_stack([x1, g * theta])
        ll = [sm.Logit(y, x).fit(disp=0).llf for x in (x0, x1, x2)]
        assert ours["uniform_statistic"][j] == pytest.approx(2 * (ll[1] - ll[0]), abs=1e-4)
        assert ours["nonuniform_statistic"][j] == pytest.approx(2 * (ll[2] - ll[1]), abs=1e-4)


def test_dif_needs_two_groups() -> None:
    values, groups, _, _ = _dif_data()
    with pytest.raises(InvalidValueError, match="exactly two groups"):
        dif(values, {k: "one" for k in groups})
    with pytest.raises(InvalidValueError, match="No group given"):
        dif(values, {"0": "a", "1": "b"})


def test_explanatory_irt_recovers_demo_effects_and_matches_statsmodels() -> None:
    demo = load_demo(n_items=600, n_models=12, seed=0)
    fit = explain_difficulty(demo.results, ["region", "target_depth"])
    coef = dict(fit.coefficients.select("term", "estimate").iter_rows())
    # planted region effects (vs Africa, the reference): Europe easiest, then Americas, Asia
    assert coef["C(region)[T.Europe]"] > coef["C(region)[T.Americas]"] > 0
    assert coef["C(region)[T.Asia]"] > 0
    assert coef["target_depth"] < -0.5  # deeper targets are harder (depth decay)
    # the same model fitted directly with statsmodels gives the same numbers
    import statsmodels.formula.api as smf

    data = demo.results.to_pandas()
    direct = smf.glm(
        "correct ~ C(model) + C(region) + target_depth", data=data, family=sm.families.Binomial()
    ).fit(cov_type="cluster", cov_kwds={"groups": data["item"].astype("category").cat.codes})
    assert coef["target_depth"] == pytest.approx(direct.params["target_depth"], rel=1e-6)
    se = dict(fit.coefficients.select("term", "se").iter_rows())
    assert se["target_depth"] == pytest.approx(direct.bse["target_depth"], rel=1e-6)
    assert fit.abilities.height == 12


def test_subsets_predict_full_accuracy_better_than_naive() -> None:
    sim = simulate_responses(200, 400, irt_model="2pl", seed=4)
    fit = fit_irt(sim.responses)
    info_items = select_items(fit, 30, "information")
    assert len(set(info_items)) == 30
    table = evaluate_subsets(sim.responses, k=30, n_splits=2, seed=1)
    row = dict(zip(table["method"], table.iter_rows(named=True), strict=True))
    assert row["information"]["mae_theta"] < row["random"]["mae_theta"]
    assert all(r["mae_accuracy"] < 0.08 for r in row.values())
    assert row["stratified"]["mae_accuracy"] <= row["stratified"]["mae_accuracy_naive"] + 0.01
    with pytest.raises(InvalidValueError, match="k must be"):
        select_items(fit, 0)
