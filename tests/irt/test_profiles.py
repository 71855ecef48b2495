"""Topic profiles: spikes tested against the fitted model, with SEs and format adjustment."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab.errors import HierlabWarning, InputShapeError, InputTypeError
from hierlab.irt import fit_irt, response_probability, topic_profiles
from hierlab.irt.data import ResponseMatrix


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
    tp = topic_profiles(m, topics, correction="bh")
    prof = tp.profiles
    planted = {f"r{i}" for i in range(10)}
    cells = prof.filter(pl.col("model").is_in(list(planted)) & (pl.col("topic") == "B"))
    assert (cells["ci_low"] > 0).sum() >= 8  # the unadjusted intervals see the spikes
    assert cells["excess"].mean() > 0.2 and cells["rank_change"].mean() > 0
    spiky_b = set(prof.filter((pl.col("topic") == "B") & pl.col("spiky"))["model"])
    assert len(planted & spiky_b) >= 4  # surviving BH over all 800 cells
    assert len(prof.filter(pl.col("spiky") & ~pl.col("model").is_in(list(planted)))) <= 2
    assert set(tp.topics["topic"]) == {"A", "B"} and tp.topics["profiled"].all()
    assert "spiky cells" in str(tp.summary())


def test_spikiness_test_holds_its_size_and_intervals_cover_under_the_model() -> None:
    # no spikes: the unadjusted test rejects near 5% and the excess intervals cover 0
    rejected, covered, cells = 0, 0, 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        n, j = 60, 120
        theta, a, b = rng.normal(size=n), np.exp(rng.normal(0, 0.3, j)), rng.normal(size=j)
        values = (rng.random((n, j)) < response_probability(theta, a, b)).astype(float)
        topics = {f"item_{i}": "ABC"[i % 3] for i in range(j)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", HierlabWarning)
            prof = topic_profiles(values, topics, correction=None).profiles
        rejected += int((prof["p_value"] < 0.05).sum())
        covered += int(((prof["ci_low"] <= 0) & (prof["ci_high"] >= 0)).sum())
        cells += prof.height
    assert 0.02 <= rejected / cells <= 0.08  # 1,080 cells; measured 4.4%
    assert 0.92 <= covered / cells <= 0.98  # measured 95.6%


def test_random_guess_baseline_is_not_spiky_once_item_format_is_adjusted_for() -> None:
    # topic A is mostly multiple choice; a random-guess baseline "does well" only there
    rng = np.random.default_rng(0)
    n, j = 23, 400
    theta = np.sort(rng.normal(size=n))
    a, b = np.exp(rng.normal(0.5, 0.3, j)), rng.normal(size=j)
    mc = np.concatenate([rng.random(150) < 0.9, rng.random(250) < 0.1])
    values = (rng.random((n, j)) < response_probability(theta, a, b, np.where(mc, 0.25, 0))).astype(
        float
    )
    values[0] = np.where(mc, rng.random(j) < 0.25, 0.0)  # model "0" guesses at random
    topic = np.where(np.arange(j) < 150, "A", np.where(np.arange(j) < 275, "B", "C"))
    items = pl.DataFrame(
        {
            "item": [f"item_{i}" for i in range(j)],
            "topic": topic,
            "format": np.where(mc, "mc", "free"),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        fit = fit_irt(values, "2pl")
    naive = topic_profiles(fit, items)
    adjusted = topic_profiles(fit, items, adjust_for="format")
    baseline = pl.col("model") == "0"
    assert naive.profiles.filter(baseline & (pl.col("topic") == "A"))["spiky"][0]  # the artefact
    assert not adjusted.profiles.filter(baseline)["spiky"].any()
    assert adjusted.adjust_for == ("format",)
    assert adjusted.profiles["spiky"].sum() <= naive.profiles["spiky"].sum()


def test_topic_profiles_skip_small_topics_and_check_inputs() -> None:
    m, topics = _two_topic_data()
    topics = dict(topics) | {"q0": "tiny"}
    tp = topic_profiles(m, topics, min_items=5)
    assert not tp.topics.filter(pl.col("topic") == "tiny")["profiled"][0]
    assert set(tp.profiles["topic"]) == {"A", "B"}
    with pytest.raises(InputShapeError, match="not in the responses"):
        topic_profiles(m, {"nope": "A"})
    with pytest.raises(InputTypeError, match="adjust_for"):
        topic_profiles(m, topics, adjust_for="format")
    with pytest.raises(InputShapeError, match="holds every item"):
        topic_profiles(m, dict.fromkeys(m.items, "all"))
