"""MathVista testmini: 23 systems x 1,000 items with a category > task > source taxonomy."""

from __future__ import annotations

import json

import polars as pl

from hierlab.datasets._download import MATHVISTA, fetch_file
from hierlab.datasets.benchmark import BenchmarkResults, long_to_wide
from hierlab.datasets.card import DatasetCard
from hierlab.errors import InputTypeError
from hierlab.tree import Tree

__all__ = ["MATHVISTA_SYSTEMS", "fetch_mathvista"]

#: Result file (under results/) -> (model id, display name, family, setting, baseline?)
MATHVISTA_SYSTEMS: dict[str, tuple[str, str, str, str, bool]] = {
    "bard/output_bard.json": ("bard", "Multimodal Bard", "Bard", "zero-shot, multimodal", False),
    "chatgpt/output_chatgpt.json": ("chatgpt", "ChatGPT", "ChatGPT", "zero-shot, text only", False),
    "chatgpt/output_chatgpt_2shot_solution.json": (
        "chatgpt_2shot_cot",
        "ChatGPT (2-shot CoT)",
        "ChatGPT",
        "2-shot CoT",
        False,
    ),
    "chatgpt/output_chatgpt_2shot_code.json": (
        "chatgpt_2shot_pot",
        "ChatGPT (2-shot PoT)",
        "ChatGPT",
        "2-shot PoT",
        False,
    ),
    "chatgpt/output_chatgpt_2shot_solution_use_ocr.json": (
        "chatgpt_2shot_cot_ocr",
        "ChatGPT (2-shot CoT + OCR)",
        "ChatGPT",
        "2-shot CoT + OCR",
        False,
    ),
    "chatgpt/output_chatgpt_2shot_code_use_ocr.json": (
        "chatgpt_2shot_pot_ocr",
        "ChatGPT (2-shot PoT + OCR)",
        "ChatGPT",
        "2-shot PoT + OCR",
        False,
    ),
    "claude/output_claude.json": ("claude2", "Claude-2", "Claude-2", "zero-shot, text only", False),
    "claude/output_claude_2shot_solution.json": (
        "claude2_2shot_cot",
        "Claude-2 (2-shot CoT)",
        "Claude-2",
        "2-shot CoT",
        False,
    ),
    "claude/output_claude_2shot_solution_use_ocr.json": (
        "claude2_2shot_cot_ocr",
        "Claude-2 (2-shot CoT + OCR)",
        "Claude-2",
        "2-shot CoT + OCR",
        False,
    ),
    "gpt4/output_gpt4.json": ("gpt4", "GPT-4", "GPT-4", "zero-shot, text only", False),
    "gpt4/output_gpt4_2shot_solution.json": (
        "gpt4_2shot_cot",
        "GPT-4 (2-shot CoT)",
        "GPT-4",
        "2-shot CoT",
        False,
    ),
    "gpt4/output_gpt4_2shot_code.json": (
        "gpt4_2shot_pot",
        "GPT-4 (2-shot PoT)",
        "GPT-4",
        "2-shot PoT",
        False,
    ),
    "gpt4/output_gpt4_2shot_solution_use_ocr.json": (
        "gpt4_2shot_cot_ocr",
        "GPT-4 (2-shot CoT + OCR)",
        "GPT-4",
        "2-shot CoT + OCR",
        False,
    ),
    "gpt4/output_gpt4_2shot_code_use_ocr.json": (
        "gpt4_2shot_pot_ocr",
        "GPT-4 (2-shot PoT + OCR)",
        "GPT-4",
        "2-shot PoT + OCR",
        False,
    ),
    "idefics/output_idefics_9b_instruct.json": (
        "idefics_9b",
        "IDEFICS (9B-Instruct)",
        "IDEFICS",
        "zero-shot, multimodal",
        False,
    ),
    "instruct_blip2/output_instruct_blip2_vicuna_13b.json": (
        "instructblip_13b",
        "InstructBLIP (Vicuna-13B)",
        "InstructBLIP",
        "zero-shot, multimodal",
        False,
    ),
    "llama_adapter_v2/output_llama_adapter_v2.json": (
        "llama_adapter_v2",
        "LLaMA-Adapter-V2 (7B)",
        "LLaMA-Adapter",
        "zero-shot, multimodal",
        False,
    ),
    "llava/output_llava_llama_2_13b.json": (
        "llava_13b",
        "LLaVA (LLaMA-2-13B)",
        "LLaVA",
        "zero-shot, multimodal",
        False,
    ),
    "llavar/output_llavar.json": ("llavar", "LLaVAR", "LLaVAR", "zero-shot, multimodal", False),
    "minigpt4/output_minigpt4_llama2.json": (
        "minigpt4_7b",
        "miniGPT-4 (LLaMA-2-7B)",
        "miniGPT-4",
        "zero-shot, multimodal",
        False,
    ),
    "mplugowl/output_mplugowl_7b_ft.json": (
        "mplug_owl_7b",
        "mPLUG-Owl (LLaMA-7B)",
        "mPLUG-Owl",
        "zero-shot, multimodal",
        False,
    ),
    "random/output_frequent_guess.json": (
        "frequent_guess",
        "Frequent guess",
        "baseline",
        "most frequent answer",
        True,
    ),
    "random/output_random_guess.json": (
        "random_guess",
        "Random chance",
        "baseline",
        "random answer",
        True,
    ),
}


