"""ChemBench as released for IRT analysis: 22 LLMs x 2,854 questions, 0/1."""

from __future__ import annotations

import json

import polars as pl

from hierlab.datasets._download import CHEMBENCH, fetch_file
from hierlab.datasets.benchmark import BenchmarkResults, long_to_wide
from hierlab.datasets.card import DatasetCard

__all__ = ["fetch_chembench"]


def fetch_chembench() -> BenchmarkResults:
    """Return ChemBench's binary "all correct" matrix of 22 named LLMs on 2,854 questions.

    The source matrix has questions as rows; hierlab returns models as rows. Items carry
    the benchmark's easy / intermediate / hard label; ``models`` carries the score each
    model has in the source's own summary file (``reported_score``).

    Returns
    -------
    BenchmarkResults
        Long and wide results, item and model metadata (no taxonomy) and the card.

    Examples
    --------
    >>> cb = fetch_chembench()
    >>> cb.matrix.shape
    (22, 2855)
    """
    source = pl.read_csv(fetch_file(f"{CHEMBENCH}/results/binary_matrix.csv"))
    index_col = source.columns[0]
    model_names = source.columns[1:]
    item_ids = [str(i) for i in source[index_col].to_list()]
    responses = (
        source.rename({index_col: "item"})
        .with_columns(pl.col("item").cast(pl.String))
        .unpivot(index="item", variable_name="model", value_name="correct")
        .select("model", "item", pl.col("correct").cast(pl.Float64))
    )
    difficulty = json.loads(fetch_file(f"{CHEMBENCH}/data/difficulty_dict.json").read_text())
    labels = {str(i): level for level, ids in difficulty.items() for i in ids}
    items = pl.DataFrame(
        {"item": item_ids, "difficulty": [labels.get(i) for i in item_ids]},
        schema_overrides={"difficulty": pl.String},
    )
    reported = pl.read_csv(fetch_file(f"{CHEMBENCH}/data/model_score_allcorrect.csv"))
    reported = reported.rename({reported.columns[0]: "model", "score": "reported_score"})
    models = pl.DataFrame({"model": model_names}).join(
        reported, on="model", how="left", maintain_order="left"
    )
    card = DatasetCard(
        name="ChemBench (IRT release)",
        description=(
            "Chemistry knowledge and reasoning questions answered by 22 LLMs and tool-using "
            "systems, scored all-correct (1) or not (0), as released for item response "
            "theory analysis."
        ),
        source="lamalab-org/irt-on-bench @ a914cea (results/binary_matrix.csv, data/)",
        urls=(f"{CHEMBENCH}/results/binary_matrix.csv", f"{CHEMBENCH}/data/difficulty_dict.json"),
        license="MIT",
        citation=(
            "Mirza, A., Alampara, N., Kunchapu, S., et al. (2025). A framework for evaluating "
            "the chemical knowledge and reasoning abilities of large language models against "
            "the expertise of chemists. Nature Chemistry. IRT release: lamalab-org/irt-on-bench "
            "(GitHub repository, commit a914cea)."
        ),
        sizes={
            "models": models.height,
            "items": items.height,
            "scored_cells": int(responses["correct"].count()),
        },
        columns={
            "model": "LLM or system name as in the source",
            "item": "question index in the source matrix",
            "correct": "1 if all parts of the answer were correct, else 0",
            "difficulty": "the benchmark's easy / intermediate / hard label",
            "reported_score": "the model's score in the source's summary file",
        },
    )
    return BenchmarkResults(
        responses=responses,
        matrix=long_to_wide(responses, item_ids),
        items=items,
        models=models,
        tree=None,
        card=card,
    )
