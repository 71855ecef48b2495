"""Notebook set-up: offline charts, the paper theme, display names and parameter checks.

One call at the top of a notebook, :func:`setup_notebook`, makes every chart and explorer
render without a network (Altair's JupyterChart with the Vega JavaScript bundled from
vl-convert, instead of loading it from a CDN), enables the paper theme, registers the
vendored font, shows models under their display names, and checks the notebook's
parameters against their type annotations.

Renderers: ``"jupyter"`` (the default) draws interactive charts in JupyterLab 4,
Notebook 7 and VS Code, which display Jupyter widgets; ``"svg"`` draws static SVG made
by vl-convert in the kernel, which every front end shows (including nbviewer, GitHub and
HTML exports), but explorers need widgets either way.

Examples
--------
>>> N_ITEMS: int = 600
>>> check_parameters({"N_ITEMS": 600, "__annotations__": {"N_ITEMS": int}})
{'N_ITEMS': 600}
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hierlab.errors import InputShapeError, InputTypeError, InvalidValueError, format_items
from hierlab.plot._common import MAX_ROWS
from hierlab.plot.theme import enable_theme, register_fonts

__all__ = [
    "RENDERERS",
    "check_parameters",
    "display_names",
    "export_folder",
    "set_display_names",
    "setup_notebook",
]

#: The renderers :func:`setup_notebook` offers.
RENDERERS = ("jupyter", "svg")
TRANSFORMER = "hierlab"
_state: dict[str, Any] = {"names": {}, "folder": Path("exports")}
_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


def set_display_names(names: Mapping[str, str] | None) -> dict[str, str]:
    """Show models under display names in every chart: axes, legends, labels and tooltips.

    Pass the mapping once (model id -> name to show, e.g. ``{"gpt-4-0613": "GPT-4"}``);
    every text value of a chart's data that equals a key is shown as its display name,
    in the notebook, in explorers and in exports. Data and results keep the ids.

    Parameters
    ----------
    names : mapping of str to str or None
        Model id -> display name. None or an empty mapping shows the ids again.

    Returns
    -------
    dict of str to str
        The display names now in force.

    Examples
    --------
    >>> set_display_names({"gpt-4-0613": "GPT-4"})
    {'gpt-4-0613': 'GPT-4'}
    >>> set_display_names(None)
    {}
    """
    if names is None:
        _state["names"] = {}
        return {}
    if not isinstance(names, Mapping):
        raise InputTypeError(
            "`names` must map model ids to display names (a dict such as "
            f"{{'gpt-4-0613': 'GPT-4'}}), got {type(names).__name__}."
        )
    bad = [k for k, v in names.items() if not (isinstance(k, str) and isinstance(v, str))]
    if bad:
        raise InputTypeError(
            f"Display names map text to text; the entries for {format_items(bad)} are not "
            "(write model ids and names as strings)."
        )
    empty = [k for k, v in names.items() if not v.strip()]
    if empty:
        raise InvalidValueError(
            f"The display names of {format_items(empty)} are empty; give every model a name."
        )
    shown: dict[str, list[str]] = {}
    for key, value in names.items():
        shown.setdefault(value, []).append(key)
    clashes = {v: ks for v, ks in shown.items() if len(ks) > 1}
    if clashes:
        first = next(iter(clashes))
        raise InvalidValueError(
            f"Display name {first!r} is given to {format_items(clashes[first])}; charts could "
            "not tell them apart. Give each model its own name."
        )
    _state["names"] = dict(names)
    return dict(_state["names"])


def display_names() -> dict[str, str]:
    """Return the display names in force (model id -> name shown in charts).

    Returns
    -------
    dict of str to str

    Examples
    --------
    >>> display_names()
    {}
    """
    return dict(_state["names"])


def export_folder() -> Path:
    """Return the folder that the explorers' "export this view" buttons write to.

    It is ``exports`` (beside the notebook) unless :func:`setup_notebook` was given
    ``folder=``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> export_folder().name
    'exports'
    """
    return Path(_state["folder"])


def _rename(data: Any) -> Any:
    """Replace model ids by display names in every text column of a polars or pandas table."""
    names = _state["names"]
    if not names:
        return data
    import polars as pl

    if isinstance(data, pl.DataFrame):
        text = [c for c, t in data.schema.items() if t in (pl.String, pl.Categorical)]
        if not text:
            return data
        return data.with_columns(pl.col(c).cast(pl.String).replace(names).alias(c) for c in text)
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover - altair depends on pandas-free narwhals
        return data
    if isinstance(data, pd.DataFrame):
        out = data.copy()
        for column in out.columns:
            if out[column].dtype == object or isinstance(out[column].dtype, pd.StringDtype):
                out[column] = out[column].replace(names)
        return out
    return data


def _rows(data: Any) -> int | None:
    """Return the number of rows of a table, or None when it is not a table."""
    shape = getattr(data, "shape", None)
    if isinstance(shape, tuple) and shape:
        return int(shape[0])
    return None


def data_transformer(data: Any, max_rows: int = MAX_ROWS) -> Any:
    """Altair data transformer: display names, hierlab's row-limit message, inline values.

    Internal (registered with Altair as ``"hierlab"``); the table becomes inline values as
    with Altair's default transformer, so charts stay self-contained and offline.
    """
    from altair.vegalite.data import default_data_transformer

    rows = _rows(data)
    if rows is not None and max_rows is not None and rows > max_rows:
        raise InputShapeError(
            f"The chart's data has {rows:,} rows, over the {max_rows:,}-row limit of charts "
            "(every row is embedded in the notebook and the exported file); aggregate first "
            "(for example group by model and group in polars) or chart a subset."
        )
    return default_data_transformer(_rename(data), max_rows=max_rows)


def use_data_transformer() -> Any:
    """Enable hierlab's data transformer; returns Altair's enabler (a context manager)."""
    import altair as alt

    if TRANSFORMER not in alt.data_transformers.names():
        alt.data_transformers.register(TRANSFORMER, data_transformer)
    return alt.data_transformers.enable(TRANSFORMER)


def check_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Check notebook parameters against their annotations (``N_ITEMS: int = 600``).

    A parameter set to a value of another type (``"600"`` where an ``int`` is annotated,
    as papermill's ``-p`` or an edit can produce) is named with its value and the type
    it needs, instead of failing later deep inside a computation. ``bool`` is not
    accepted for ``int`` or ``float``; an ``int`` is accepted for ``float``.

    Parameters
    ----------
    namespace : mapping
        The notebook's namespace (``globals()``), or any mapping with the values and an
        ``__annotations__`` mapping of names to ``int``, ``float``, ``str`` or ``bool``.

    Returns
    -------
    dict
        The annotated parameters and their values.

    Examples
    --------
    >>> check_parameters({"SEED": 0, "__annotations__": {"SEED": int}})
    {'SEED': 0}
    >>> check_parameters({"SEED": "0", "__annotations__": {"SEED": int}})
    Traceback (most recent call last):
    ...
    hierlab.errors.InputTypeError: Notebook parameter SEED is '0' (str); it must be int: write SEED = 0.
    """
    if not isinstance(namespace, Mapping):
        raise InputTypeError(
            "`namespace` must be the notebook's namespace (pass globals()), got "
            f"{type(namespace).__name__}."
        )
    annotations = namespace.get("__annotations__", {})
    if not isinstance(annotations, Mapping):
        raise InputTypeError("`namespace['__annotations__']` must map names to types.")
    checked: dict[str, Any] = {}
    problems = []
    for name, annotation in annotations.items():
        if name not in namespace:
            continue
        expected = _TYPES.get(annotation) if isinstance(annotation, str) else annotation
        if expected not in _TYPES.values():
            continue
        value = namespace[name]
        checked[name] = value
        if _fits(value, expected):
            continue
        problems.append(_advice(name, value, expected))
    if problems:
        raise InputTypeError(" ".join(problems))
    return checked


