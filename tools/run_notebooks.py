"""Run the notebook series headless: ``python tools/run_notebooks.py NOTEBOOK_DIR FIG_DIR``.

Each ``NN_topic.py`` (jupytext percent format) is converted in memory to a notebook and
executed with papermill, with ``FIG_DIR`` and ``EXPORT=True`` injected into its
``parameters`` cell. ``make figures`` calls this; the notebook tests call
:func:`run_notebook` with small parameters.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NOTEBOOK_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.py$")


def list_notebooks(folder: str | Path) -> list[Path]:
    """The series' notebooks (``NN_topic.py``) in ``folder``, in order."""
    return sorted(p for p in Path(folder).glob("*.py") if NOTEBOOK_PATTERN.match(p.name))


def run_notebook(
    path: str | Path, parameters: dict[str, Any] | None = None, *, output: str | Path | None = None
) -> Path:
    """Execute one jupytext notebook with papermill; returns the executed ``.ipynb`` path.

    Parameters
    ----------
    path : path to a ``NN_topic.py`` notebook
    parameters : values injected after the notebook's ``parameters`` cell
    output : where to write the executed notebook (default: a temporary folder)
    """
    import jupytext
    import papermill

    path = Path(path)
    notebook = jupytext.read(path)
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.metadata["language_info"] = {"name": "python"}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / (path.stem + ".ipynb")
        jupytext.write(notebook, source)
        target = Path(output) if output else Path(tempfile.mkdtemp()) / (path.stem + ".ipynb")
        papermill.execute_notebook(
            str(source),
            str(target),
            parameters=parameters or {},
            kernel_name="python3",
            cwd=str(path.parent),
            progress_bar=False,
        )
    return target


def main(argv: list[str]) -> int:
    """Run every notebook in ``argv[0]`` exporting figures to ``argv[1]``."""
    folder, fig_dir = (Path(a).resolve() for a in [*argv, "notebooks", "figures"][:2])
    notebooks = list_notebooks(folder)
    if not notebooks:
        print(f"no notebooks (NN_topic.py) in {folder}: nothing to run")
        return 0
    fig_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for i, nb in enumerate(notebooks, 1):
        t0 = time.perf_counter()
        print(f"[{i}/{len(notebooks)}] {nb.name} ...", flush=True)
        run_notebook(nb, {"FIG_DIR": str(fig_dir), "EXPORT": True})
        print(f"    done in {time.perf_counter() - t0:.1f} s", flush=True)
    print(
        f"{len(notebooks)} notebook(s) in {time.perf_counter() - start:.1f} s; figures in {fig_dir}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
