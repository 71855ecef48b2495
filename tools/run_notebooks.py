"""Run the notebook series headless: ``python tools/run_notebooks.py NOTEBOOK_DIR FIG_DIR``.

Each ``NN_topic.py`` (jupytext percent format) is converted to a notebook and executed with
papermill, with ``FIG_DIR`` (the real figure folder) and ``EXPORT=True`` injected into its
``parameters`` cell; an interactive run of the same notebook exports to its own scratch
folder instead. Parameters are checked against the parameters cell's annotations before
anything runs. Progress is printed per notebook, with the cell being run and the elapsed
time every 15 s; the executed notebooks go to a temporary folder that is removed at the
end (``--keep DIR`` keeps them). ``make figures`` calls this; the notebook tests call
:func:`run_notebook` with small parameters.

Options: ``--only NAME`` (repeatable) runs only the notebooks whose file name starts with
NAME; ``--keep DIR`` writes the executed notebooks to DIR.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

NOTEBOOK_PATTERN = re.compile(r"^\d\d_[a-z0-9_]+\.py$")
HEARTBEAT_SECONDS = 15.0


def list_notebooks(folder: str | Path) -> list[Path]:
    """The series' notebooks (``NN_topic.py``) in ``folder``, in order."""
    return sorted(p for p in Path(folder).glob("*.py") if NOTEBOOK_PATTERN.match(p.name))


def declared_parameters(path: str | Path) -> dict[str, type]:
    """The parameters a notebook declares: ``NAME: type = value`` lines of its parameters cell."""
    import jupytext

    notebook = jupytext.read(Path(path))
    for cell in notebook.cells:
        if cell.cell_type == "code" and "parameters" in cell.metadata.get("tags", []):
            declared = {}
            for node in ast.parse(cell.source).body:
                if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                    annotation = ast.unparse(node.annotation)
                    declared[node.target.id] = {
                        "int": int,
                        "float": float,
                        "str": str,
                        "bool": bool,
                    }.get(annotation, object)
            return declared
    return {}


def check_parameters(path: str | Path, parameters: dict[str, Any]) -> None:
    """Refuse parameters the notebook does not declare, or of another type than declared.

    Raises hierlab's InvalidValueError (unknown names) or InputTypeError (wrong types),
    naming the parameter, the value and the type it needs.
    """
    from hierlab.errors import InvalidValueError
    from hierlab.plot import check_parameters as check_types

    declared = declared_parameters(path)
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise InvalidValueError(
            f"{Path(path).name} has no parameter(s) {', '.join(unknown)}; its parameters are "
            f"{', '.join(declared) or '(none)'}."
        )
    annotations = {k: v for k, v in declared.items() if k in parameters and v is not object}
    check_types({**parameters, "__annotations__": annotations})


def _progress(target: Path, label: str, start: float, stop: threading.Event) -> None:
    """Print the running cell and the elapsed time every HEARTBEAT_SECONDS until stopped."""
    while not stop.wait(HEARTBEAT_SECONDS):
        where = ""
        try:
            cells = json.loads(target.read_text(encoding="utf-8"))["cells"]
            code = [c for c in cells if c.get("cell_type") == "code"]
            done = sum(
                1 for c in code if c.get("metadata", {}).get("papermill", {}).get("end_time")
            )
            where = f"cell {min(done + 1, len(code))}/{len(code)}, "
        except (OSError, ValueError, KeyError):  # not written yet, or being written
            pass
        print(f"    {label}: {where}{time.perf_counter() - start:.0f} s", flush=True)


def run_notebook(
    path: str | Path,
    parameters: dict[str, Any] | None = None,
    *,
    output: str | Path,
    progress: bool = False,
) -> Path:
    """Execute one jupytext notebook with papermill; returns the executed ``.ipynb`` path.

    Parameters
    ----------
    path : path to a ``NN_topic.py`` notebook
    parameters : values injected after the notebook's ``parameters`` cell (checked first)
    output : where to write the executed notebook
    progress : print the running cell and the elapsed time every 15 s
    """
    import jupytext
    import papermill

    path = Path(path)
    parameters = dict(parameters or {})
    check_parameters(path, parameters)
    notebook = jupytext.read(path)
    notebook.metadata.setdefault(
        "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"}
    )
    notebook.metadata["language_info"] = {"name": "python"}
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    watcher = None
    if progress:
        watcher = threading.Thread(
            target=_progress, args=(target, path.name, time.perf_counter(), stop), daemon=True
        )
        watcher.start()
    try:
        with tempfile.TemporaryDirectory(prefix="hierlab-nb-") as tmp:
            source = Path(tmp) / (path.stem + ".ipynb")
            jupytext.write(notebook, source)
            papermill.execute_notebook(
                str(source),
                str(target),
                parameters=parameters,
                kernel_name=notebook.metadata["kernelspec"].get("name", "python3"),
                cwd=str(path.parent),
                progress_bar=False,
                # the kernel talks to this process over 127.0.0.1; its start-up notice
                # about unencrypted TCP would only interleave with the progress lines
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
    finally:
        stop.set()
        if watcher is not None:
            watcher.join()
    return target


def main(argv: list[str]) -> int:
    """Run the notebooks of a folder, exporting their figures to a folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="?", default="notebooks")
    parser.add_argument("figures", nargs="?", default="figures")
    parser.add_argument("--only", action="append", default=[], metavar="NAME")
    parser.add_argument("--keep", metavar="DIR", help="keep the executed notebooks in DIR")
    args = parser.parse_args(argv)
    folder, fig_dir = Path(args.notebooks).resolve(), Path(args.figures).resolve()
    notebooks = [
        nb for nb in list_notebooks(folder) if not args.only or nb.name.startswith(tuple(args.only))
    ]
    if not notebooks:
        print(f"no notebooks (NN_topic.py) to run in {folder}")
        return 1 if args.only else 0
    fig_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hierlab-executed-") as tmp:
        out_dir = Path(args.keep).resolve() if args.keep else Path(tmp)
        for i, nb in enumerate(notebooks, 1):
            t0 = time.perf_counter()
            print(f"[{i}/{len(notebooks)}] {nb.name} ...", flush=True)
            before = {p: p.stat().st_mtime_ns for p in fig_dir.glob("*") if p.is_file()}
            run_notebook(
                nb,
                {"FIG_DIR": str(fig_dir), "EXPORT": True},
                output=out_dir / (nb.stem + ".ipynb"),
                progress=True,
            )
            wrote = sorted(
                p.name
                for p in fig_dir.glob("*")
                if p.is_file() and before.get(p) != p.stat().st_mtime_ns
            )
            print(
                f"    done in {time.perf_counter() - t0:.1f} s; wrote {len(wrote)} file(s)",
                flush=True,
            )
    kept = f"; executed notebooks in {args.keep}" if args.keep else ""
    print(
        f"{len(notebooks)} notebook(s) in {time.perf_counter() - start:.1f} s; figures in "
        f"{fig_dir}{kept}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
