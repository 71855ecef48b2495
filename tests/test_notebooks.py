"""Every notebook runs top to bottom on small parameters, exports its figures, and drives
its widget by setting a control's value (the notebooks assert that the chart changed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.run_notebooks import list_notebooks, run_notebook

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

SMALL = {
    "00_quickstart.py": ({"N_ITEMS": 200, "N_MODELS": 5}, ["00_depth_curves", "00_forest_region"]),
    "01_building_taxonomies.py": (
        {"SEMEVAL": "science_eurovoc", "N_SHUFFLES": 20, "N_FOLDS": 5},
        ["01_semeval_icicle", "01_rebuilt_vs_chance"],
    ),
    "02_fitting_psychometric_models.py": (
        {
            "N_BOOT": 50,
            "CB_ITEMS": 500,
            "SUBSET_K": 50,
            "SUBSET_SPLITS": 1,
            "IRT_MODELS": "1pl,2pl",
        },
        [
            "02_mathvista_audit",
            "02_mathvista_ability",
            "02_mathvista_wright_map",
            "02_mathvista_profiles",
            "02_mathvista_information",
            "02_chembench_labels",
        ],
    ),
    "03_hierarchy_coherence.py": (
        {"N_ITEMS": 400, "N_CITIES": 200, "N_BOOT": 300},
        ["03_demo_hf", "03_minilm_flat_vs_topdown"],
    ),
    "04_regional_bias.py": (
        {"N_ITEMS": 300, "N_MODELS": 6, "N_BOOT": 200, "N_CITIES": 200, "MIN_GROUP": 10},
        [
            "04_demo_heatmap",
            "04_demo_forest",
            "04_demo_disparity",
            "04_earthwhere_coverage",
            "04_minilm_regions",
            "04_minilm_failure_map",
        ],
    ),
    "05_depth_degradation.py": (
        {"N_ITEMS": 300, "N_MODELS": 6, "N_CITIES": 200},
        [
            "05_demo_accuracy_by_level",
            "05_demo_survival",
            "05_demo_deepest",
            "05_minilm_accuracy_by_level",
            "05_minilm_path_accuracy",
            "05_minilm_slopes_by_group",
            "05_minilm_acc_at_k",
        ],
    ),
    "06_your_own_results.py": (
        {
            "N_ITEMS": 50,
            "N_MODELS": 4,
            "IRT_MIN_MODELS": 4,
            "N_BOOT": 100,
            "MIN_GROUP": 10,
            "IRT_MIN_ITEMS": 20,
            "DEMO_LOGS": ".",
        },  # DEMO_LOGS: made afresh in the test's folder (below)
        ["06_leaderboard", "06_depth_conditional"],
    ),
}
#: What a notebook must print (regular expressions searched in its outputs' text).
PRINTED = {
    "01_building_taxonomies.py": [
        r"2 nodes labelled Paris: \['World / Europe / France / Paris', 'World / Americas / USA / Texas / Paris'\]",
        r"multi-parent terms: \d+ \(first parent kept\)",
        r"nyt: \d+ nodes, \d+ leaf topics, max depth \d+",
        r"rcv1: \d+ nodes, \d+ leaf topics, max depth \d+",
        r"bottom-up: edge F1 0\.\d{3} vs chance 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]; \d+ of 7 measures",
        r"\d+ terms placed back \(5 folds\)",
        r"difference [+-]\d+\.\d% \[[+-]\d+\.\d%, [+-]\d+\.\d%\] on the same \d+ terms",
        r"802 of 1000 items clustered; 198 left out because every model answered them alike "
        r"\(0 all right, 198 all wrong\)",
        r"- MathVista's empirical skill tree",
    ],
    "00_quickstart.py": [
        r"two nodes labelled 'Paris': ids \d+ and \d+, 7 edges apart",
        r"find_label\('Paris'\) -> AmbiguousLabelError",
        r"items every model got right: \d+, every model got wrong: \d+; fitting the other \d+",
        r"rank correlation of estimated and planted ability: -?[01]\.\d{3}",
        r"Aurora at City: 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]",
        r"- The 2PL recovers the planted order",
    ],
    "02_fitting_psychometric_models.py": [
        r"lowest AIC: \dpl, lowest BIC: \dpl",
        r"Spearman\(ability, accuracy\) = -?[01]\.\d{3}",
        r"reversed key: \d+ flagged, \d+\.\d expected by chance \(\d+-\d+\) -> ",
        r"questions per taxonomy depth: \{3: 1000\}",
        r"multiple-choice vs free-form: difficulty [+-]\d\.\d\d logits \[[+-]\d\.\d\d, [+-]\d\.\d\d\]",
        r"task, beyond format: Wald chi2 = \d+\.\d on 4 df, p = \S+; source, beyond its task "
        r"and format: chi2 = \d+\.\d on \d+ df",
        r"Spearman\(label, fitted difficulty\) = -?[01]\.\d{3} \[-?[01]\.\d{3}, -?[01]\.\d{3}\]",
        r"P\(hard fitted harder than intermediate\) = [01]\.\d{3}",
        r"label medians in the labels' order: (True|False)",
        r"- Explanatory IRT: questions sit at 1 taxonomy depth",
    ],
    "03_hierarchy_coherence.py": [
        r"hF by label: 0\.286   hF by node \(hierlab\): 0\.000",
        r"rank correlation of hF with the planted abilities: -?[01]\.\d{3}",
        r"\d+ of \d+ neighbouring pairs are ranked against their abilities",
        r"flat - top-down hF: [+-]\d\.\d{3}  paired 95% interval \[[+-]\d\.\d{3}, [+-]\d\.\d{3}\]",
        r"- MiniLM flat - top-down on \d+ cities",
    ],
    "05_depth_degradation.py": [
        r"rank correlation of planted offsets and conditional accuracy: -?[01]\.\d\d",
        r"largest gap between label and path accuracy: \d\.\d{4}",
        r"MiniLM flat: region right for 0\.\d{3} \[",
        r"Wald z test of the slope difference",
        r"- GeoScore \(0-5000\): top-down \d+ \[\d+, \d+\]",
    ],
    "06_your_own_results.py": [
        r"reading inspect results from ",
        r"200 rows: 4 models x 50 items",
        r"\d+ of 200 rows have no verdict",
        r'choice: FAILED = "drop" -> \d+ rows analysed',
        r"placement rate \(non-abstentions\)",
        r"tier 1 \(tied with it\) holds \d model",
        r"2PL on 4 models x \d+ items",
        r"rank correlation with the planted abilities: -?[01]\.\d{3}",
        r"- The largest loss is at depth \d",
        r"scorer and tree agree on \d+\.\d% of \d+ placed answers",
    ],
}
#: Notebooks that must run without a single warning (nothing written to stderr).
SILENT = {"00_quickstart.py"}
#: Notebooks that need no real data (embedded demo only).
OFFLINE = {"00_quickstart.py", "06_your_own_results.py"}


def test_every_notebook_has_a_small_run() -> None:
    assert sorted(p.name for p in list_notebooks(NOTEBOOKS)) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_and_exports(name: str, tmp_path, request) -> None:
    if name not in OFFLINE:  # the others read real data and MiniLM embeddings
        request.getfixturevalue("data_env")
    if name == "06_your_own_results.py":  # its demo log is made by Inspect AI (the io extra)
        pytest.importorskip("inspect_ai")
    params, figures = SMALL[name]
    if params.get("DEMO_LOGS") == ".":
        params = {**params, "DEMO_LOGS": str(tmp_path / "logs")}
    executed = run_notebook(
        NOTEBOOKS / name,
        {**params, "FIG_DIR": str(tmp_path), "EXPORT": True},
        output=tmp_path / "out.ipynb",
    )
    import re

    import nbformat

    outputs = [
        output
        for cell in nbformat.read(executed, as_version=4).cells
        for output in cell.get("outputs", [])
    ]
    printed = "\n".join(output.get("text", "") for output in outputs)
    for pattern in PRINTED.get(name, []):
        assert re.search(pattern, printed), pattern
    stderr = [o.get("text", "") for o in outputs if o.get("name") == "stderr"]
    if name in SILENT:
        assert not stderr, stderr
    # a chart or table holding NaN or infinity cannot be sent to JupyterLab as JSON
    assert not [t for t in stderr if "JSON compliant" in t], stderr
    for fig in figures:
        for ext in ("svg", "png"):
            assert (tmp_path / f"{fig}.{ext}").stat().st_size > 1000, f"{fig}.{ext}"


def test_notebook_first_cell_is_parameters() -> None:
    import jupytext

    for path in list_notebooks(NOTEBOOKS):
        cells = jupytext.read(path).cells
        code = [c for c in cells if c.cell_type == "code"]
        assert "parameters" in code[0].metadata.get("tags", []), path.name
        assert (
            "FIG_DIR" in code[0].source and "EXPORT" in code[0].source and "SEED" in code[0].source
        )


def test_notebooks_open_with_their_kernel_and_export_to_a_scratch_folder() -> None:
    """Opened in JupyterLab, a notebook needs no "Select Kernel" and an interactive run never
    writes into figures/ (only ``make figures`` passes that folder)."""
    import ast

    import jupytext

    for path in list_notebooks(NOTEBOOKS):
        notebook = jupytext.read(path)
        assert notebook.metadata["kernelspec"]["name"] == "python3", path.name
        assert path.read_text().startswith("# ---\n# jupyter:\n#   kernelspec:"), path.name
        parameters = next(c for c in notebook.cells if c.cell_type == "code")
        values = {
            node.target.id: ast.literal_eval(node.value)
            for node in ast.parse(parameters.source).body
            if isinstance(node, ast.AnnAssign)
        }
        assert "figures" not in values["FIG_DIR"], path.name
        setup = [c for c in notebook.cells if c.cell_type == "code"][1].source
        assert "plot.setup_notebook(globals()" in setup, path.name


def test_the_runner_checks_parameters_before_running(tmp_path) -> None:
    from hierlab.errors import InputTypeError, InvalidValueError
    from tools.run_notebooks import declared_parameters, main

    quickstart = NOTEBOOKS / "00_quickstart.py"
    assert declared_parameters(quickstart)["N_ITEMS"] is int
    with pytest.raises(InputTypeError, match=r"N_ITEMS is '600' \(str\); it must be int"):
        run_notebook(quickstart, {"N_ITEMS": "600"}, output=tmp_path / "out.ipynb")
    with pytest.raises(InvalidValueError, match="no parameter.*N_ITMES.*N_ITEMS"):
        run_notebook(quickstart, {"N_ITMES": 600}, output=tmp_path / "out.ipynb")
    assert not (tmp_path / "out.ipynb").exists()  # nothing ran
    assert main([str(tmp_path), str(tmp_path / "figs"), "--only", "99"]) == 1
