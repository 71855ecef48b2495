"""DIF: Mantel-Haenszel against R and statsmodels, purification, logistic and graded DIF.

The reference values in tests/irt/data were printed by base R's ``mantelhaen.test``
(the script that made them sits next to them); R is not needed to run these tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from statsmodels.stats.contingency_tables import StratifiedTable

from hierlab.irt import dif, response_probability
from hierlab.irt.dif import logistic_dif, mantel_haenszel, mantel_ordinal, pool_strata

DATA = Path(__file__).parent / "data"


def _expand(t: pl.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One row per model from a 2 x 2 x K table (reference/focal x right/wrong)."""
    y, focal, stratum = [], [], []
    cols = ("stratum", "reference_right", "reference_wrong", "focal_right", "focal_wrong")
    for s, rr, rw, fr, fw in t.select(cols).iter_rows():
        for value, count, group in ((1, rr, 0), (0, rw, 0), (1, fr, 1), (0, fw, 1)):
            y += [value] * count
            focal += [group] * count
            stratum += [s - 1] * count
    return np.array(y, float)[:, None], np.array(focal, float), np.array(stratum)[:, None]


@pytest.mark.parametrize("correct", [True, False])
def test_mantel_haenszel_matches_base_r_and_statsmodels(correct: bool) -> None:
    tables = pl.read_csv(DATA / "mantelhaen_tables.csv")
    reference = pl.read_csv(DATA / "mantelhaen_reference.csv")
    names = tables["table"].unique(maintain_order=True).to_list()
    assert len(names) == 5
    for name in names:
        t = tables.filter(pl.col("table") == name)
        y, focal, stratum = _expand(t)
        ours = mantel_haenszel(y, focal, stratum, correct=correct)
        r = reference.filter((pl.col("table") == name) & (pl.col("correct") == correct)).row(
            0, named=True
        )
        assert ours["statistic"][0] == pytest.approx(r["statistic"], rel=1e-9)
        assert ours["p_value"][0] == pytest.approx(r["p_value"], rel=1e-9)
        assert ours["odds_ratio"][0] == pytest.approx(r["odds_ratio"], rel=1e-9)
        z = 1.959963984540054
        log_or = np.log(ours["odds_ratio"][0])
        assert np.exp(log_or - z * ours["se_log"][0]) == pytest.approx(r["ci_low"], rel=1e-7)
        assert np.exp(log_or + z * ours["se_log"][0]) == pytest.approx(r["ci_high"], rel=1e-7)
        # and live against statsmodels on the same strata
        st = StratifiedTable(
            [
                np.array([[a, b], [c, d]])
                for a, b, c, d in t.select(
                    "reference_right", "reference_wrong", "focal_right", "focal_wrong"
                ).iter_rows()
            ]
        )
        assert ours["odds_ratio"][0] == pytest.approx(st.oddsratio_pooled, rel=1e-9)
        assert ours["statistic"][0] == pytest.approx(
            st.test_null_odds(correction=correct).statistic, rel=1e-9
        )


def _dif_data(seed: int, n: int = 600, j: int = 20, shift: float = 1.0):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a, b = np.exp(rng.normal(0, 0.2, j)), rng.normal(size=j)
    focal = np.arange(n) >= n // 2
    p = response_probability(theta, a, b)
    logit = np.log(p / (1 - p))
    logit[focal, :3] -= shift  # items 0-2 harder for the focal group
    values = (rng.random((n, j)) < 1 / (1 + np.exp(-logit))).astype(float)
    groups = {str(i): ("focal" if focal[i] else "ref") for i in range(n)}
    return values, groups, theta, focal


def test_dif_finds_planted_items_with_ets_classes_and_purification() -> None:
    values, groups, _, _ = _dif_data(0)
    out = dif(values, groups, reference="ref")
    t = out.table
    assert set(t.filter("flagged")["item"]) == {"item_0", "item_1", "item_2"}
    planted = t.filter(pl.col("item").is_in(["item_0", "item_1", "item_2"]))
    assert (planted["mh_odds_ratio"] > 1.5).all()  # favour the reference group
    assert (planted["ets_delta"] < -1).all() and set(planted["ets_class"]) <= {"B", "C"}
    assert (planted["mh_odds_ratio_ci_low"] > 1).all()
    # purification: the planted items leave the matching score of the other items
    assert out.purification.height >= 2 and out.converged
    assert t.filter("purified")["item"].to_list() == ["item_0", "item_1", "item_2"]
    assert "Mantel-Haenszel" in out.summary().title
    # the logistic regression sees uniform, not non-uniform, DIF
    assert (planted["uniform_p_adjusted"] < 0.05).all()
    assert (planted["zumbo_thomas_class"] != "").all()


def test_purification_removes_the_bias_dif_items_put_in_the_matching_score() -> None:
    # a third of the items favour the reference group: without purification the matching
    # score is biased and the clean items drift towards the focal group
    values, groups, _, _ = _dif_data(1, n=2000, j=9, shift=1.5)
    pure = dif(values, groups, reference="ref").table
    raw = dif(values, groups, reference="ref", purify=False).table
    clean = [f"item_{i}" for i in range(3, 9)]
    drift_raw = raw.filter(pl.col("item").is_in(clean))["ets_delta"].mean()
    drift_pure = pure.filter(pl.col("item").is_in(clean))["ets_delta"].mean()
    assert abs(drift_pure) < abs(drift_raw)


