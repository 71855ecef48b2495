"""`import hierlab` stays light: no plotting, statistics or widget libraries at import."""

from __future__ import annotations

import json
import subprocess
import sys


def test_import_does_not_pull_heavy_libraries() -> None:
    code = (
        "import sys, json, hierlab; "
        "print(json.dumps(sorted(m for m in ('altair', 'statsmodels', 'ipywidgets', "
        "'vl_convert', 'girth', 'networkx', 'scipy.cluster', 'torch') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_data_widgets_and_experiments_import_light() -> None:
    code = (
        "import sys, json, hierlab.datasets, hierlab.experiments, hierlab.widgets; "
        "print(json.dumps(sorted(m for m in ('altair', 'ipywidgets', 'vl_convert', 'pooch', "
        "'torch', 'sentence_transformers') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_public_names() -> None:
    import hierlab

    assert hierlab.Tree.__module__ == "hierlab.tree"
    assert hierlab.__version__
    import hierlab.datasets
    import hierlab.experiments

    assert "data_home" not in hierlab.datasets.__all__  # it lives in hierlab.settings
    assert hierlab.experiments.__all__ == ["GeolocationExperiment", "minilm_geolocation"]