def _scores(path: object) -> dict[str, bool | None]:
    """Read ``pid -> true_false`` from one output file (only that field is kept)."""
    with open(path, encoding="utf-8") as fh:  # type: ignore[arg-type]
        data = json.load(fh)
    return {pid: rec.get("true_false") for pid, rec in data.items()}


def fetch_mathvista(include_baselines: bool = True) -> BenchmarkResults:
    """Return MathVista testmini results of 23 systems (21 models/settings and 2 baselines).

    Correctness is each output file's own ``true_false`` field (the repository's scoring).
    Items carry their metadata (category, task, source dataset, context, grade,
    language, skills, question and answer types) and a node of the declared taxonomy
    ``MathVista > category > task > source``.

    Parameters
    ----------
    include_baselines : bool, default True
        Keep the random-chance and frequent-guess baselines (flagged in ``models``).

    Returns
    -------
    BenchmarkResults
        Long and wide results, item and model metadata, the taxonomy and the card.

    Examples
    --------
    >>> mv = fetch_mathvista()
    >>> mv.matrix.shape
    (23, 1001)
    """
    if not isinstance(include_baselines, bool):
        raise InputTypeError(
            f"`include_baselines` must be True or False, got {type(include_baselines).__name__}."
        )
    testmini = json.loads(fetch_file(f"{MATHVISTA}/data/testmini.json").read_text(encoding="utf-8"))
    pids = list(testmini)
    meta = [testmini[p]["metadata"] for p in pids]
    items = pl.DataFrame(
        {
            "item": pids,
            "category": [m["category"] for m in meta],
            "task": [m["task"] for m in meta],
            "source": [m["source"] for m in meta],
            "context": [m["context"] for m in meta],
            "grade": [m["grade"] for m in meta],
            "language": [m["language"] for m in meta],
            "skills": [list(m.get("skills") or []) for m in meta],
            "question_type": [testmini[p]["question_type"] for p in pids],
            "answer_type": [testmini[p]["answer_type"] for p in pids],
            "question": [testmini[p]["question"] for p in pids],
            "answer": [str(testmini[p]["answer"]) for p in pids],
        },
        schema_overrides={"skills": pl.List(pl.String)},
    )
    tree = Tree.from_levels(items, levels=["category", "task", "source"], root="MathVista")
    items = items.with_columns(
        node=pl.Series(
            tree.find(items.select(pl.concat_list("category", "task", "source")).to_series())
        )
    )
    frames, model_rows = [], []
    for rel, (model, name, family, setting, baseline) in MATHVISTA_SYSTEMS.items():
        if baseline and not include_baselines:
            continue
        scores = _scores(fetch_file(f"{MATHVISTA}/results/{rel}"))
        frames.append(
            pl.DataFrame(
                {
                    "model": model,
                    "item": pids,
                    "correct": [
                        None if scores.get(p) is None else float(bool(scores[p])) for p in pids
                    ],
                },
                schema_overrides={"correct": pl.Float64},
            )
        )
        model_rows.append((model, name, family, setting, baseline))
    responses = pl.concat(frames)
    models = pl.DataFrame(
        model_rows, schema=["model", "name", "family", "setting", "is_baseline"], orient="row"
    )
    card = DatasetCard(
        name="MathVista testmini results",
        description=(
            "Mathematical reasoning in visual contexts: the 1,000-item testmini split with "
            "the per-item outputs of the systems evaluated in the MathVista paper, scored by "
            "the repository (true_false)."
        ),
        source="lupantech/MathVista @ 53d5258 (data/testmini.json, results/*/output_*.json)",
        urls=(f"{MATHVISTA}/data/testmini.json", f"{MATHVISTA}/results/"),
        license="CC BY-SA 4.0 (data); the testmini split is for evaluation only, not training",
        citation=(
            "Lu, P., Bansal, H., Xia, T., Liu, J., Li, C., Hajishirzi, H., Cheng, H., Chang, "
            "K.-W., Galley, M., Gao, J. (2024). MathVista: Evaluating Mathematical Reasoning "
            "of Foundation Models in Visual Contexts. ICLR 2024."
        ),
        sizes={
            "models": models.height,
            "items": items.height,
            "scored_cells": int(responses["correct"].count()),
            "taxonomy_nodes": tree.n_nodes,
        },
        columns={
            "model": "system id (see models: name, family, setting, is_baseline)",
            "item": "testmini problem id (pid)",
            "correct": "1 if the repository scored the output correct, 0 if not, null if unscored",
            "category / task / source": "declared taxonomy levels",
            "skills": "reasoning skills (multi-label)",
        },
        caveats=(
            "ChatGPT's zero-shot file leaves 2 items unscored (null here; the paper counts "
            "them wrong, which moves its accuracy by 0.05 points).",
            "Frequent guess and random chance are baselines, not models (is_baseline).",
            "The leaderboard submission template equals the frequent-guess file and is "
            "not included.",
        ),
    )
    return BenchmarkResults(
        responses=responses,
        matrix=long_to_wide(responses, pids),
        items=items,
        models=models,
        tree=tree,
        card=card,
    )