def _fits(value: Any, expected: type) -> bool:
    """Whether ``value`` is a valid value of a parameter annotated ``expected``."""
    if expected is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if expected is float:
        return isinstance(value, int | float)
    return isinstance(value, expected)


def _advice(name: str, value: Any, expected: type) -> str:
    """Return the message for one mistyped parameter, with the value the user likely meant."""
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    hint = ""
    if isinstance(value, str):
        text = value.strip()
        try:
            if expected is int:
                hint = f" write {name} = {int(text)}"
            elif expected is float:
                hint = f" write {name} = {float(text)}"
            elif expected is bool and text.lower() in ("true", "false"):
                hint = f" write {name} = {text.lower() == 'true'}"
        except ValueError:
            hint = ""
    if not hint:
        article = "an" if expected.__name__[0] in "aeiou" else "a"
        hint = f" give {name} {article} {expected.__name__} value"
    return (
        f"Notebook parameter {name} is {shown} ({type(value).__name__}); it must be "
        f"{expected.__name__}:{hint}."
    )


def setup_notebook(
    parameters: Mapping[str, Any] | None = None,
    *,
    renderer: str = "jupyter",
    display_names: Mapping[str, str] | None = None,
    folder: str | Path | None = None,
) -> None:
    """Set up plotting in a notebook: offline charts, the paper theme, display names.

    Call it once, in the first cell after the parameters: ``plot.setup_notebook(globals(),
    folder=FIG_DIR)``. It

    * checks the notebook's parameters against their annotations
      (:func:`check_parameters`);
    * renders charts without a network: ``renderer="jupyter"`` bundles the Vega
      JavaScript from vl-convert into Altair's JupyterChart widget (a CDN is never
      contacted; interactive charts in JupyterLab, Notebook 7 and VS Code), ``"svg"``
      draws static SVG in the kernel (any front end, also nbviewer and HTML exports);
      the explorers of :mod:`hierlab.widgets` are offline either way;
    * enables the paper theme and registers the vendored font;
    * shows models under ``display_names`` (:func:`set_display_names`);
    * gives charts over 5,000 rows hierlab's "aggregate first" message.

    Parameters
    ----------
    parameters : mapping, optional
        The notebook's namespace (``globals()``) whose annotated parameters are checked.
    renderer : {"jupyter", "svg"}, default "jupyter"
        How charts are drawn in the notebook (see above).
    display_names : mapping of str to str, optional
        Model id -> the name charts show; kept for the whole session.
    folder : str or pathlib.Path, optional
        Where the explorers' "export this view" buttons write (default ``exports``).

    Returns
    -------
    None

    Examples
    --------
    >>> setup_notebook(renderer="svg", display_names={"m1": "Model one"})
    >>> import altair as alt
    >>> alt.renderers.active, alt.theme.active, alt.data_transformers.active
    ('svg', 'hierlab_paper', 'hierlab')
    >>> set_display_names(None)
    {}
    """
    if parameters is not None:
        check_parameters(parameters)
    if not isinstance(renderer, str):
        raise InputTypeError(f"`renderer` must be text, got {type(renderer).__name__}.")
    if renderer not in RENDERERS:
        raise InvalidValueError(
            f"`renderer` must be one of {', '.join(map(repr, RENDERERS))}, got {renderer!r}."
        )
    if folder is not None and not isinstance(folder, str | Path):
        raise InputTypeError(
            f"`folder` must be a folder path (text or pathlib.Path), got {type(folder).__name__}."
        )
    if display_names is not None:
        set_display_names(display_names)
    import altair as alt

    enable_theme()
    register_fonts()
    use_data_transformer()
    if renderer == "jupyter":
        offline_widgets()
        alt.renderers.enable("jupyter", offline=True)
    else:
        alt.renderers.enable("svg")
    if folder is not None:
        _state["folder"] = Path(folder)


def offline_widgets() -> None:
    """Make Altair's JupyterChart load Vega from the kernel (vl-convert), never from a CDN.

    Internal; idempotent (the bundle is built once per process, about 2 s).
    """
    try:
        import altair as alt

        alt.JupyterChart.enable_offline(True)
    except ImportError as err:  # anywidget is part of the notebooks extra
        from hierlab.errors import MissingDependencyError

        raise MissingDependencyError(
            "Interactive charts need anywidget and ipywidgets: pip install "
            f"'hierlab[notebooks]' ({err})."
        ) from err
