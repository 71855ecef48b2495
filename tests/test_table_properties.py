"""Property tests over random results tables: order does not matter, duplicates are
refused, and the numbers equal a naive reference computed row by row."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hierlab.bias import disaggregate
from hierlab.errors import DuplicateRowsError
from hierlab.geo import accuracy_at_k
from hierlab.leaderboard import compare_models

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def results_tables(draw, binary: bool = True) -> pl.DataFrame:
    n_models = draw(st.integers(1, 3))
    n_items = draw(st.integers(2, 25))
    groups = draw(st.lists(st.sampled_from("ABC"), min_size=n_items, max_size=n_items))
    rows = []
    for m in range(n_models):
        answered = draw(st.lists(st.booleans(), min_size=n_items, max_size=n_items))
        for i in range(n_items):
            if answered[i] or i == 0:
                value = (
                    draw(st.sampled_from([0.0, 1.0]))
                    if binary
                    else draw(st.floats(0, 1, allow_nan=False))
                )
                rows.append((f"m{m}", f"i{i}", value, groups[i]))
    return pl.DataFrame(rows, schema=["model", "item", "correct", "region"], orient="row")


def naive_means(table: pl.DataFrame) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], list[float]] = {}
    for m, _, y, g in table.iter_rows():
        sums.setdefault((m, g), []).append(y)
    return {k: sum(v) / len(v) for k, v in sums.items()}


@SETTINGS
@given(results_tables(), st.randoms(use_true_random=False))
def test_disaggregate_equals_a_naive_reference_in_any_order(table, rnd) -> None:
    order = list(range(table.height))
    rnd.shuffle(order)
    shuffled = table[order]
    a = disaggregate(table, "region", n_boot=0, min_size=1).table
    b = disaggregate(shuffled, "region", n_boot=0, min_size=1).table
    assert a.equals(b)
    reference = naive_means(table)
    got = {(m, g): e for m, g, e in a.select("model", "group", "estimate").iter_rows()}
    assert got.keys() == reference.keys()
    for key, value in reference.items():
        assert got[key] == pytest.approx(value)


@SETTINGS
@given(results_tables(binary=False), st.integers(0, 10_000))
def test_scores_bootstrap_is_reproducible_and_bracketed(table, seed) -> None:
    first = disaggregate(table, "region", n_boot=60, min_size=1, seed=seed).table
    second = disaggregate(table, "region", n_boot=60, min_size=1, seed=seed).table
    assert first.equals(second)
    assert (first["ci_low"] <= first["estimate"] + 1e-12).all()
    assert (first["estimate"] <= first["ci_high"] + 1e-12).all()


@SETTINGS
@given(results_tables(), st.integers(0, 10_000))
def test_any_duplicated_pair_is_refused(table, pick) -> None:
    row = table[pick % table.height]
    with pytest.raises(DuplicateRowsError, match=repr(row["item"][0])):
        disaggregate(pl.concat([table, row]), "region", n_boot=0)


@SETTINGS
@given(
    st.lists(
        st.one_of(st.floats(0, 5000, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=40,
    ),
    st.floats(0, 5000, allow_nan=False),
)
def test_accuracy_at_k_equals_naive_counts(distances, k) -> None:
    got = accuracy_at_k(distances, thresholds_km=(k,))[k]
    assert got == pytest.approx(sum(1 for d in distances if d == d and d <= k) / len(distances))


@SETTINGS
@given(results_tables())
def test_paired_counts_equal_a_naive_reference(table) -> None:
    models = sorted(set(table["model"]))
    if len(models) < 2:
        return
    answers = {(m, i): y for m, i, y, _ in table.iter_rows()}
    shared = {i for (m, i) in answers if m == models[0]} & {
        i for (m, i) in answers if m == models[1]
    }
    if not shared:
        return
    subset = table.filter(pl.col("model").is_in(models[:2]))
    row = compare_models(subset).table.row(0, named=True)
    only_a = sum(answers[(models[0], i)] == 1 and answers[(models[1], i)] == 0 for i in shared)
    only_b = sum(answers[(models[0], i)] == 0 and answers[(models[1], i)] == 1 for i in shared)
    assert (row["n"], row["only_a"], row["only_b"]) == (len(shared), only_a, only_b)
    assert -1 <= row["ci_low"] <= row["difference"] <= row["ci_high"] <= 1
