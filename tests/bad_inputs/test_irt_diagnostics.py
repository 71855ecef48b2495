"""Hostile inputs to the IRT diagnostics: each raises a hierlab error naming the problem."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest

from hierlab import plot
from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    HierlabError,
    HierlabWarning,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.irt import (
    audit_items,
    dif,
    fit_irt,
    global_fit,
    item_fit,
    local_dependence,
    person_fit,
    simulate_responses,
    topic_profiles,
)

SIM = simulate_responses(60, 12, seed=0)
MODELS = SIM.responses.models
ITEMS = SIM.responses.items
GROUPS = {m: ("a" if int(m) % 2 else "b") for m in MODELS}
TOPICS = {it: ("x" if k < 6 else "y") for k, it in enumerate(ITEMS)}
TOPIC_TABLE = pl.DataFrame({"item": list(TOPICS), "topic": list(TOPICS.values())})


@pytest.fixture(scope="module")
def fit():
    return fit_irt(SIM.responses)


@pytest.fixture(scope="module")
def graded():
    return fit_irt(simulate_responses(60, 12, irt_model="grm", seed=0).responses, "grm")


CASES = [
    # (name, call, error class, message fragment)
    ("audit of an array", lambda f: audit_items(SIM.responses.values), InputTypeError, "IRTFit"),
    (
        "unknown baseline",
        lambda f: audit_items(f, baseline="nobody"),
        InvalidValueError,
        "'nobody'",
    ),
    (
        "unknown strong model",
        lambda f: audit_items(f, strong=["ghost"]),
        InvalidValueError,
        "'ghost'",
    ),
    ("too few replicates", lambda f: audit_items(f, n_boot=3), InvalidValueError, "n_boot"),
    (
        "item table without n_options",
        lambda f: audit_items(f, items=pl.DataFrame({"item": list(ITEMS)})),
        InputShapeError,
        "n_options",
    ),
    (
        "item table missing items",
        lambda f: audit_items(f, items=pl.DataFrame({"item": ["zzz"], "n_options": [4]})),
        InputShapeError,
        "not in the item table",
    ),
    (
        "item table with repeated items",
        lambda f: audit_items(
            f, items=pl.DataFrame({"item": [*ITEMS, ITEMS[0]], "n_options": [4] * 13})
        ),
        DuplicateRowsError,
        "item_0",
    ),
    (
        "one-option items",
        lambda f: audit_items(f, items=pl.DataFrame({"item": list(ITEMS), "n_options": [1] * 12})),
        InputShapeError,
        "fewer than 2 options",
    ),
    ("seed of the wrong type", lambda f: audit_items(f, seed="x"), InputTypeError, "seed"),
    ("groups as a list", lambda f: dif(SIM.responses, ["a", "b"]), InputTypeError, "groups"),
    (
        "three groups",
        lambda f: dif(SIM.responses, {m: str(int(m) % 3) for m in MODELS}),
        InvalidValueError,
        "exactly two groups",
    ),
    (
        "models without a group",
        lambda f: dif(SIM.responses, {"0": "a", "1": "b"}),
        InvalidValueError,
        "No group given",
    ),
    (
        "groups naming unknown models",
        lambda f: dif(SIM.responses, GROUPS | {"ghost": "a"}),
        InvalidValueError,
        "'ghost'",
    ),
    (
        "unknown reference group",
        lambda f: dif(SIM.responses, GROUPS, reference="zz"),
        InvalidValueError,
        "'zz'",
    ),
    (
        "matching abilities of the wrong length",
        lambda f: dif(SIM.responses, GROUPS, theta=np.zeros(3)),
        InputShapeError,
        "one value per model",
    ),
    (
        "NaN matching abilities",
        lambda f: dif(SIM.responses, GROUPS, theta=np.full(60, np.nan)),
        InvalidValueError,
        "NaN",
    ),
    (
        "purify as a string",
        lambda f: dif(SIM.responses, GROUPS, purify="yes"),
        InputTypeError,
        "purify",
    ),
    ("empty topics", lambda f: topic_profiles(f, {}), EmptyInputError, "no item a topic"),
    (
        "no topic large enough",
        lambda f: topic_profiles(f, TOPICS, min_items=50),
        EmptyInputError,
        "min_items",
    ),
    (
        "topics of unknown items",
        lambda f: topic_profiles(f, {"ghost": "x"}),
        InputShapeError,
        "'ghost'",
    ),
    (
        "covariate column missing",
        lambda f: topic_profiles(f, TOPIC_TABLE, adjust_for="format", min_items=5),
        InputShapeError,
        "'format'",
    ),
    (
        "adjust_for as a number",
        lambda f: topic_profiles(f, TOPIC_TABLE, adjust_for=3),
        InputTypeError,
        "adjust_for",
    ),
    ("item fit of responses", lambda f: item_fit(SIM.responses), InputTypeError, "IRTFit"),
    (
        "cut-off as a string",
        lambda f: local_dependence(f, cutoff="0.2"),
        InputTypeError,
        "cutoff",
    ),
    ("no bootstrap", lambda f: local_dependence(f, n_boot=0), InvalidValueError, "n_boot"),
    ("global fit of a string", lambda f: global_fit("fit"), InputTypeError, "IRTFit"),
    (
        "confidence above 1",
        lambda f: global_fit(f, confidence=1.5),
        InvalidValueError,
        "confidence",
    ),
    (
        "Q3 chart of a table",
        lambda f: plot.local_dependence_plot(pl.DataFrame()),
        InputTypeError,
        "LocalDependence",
    ),
    (
        "item-fit chart without p-values",
        lambda f: plot.item_fit_plot(pl.DataFrame({"item": ["a"]})),
        InputShapeError,
        "p_adjusted",
    ),
]


@pytest.mark.parametrize(("name", "call", "error", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_a_clear_error(fit, name, call, error, fragment) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)
        with pytest.raises(error, match=fragment) as caught:
            call(fit)
    assert isinstance(caught.value, HierlabError), name


def test_person_fit_refuses_graded_fits(graded) -> None:
    with pytest.raises(InvalidValueError, match="binary"):
        person_fit(graded)
