"""MathVista (23 systems x 1,000 items): the diagnostics' numbers, findings against chance.

Run with ``HIERLAB_DATA_MIRROR=... python benchmarks/mathvista_diagnostics.py`` (needs the
dataset; about half a minute of CPU). Prints the audit against its chance expectation,
the topic profiles with and without the question-type adjustment, and the fit statistics.
"""

from __future__ import annotations

import warnings

import polars as pl

from hierlab.datasets import fetch_mathvista
from hierlab.errors import HierlabWarning
from hierlab.irt import audit_items, fit_irt, item_fit, local_dependence, person_fit, topic_profiles


def main() -> None:
    mv = fetch_mathvista()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HierlabWarning)  # 198 never-solved items, reported below
        fit = fit_irt(mv.matrix, "2pl")
    audit = audit_items(fit, baseline="random_guess", strong=3, n_boot=200, seed=0)
    print("audit:", audit.headline())
    with pl.Config(tbl_rows=10, fmt_str_lengths=80):
        print(
            audit.rules.select(
                "rule", "kind", "flagged", "expected", "chance_low", "chance_high", "note"
            )
        )
    for adjust in (None, "question_type"):
        tp = topic_profiles(fit, mv.items, group="task", min_items=50, adjust_for=adjust)
        p = tp.profiles
        print(f"profiles (adjusted for {adjust}): {p['spiky'].sum()} of {p.height} cells spiky")
        print(
            p.filter(pl.col("spiky") | (pl.col("model") == "random_guess")).select(
                "model",
                "topic",
                "observed",
                "expected",
                "excess",
                "excess_se",
                "p_adjusted",
                "spiky",
            )
        )
    it = item_fit(fit).table
    print(f"S-X2: {it['flagged'].sum()} misfitting of {it['p_value'].is_not_null().sum()} tested")
    ld = local_dependence(fit, n_boot=50, seed=0)
    print(
        f"Q3: {ld.over_cutoff} of {ld.n_pairs} pairs over {ld.cutoff}, "
        f"{ld.expected_over_cutoff:.0f} expected by chance; {ld.pairs['flagged'].sum()} flagged"
    )
    print("lz* flagged:", person_fit(fit).table.filter("flagged")["model"].to_list())


if __name__ == "__main__":
    main()
