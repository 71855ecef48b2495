"""IRT on real benchmarks (MathVista, ChemBench) from the offline mirror."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy.stats import spearmanr

from hierlab.datasets import fetch_chembench, fetch_mathvista
from hierlab.irt import audit_items, compare_fits, fit_irt, reliability, topic_profiles

pytestmark = [pytest.mark.mirror, pytest.mark.usefixtures("data_env")]


def test_mathvista_fits() -> None:
    mv = fetch_mathvista()
    with pytest.warns(UserWarning, match="same response from every model"):
        fits = {m: fit_irt(mv.matrix, m) for m in ("1pl", "2pl")}
    assert all(f.converged for f in fits.values())
    two = fits["2pl"]
    assert two.quadrature == "adaptive"
    ab = two.abilities.sort("theta")
    assert ab["model"][0] == "random_guess"  # the random baseline is least able
    assert spearmanr(ab["theta"], ab["mean"]).statistic > 0.9
    assert reliability(two)["empirical"] > 0.9
    cmp = compare_fits(*fits.values())
    assert cmp.tests.height == 1 and cmp.table["irt_model"].to_list() == ["1pl", "2pl"]
    audit = audit_items(two, baseline="random_guess", strong=3, n_boot=50)
    rules = {r["rule"]: r for r in audit.rules.iter_rows(named=True)}
    # 198 items no model solved are their own category, not hidden among the flags
    assert rules["never solved"]["flagged"] == 198
    # the guessable rule reports its raw events against their chance expectation
    assert "baseline right and strong wrong" in rules["guessable"]["note"]
    events = audit.items.filter(
        (pl.col("baseline_correct") == 1) & (pl.col("strong_correct") == 0)
    ).height
    assert events > 0 and rules["guessable"]["flagged"] <= events
    # the random-guess baseline "does well" where multiple-choice questions abound; with the
    # question type adjusted for, it is not spiky on any task
    tp = topic_profiles(two, mv.items, group="task", min_items=50, adjust_for="question_type")
    guess = tp.profiles.filter(pl.col("model") == "random_guess")
    assert guess.height == 5 and not guess["spiky"].any()
    assert guess["excess_se"].is_not_null().all()


def test_chembench_fits() -> None:
    cb = fetch_chembench()
    with pytest.warns(UserWarning, match="same response from every model"):
        two = fit_irt(cb.matrix, "2pl")
    assert two.converged and two.n_items == 2854
    acc = dict(cb.accuracy().select("model", "accuracy").iter_rows())
    theta = dict(two.abilities.select("model", "theta").iter_rows())
    names = list(acc)
    assert spearmanr([acc[n] for n in names], [theta[n] for n in names]).statistic > 0.85
    assert min(theta, key=theta.get) == min(acc, key=acc.get)  # Galactica, lowest on both
    constant = (cb.matrix.drop("model").fill_null(0).sum() == 0).row(0)
    flagged = two.items.filter(pl.col("flag") == "all wrong")
    assert flagged.height == sum(constant) == 134
    # estimated under the priors: harder than every model, relative to the other items
    assert flagged["b"].min() > two.abilities["theta"].max()
    audit = audit_items(two, n_boot=50)
    never = audit.items.filter(pl.col("reasons").list.contains("never solved")).height
    assert never == sum(constant)
    assert np.isfinite(two.items["b"].to_numpy()).all()
    assert np.isfinite(two.items["b_se"].to_numpy()).all()
    assert two.covariance.method == "woodbury"
