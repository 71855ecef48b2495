"""Hostile inputs to IRT fitting and scoring: a named hierlab error, or the right answer.

Each case states the error class and the words its message must contain (the offending
rows, columns, values or option, and the fix).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

from hierlab.errors import (
    DuplicateRowsError,
    EmptyInputError,
    HierlabError,
    InputShapeError,
    InputTypeError,
    InvalidValueError,
)
from hierlab.irt import Prior, fit_irt, score, simulate_responses

RNG = np.random.default_rng(0)
BASE = (RNG.random((6, 4)) < 0.5).astype(float)
BASE[0] = [1, 0, 1, 0]
BASE[1] = [0, 1, 0, 1]


def wide(**extra) -> pl.DataFrame:
    cols = {f"q{j}": BASE[:, j] for j in range(4)}
    return pl.DataFrame({**extra, **cols})


def with_values(column: str, values: list) -> pl.DataFrame:
    frame = wide(model=[f"m{i}" for i in range(6)])
    return frame.with_columns(pl.Series(column, values, strict=False))


CASES = [
    # (case id, call, error class, words the message must contain)
    (
        "id column of numbers after the items",
        lambda: fit_irt(wide().with_columns(id=pl.Series([10, 11, 12, 13, 14, 15]))),
        None,
        [],
    ),
    (
        "a second text column",
        lambda: fit_irt(wide(model=list("abcdef"), comment=["x", "y", "x", "y", "x", "y"])),
        InputTypeError,
        ["'comment'", "'x'", "text"],
    ),
    (
        "model ids in a text column that is not first",
        lambda: fit_irt(wide().with_columns(who=pl.Series(list("abcdef")))),
        InputTypeError,
        ["'who'", "model="],
    ),
    (
        "two candidate id columns",
        lambda: fit_irt(wide(model=list("abcdef"), name=list("uvwxyz"))),
        InputShapeError,
        ["'model'", "'name'", "model="],
    ),
    (
        "duplicated model ids",
        lambda: fit_irt(wide(model=["a", "a", "b", "c", "d", "e"])),
        DuplicateRowsError,
        ["'a'", "more than once"],
    ),
    (
        "duplicated item names (pandas)",
        lambda: fit_irt(pd.DataFrame(BASE, columns=["q1", "q2", "q1", "q3"])),
        DuplicateRowsError,
        ["'q1'", "unique"],
    ),
    (
        "text answers in a response column",
        lambda: fit_irt(with_values("q2", ["yes", "no", "yes", "no", "yes", "no"])),
        InputTypeError,
        ["'q2'", "'yes'", "0/1"],
    ),
    (
        "mixed text and numbers (pandas object column)",
        lambda: fit_irt(
            pd.DataFrame({"q1": [1, 0, "x", 1, 0, 1], "q2": BASE[:, 1]}, index=list("abcdef"))
        ),
        InputTypeError,
        ["'q1'", "'x'"],
    ),
    (
        "text in a numpy object array",
        lambda: fit_irt(np.array([[1, "a"], [0, 1], [1, 0]], dtype=object)),
        InputTypeError,
        ["item_1", "'a'"],
    ),
    (
        "values outside {0, 1, NaN}",
        lambda: fit_irt(with_values("q3", [0, 1, 2, 1, 0, 3])),
        InvalidValueError,
        ["'q3'", "{0, 1, NaN}", "graded"],
    ),
    (
        "missing-value codes",
        lambda: fit_irt(with_values("q0", [0, 1, -9, 1, 0, 1])),
        InvalidValueError,
        ["'q0'", "-9", "NaN"],
    ),
    (
        "infinite values",
        lambda: fit_irt(with_values("q1", [0, 1, np.inf, 1, 0, 1])),
        InvalidValueError,
        ["'q1'", "Infinite"],
    ),
    (
        "all-NaN item column",
        lambda: fit_irt(with_values("q2", [None] * 6)),
        "warns",
        ["'q2'", "no responses"],
    ),
    (
        "all-NaN model row",
        lambda: fit_irt(
            np.vstack([BASE, np.full((1, 4), np.nan)]),
        ),
        "warns",
        ["'6'", "no responses"],
    ),
    (
        "a single model",
        lambda: fit_irt(wide(model=list("abcdef")).head(1)),
        EmptyInputError,
        ["'a'", "score()"],
    ),
    (
        "no item columns",
        lambda: fit_irt(pl.DataFrame({"model": ["a", "b"]})),
        EmptyInputError,
        ["no item columns"],
    ),
    (
        "booleans are 0/1",
        lambda: fit_irt(pl.DataFrame({f"q{j}": BASE[:, j].astype(bool) for j in range(4)})),
        None,
        [],
    ),
    (
        "n_quadrature=0",
        lambda: fit_irt(BASE, n_quadrature=0),
        InvalidValueError,
        ["n_quadrature", "at least 5", "0"],
    ),
    (
        "n_quadrature=1",
        lambda: fit_irt(BASE, n_quadrature=1),
        InvalidValueError,
        ["n_quadrature", "at least 5"],
    ),
    (
        "negative n_quadrature",
        lambda: fit_irt(BASE, n_quadrature=-3),
        InvalidValueError,
        ["n_quadrature", "-3"],
    ),
    (
        "n_quadrature not an integer",
        lambda: fit_irt(BASE, n_quadrature=21.5),
        InputTypeError,
        ["n_quadrature", "float"],
    ),
    ("max_iter=0", lambda: fit_irt(BASE, max_iter=0), InvalidValueError, ["max_iter", "0"]),
    ("tol=0", lambda: fit_irt(BASE, tol=0.0), InvalidValueError, ["tol", "positive"]),
    ("negative tol", lambda: fit_irt(BASE, tol=-1e-3), InvalidValueError, ["tol", "-0.001"]),
    (
        "unknown irt_model",
        lambda: fit_irt(BASE, "5pl"),
        InvalidValueError,
        ["'5pl'", "2pl", "grm"],
    ),
    (
        "irt_model of the wrong type",
        lambda: fit_irt(BASE, 2),
        InvalidValueError,
        ["irt_model", "2pl"],
    ),
    ("prior of the wrong type", lambda: fit_irt(BASE, prior=0.75), InputTypeError, ["Prior"]),
    ("prior as unknown text", lambda: fit_irt(BASE, prior="weak"), InputTypeError, ["'weak'"]),
    (
        "Prior with an unknown discrimination shape",
        lambda: Prior(discrimination="gamma"),
        InvalidValueError,
        ["'gamma'", "lognormal", "normal"],
    ),
    (
        "Prior with a negative SD",
        lambda: Prior(intercept_sd=-1.0),
        InvalidValueError,
        ["intercept_sd", "positive"],
    ),
    (
        "unknown se_method",
        lambda: fit_irt(BASE, se_method="bootstrap"),
        InvalidValueError,
        ["se_method", "'louis'"],
    ),
    (
        "cross-product SEs with more parameters than models",
        lambda: fit_irt(BASE, se_method="crossprod"),
        InvalidValueError,
        ["crossprod", "more models"],
    ),
    (
        "graded scores for a binary model",
        lambda: fit_irt(np.array([[0, 1, 2], [2, 1, 0], [1, 1, 1]]), "2pl"),
        InvalidValueError,
        ["{0, 1, NaN}", "item_0"],
    ),
    (
        "responses of the wrong type",
        lambda: fit_irt("responses.csv"),
        InputTypeError,
        ["ResponseMatrix", "str"],
    ),
    (
        "a 1-D array",
        lambda: fit_irt(np.array([1.0, 0.0, 1.0])),
        InputShapeError,
        ["2-D", "(3,)"],
    ),
]


@pytest.mark.parametrize(("case", "call", "error", "words"), CASES, ids=[c[0] for c in CASES])
def test_hostile_input(case: str, call, error, words: list[str]) -> None:
    if error is None:  # the right answer: a fit with finite estimates
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = call()
        assert np.isfinite(fit.items["b"].to_numpy()).all()
        assert fit.n_items == 4
        return
    if error == "warns":
        with pytest.warns(UserWarning) as record:
            warnings.simplefilter("ignore", RuntimeWarning)
            call()
        text = " ".join(str(w.message) for w in record)
        assert all(word in text for word in words), text
        return
    with pytest.raises(error) as info:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            call()
    assert isinstance(info.value, HierlabError)
    message = str(info.value)
    assert all(word in message for word in words), message


def test_there_are_at_least_twenty_cases() -> None:
    assert len(CASES) >= 20


@pytest.fixture(scope="module")
def small_fit():
    return fit_irt(simulate_responses(200, 6, seed=3).responses)


SCORE_CASES = [
    (
        "neither fit nor items",
        lambda fit: score(pl.DataFrame({"model": ["m"], "item_0": [1]})),
        InvalidValueError,
        ["exactly one"],
    ),
    (
        "both fit and items",
        lambda fit: score(pl.DataFrame({"model": ["m"], "item_0": [1]}), fit, items=fit.items),
        InvalidValueError,
        ["exactly one"],
    ),
    (
        "unknown item columns",
        lambda fit: score(pl.DataFrame({"model": ["m"], "item_0": [1], "zz": [0]}), fit),
        InvalidValueError,
        ["'zz'", "not items"],
    ),
    (
        "duplicated item names in an item bank",
        lambda fit: score(
            pl.DataFrame({"model": ["m"], "q": [1]}),
            items=pl.DataFrame({"item": ["q", "q"], "a": [1.0, 1.0], "b": [0.0, 1.0]}),
        ),
        InvalidValueError,
        ["'q'", "more than once"],
    ),
    (
        "missing parameters in an item bank",
        lambda fit: score(
            pl.DataFrame({"model": ["m"], "q": [1]}),
            items=pl.DataFrame(
                {"item": ["q"], "a": [1.0], "b": [None]}, schema_overrides={"b": pl.Float64}
            ),
        ),
        InvalidValueError,
        ["'b'", "finite"],
    ),
    (
        "unknown ability estimator",
        lambda fit: score(fit.responses, fit, estimators=("eap", "mle")),
        InvalidValueError,
        ["'mle'", "'wle'"],
    ),
    (
        "values that are not the fit's categories",
        lambda fit: score(pl.DataFrame({"model": ["m"], "item_0": [2]}), fit),
        InvalidValueError,
        ["'item_0'", "categories"],
    ),
    (
        "vcov of unknown items",
        lambda fit: fit.vcov(["item_0", "nope"]),
        InvalidValueError,
        ["'nope'"],
    ),
    (
        "ability intervals at confidence 1.5",
        lambda fit: fit.ability_intervals(1.5),
        InvalidValueError,
        ["confidence", "1.5"],
    ),
    (
        "zero plausible values",
        lambda fit: fit.plausible_values(0),
        InvalidValueError,
        ["n_values", "0"],
    ),
]


@pytest.mark.parametrize(
    ("case", "call", "error", "words"), SCORE_CASES, ids=[c[0] for c in SCORE_CASES]
)
def test_hostile_scoring_input(small_fit, case: str, call, error, words: list[str]) -> None:
    with pytest.raises(error) as info:
        call(small_fit)
    assert isinstance(info.value, HierlabError)
    assert all(word in str(info.value) for word in words), str(info.value)