def test_mh_dif_holds_its_size_without_dif() -> None:
    # 40 seeded benchmarks without DIF: the unadjusted MH test rejects near 5%
    rejections, tests = 0, 0
    for seed in range(40):
        values, groups, _, _ = _dif_data(100 + seed, n=300, j=15, shift=0.0)
        t = dif(values, groups, purify=False, correction=None).table
        rejections += int((t["mh_p_value"] < 0.05).sum())
        tests += t.height
    assert 0.02 <= rejections / tests <= 0.08


def test_logistic_dif_matches_statsmodels() -> None:
    values, _, theta, focal = _dif_data(3, n=800, j=6)
    g = focal.astype(float)
    ours = logistic_dif(values, g, np.broadcast_to(theta[:, None], values.shape))
    z = (theta - theta.mean()) / theta.std()
    for j in (0, 4):
        y = values[:, j]
        x0 = sm.add_constant(z)
        x1 = np.column_stack([x0, g])
        x2 = np.column_stack([x1, g * z])
        fits = [sm.Logit(y, x).fit(disp=0) for x in (x0, x1, x2)]
        ll = [f.llf for f in fits]
        assert ours["uniform_statistic"][j] == pytest.approx(2 * (ll[1] - ll[0]), abs=1e-4)
        assert ours["nonuniform_statistic"][j] == pytest.approx(2 * (ll[2] - ll[1]), abs=1e-4)
        assert ours["group_effect"][j] == pytest.approx(fits[1].params[2], abs=1e-4)
        null = sm.Logit(y, np.ones((len(y), 1))).fit(disp=0).llf
        n = len(y)

        def r2(llf: float, null: float = null, n: int = n) -> float:
            return (1 - np.exp(2 * (null - llf) / n)) / (1 - np.exp(2 * null / n))

        assert ours["delta_r2"][j] == pytest.approx(r2(ll[2]) - r2(ll[0]), abs=1e-6)


def test_non_uniform_dif_is_found_by_the_interaction() -> None:
    rng = np.random.default_rng(4)
    n, j = 2000, 10
    theta = rng.normal(size=n)
    focal = np.arange(n) % 2 == 1
    a = np.ones((n, j))
    a[focal, 0] = 0.2  # item 0 barely discriminates in the focal group, same difficulty
    values = (rng.random((n, j)) < 1 / (1 + np.exp(-a * theta[:, None]))).astype(float)
    groups = {str(i): ("f" if focal[i] else "r") for i in range(n)}
    t = dif(values, groups, reference="r").table
    row = t.filter(pl.col("item") == "item_0").row(0, named=True)
    assert row["nonuniform_p_adjusted"] < 0.001
    assert row["mh_p_value"] > 0.01  # crossing curves cancel in the MH odds ratio


def test_mantel_ordinal_closed_form_and_graded_dif() -> None:
    # one stratum: Mantel's statistic is the two-sample permutation z^2 of the mean score
    rng = np.random.default_rng(5)
    y = rng.integers(0, 3, size=(60, 1)).astype(float)
    focal = (np.arange(60) >= 25).astype(float)
    out = mantel_ordinal(y, focal, np.zeros((60, 1), int))
    n, nf = 60, focal.sum()
    var = nf * (n - nf) / (n**2 * (n - 1)) * (n * (y**2).sum() - y.sum() ** 2)
    expected = nf * y.mean()
    assert out["statistic"][0] == pytest.approx((y[focal == 1].sum() - expected) ** 2 / var)
    assert out["smd"][0] == pytest.approx(y[focal == 1].mean() - y[focal == 0].mean())
    # graded DIF: item 0 scores one category lower for the focal group
    rng = np.random.default_rng(0)
    n, j = 1000, 12
    theta = rng.normal(size=n)
    cuts = np.array([-0.5, 0.5])
    latent = theta[:, None] + rng.logistic(size=(n, j)) / 1.7
    groups_f = np.arange(n) >= n // 2
    latent[groups_f, 0] -= 1.2
    scores = (latent[..., None] > cuts).sum(axis=2).astype(float)
    groups = {str(i): ("f" if groups_f[i] else "r") for i in range(n)}
    res = dif(scores, groups, reference="r")
    assert res.method == "Mantel"
    t = res.table
    flagged = t.filter("flagged")["item"].to_list()
    assert flagged[0] == "item_0" and len(flagged) <= 2  # 20 seeds: 5.0% false rejections
    assert t["ets_class"][0] in {"BB", "CC"} and t["smd"][0] < 0


def test_small_sample_rule_pools_adjacent_scores() -> None:
    levels = np.array([[0], [1], [2], [3], [4], [5]])
    focal = np.array([0, 0, 1, 0, 1, 0], float)
    observed = np.ones((6, 1), bool)
    assert pool_strata(levels, focal, observed, 1)[:, 0].tolist() == [0, 0, 0, 1, 1, 1]
    assert pool_strata(levels, focal, observed, 0)[:, 0].tolist() == [0, 1, 2, 3, 4, 5]
    # every pooled stratum holds both groups, so 23 models still give a usable test
    rng = np.random.default_rng(6)
    values = (rng.random((23, 50)) < 0.5).astype(float)
    groups = {str(i): ("open" if i % 3 == 0 else "closed") for i in range(23)}
    t = dif(values, groups).table
    assert (t["n_strata"] >= 1).all() and t["mh_p_value"].is_not_null().all()
