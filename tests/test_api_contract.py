"""The public API keeps its promises: one vocabulary, keyword-only options, complete
numpy-style docs with examples, hierlab's own errors for wrong types, and a clean layering.

The vocabulary is ``docs/glossary.md``; the layering is the table ``LAYERS`` below (and
``design.md``'s layout): a module may import from its own layer and the layers below it,
never from a higher one, not even inside a function.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import pkgutil
import re
import textwrap
import warnings
from pathlib import Path

import pytest

import hierlab
from hierlab.errors import HierlabError

PACKAGE = Path(hierlab.__file__).resolve().parent

#: Parameter names the glossary replaces (old name -> the glossary's name).
BANNED_PARAMETERS = {
    "respondent": "model",
    "respondents": "models",
    "respondent_column": "model",
    "n_respondents": "n_models",
    "by": "model (or group)",
    "alpha": "confidence (intervals) or significance (flags)",
    "level": "confidence (intervals) or depth (trees)",
    "gold": "reference",
    "ok": "correct",
    "metric": "correct",
    "score": "correct",
}


def _public_modules() -> list[str]:
    names = ["hierlab"]
    for info in pkgutil.walk_packages(hierlab.__path__, "hierlab."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]):
            continue
        names.append(info.name)
    return sorted(names)


def _public_objects() -> list[tuple[str, object]]:
    """Every function and class a public module lists in ``__all__`` and defines itself."""
    found: dict[str, object] = {}
    for name in _public_modules():
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", []):
            obj = getattr(module, attr)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue
            home = getattr(obj, "__module__", "")
            qualified = f"{home}.{obj.__qualname__}"
            if home.startswith("hierlab") and qualified not in found:
                found[qualified] = obj
    return sorted(found.items())


def _public_callables() -> list[tuple[str, object]]:
    """Public functions, classes and the public methods defined on public classes."""
    out = []
    for qualified, obj in _public_objects():
        out.append((qualified, obj))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if attr.startswith("_"):
                    continue
                func = (
                    member.__func__ if isinstance(member, (classmethod, staticmethod)) else member
                )
                if inspect.isfunction(func):
                    out.append((f"{qualified}.{attr}", func))
    return out


OBJECTS = _public_objects()
CALLABLES = _public_callables()


def _parameters(obj: object) -> list[inspect.Parameter]:
    target = obj.__init__ if inspect.isclass(obj) else obj
    if inspect.isclass(obj) and target is object.__init__:
        return []
    params = list(inspect.signature(target).parameters.values())
    if params and params[0].name in ("self", "cls"):
        params = params[1:]
    return params


def _section(doc: str, title: str) -> str | None:
    """The body of a numpy-docstring section, dedented, or None."""
    lines = textwrap.dedent(doc).splitlines()
    for i in range(len(lines) - 1):
        if lines[i].strip() == title and set(lines[i + 1].strip()) == {"-"}:
            body = []
            for line in lines[i + 2 :]:
                if body and line.strip() and not line.startswith(" "):
                    nxt = lines[lines.index(line) + 1] if lines.index(line) + 1 < len(lines) else ""
                    if set(nxt.strip()) == {"-"}:
                        break
                body.append(line)
            return "\n".join(body)
    return None


def _documented_names(doc: str) -> set[str]:
    names: set[str] = set()
    for title in ("Parameters", "Attributes", "Other Parameters"):
        body = _section(doc, title)
        if body is None:
            continue
        for line in body.splitlines():
            if not line or line.startswith(" "):
                continue
            head = line.split(" : ")[0].strip() if " : " in line else line.strip()
            for part in head.split(","):
                names.add(part.strip().lstrip("*"))
    return names


def _docstring(qualified: str, obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    if inspect.isclass(obj):
        init_doc = obj.__init__.__doc__ if obj.__init__ is not object.__init__ else None
        if init_doc and init_doc is not object.__init__.__doc__:
            doc += "\n" + textwrap.dedent(init_doc)
    return doc


@pytest.mark.parametrize(("qualified", "obj"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_parameter_names_follow_the_glossary(qualified: str, obj: object) -> None:
    bad = {
        p.name: BANNED_PARAMETERS[p.name] for p in _parameters(obj) if p.name in BANNED_PARAMETERS
    }
    assert not bad, f"{qualified}: rename parameters per docs/glossary.md: {bad}"


@pytest.mark.parametrize(("qualified", "obj"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_options_are_keyword_only(qualified: str, obj: object) -> None:
    if dataclasses.is_dataclass(obj):
        return  # result records are built by hierlab, not by users
    positional_options = [
        p.name
        for p in _parameters(obj)
        if p.default is not inspect.Parameter.empty
        and p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    ]
    assert len(positional_options) <= 1, (
        f"{qualified}: options after the data arguments must be keyword-only "
        f"(put a `*` before them): {positional_options}"
    )


@pytest.mark.parametrize(("qualified", "obj"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_every_parameter_is_documented(qualified: str, obj: object) -> None:
    doc = _docstring(qualified, obj)
    assert doc.strip(), f"{qualified} has no docstring"
    if dataclasses.is_dataclass(obj):
        wanted = [f.name for f in dataclasses.fields(obj) if f.repr]
    else:
        wanted = [p.name for p in _parameters(obj)]
    missing = [n for n in wanted if n not in _documented_names(doc)]
    assert not missing, (
        f"{qualified}: document {missing} in a numpy-style 'Parameters' "
        "(or, for result records, 'Attributes') section"
    )


@pytest.mark.parametrize(("qualified", "obj"), OBJECTS, ids=[q for q, _ in OBJECTS])
def test_every_function_and_class_has_an_example(qualified: str, obj: object) -> None:
    doc = _docstring(qualified, obj)
    examples = _section(doc, "Examples")
    assert examples is not None and ">>>" in examples, (
        f"{qualified}: add an 'Examples' section with a runnable >>> example"
    )


@pytest.mark.parametrize(("qualified", "obj"), CALLABLES, ids=[q for q, _ in CALLABLES])
def test_signatures_have_type_hints(qualified: str, obj: object) -> None:
    if inspect.isclass(obj):
        return
    sig = inspect.signature(obj)
    missing = [p.name for p in _parameters(obj) if p.annotation is inspect.Parameter.empty]
    assert not missing, f"{qualified}: annotate {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, (
        f"{qualified}: annotate the return type"
    )


#: Frozen records that are inputs or settings rather than results: compared by value.
VALUE_RECORDS = {"Prior", "ResponseMatrix", "DatasetCard"}


def test_results_follow_the_result_protocol() -> None:
    """Every result record is frozen, compared by identity, a Result, and has a summary."""
    from hierlab.results import Result

    problems = []
    for qualified, obj in OBJECTS:
        if not (inspect.isclass(obj) and dataclasses.is_dataclass(obj)):
            continue
        params = obj.__dataclass_params__  # type: ignore[attr-defined]
        if not params.frozen:
            problems.append(f"{qualified} is not frozen")
        if obj.__name__ in VALUE_RECORDS:
            continue
        if params.eq:
            problems.append(f"{qualified} compares field by field (use eq=False)")
        if not issubclass(obj, Result):
            problems.append(f"{qualified} is a result record but not a hierlab.results.Result")
        elif obj.summary is Result.summary:
            problems.append(f"{qualified} does not implement summary()")
    assert not problems, "\n".join(problems)


def test_results_are_not_mutated_after_construction() -> None:
    """``object.__setattr__`` on a frozen result is how 0.1 broke its own promise."""
    sites = [
        f"{p.relative_to(PACKAGE.parent)}:{n}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
        if "object.__setattr__" in line
    ]
    assert not sites, "build results complete instead of mutating them: " + ", ".join(sites)


# --------------------------------------------------------------------------- errors

_WRONG = object()


def _callable_with_required(obj: object) -> list[inspect.Parameter]:
    return [
        p
        for p in _parameters(obj)
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
    ]


WRONG_TYPE_TARGETS = [
    (q, o)
    for q, o in OBJECTS
    if not (inspect.isclass(o) and dataclasses.is_dataclass(o))
    and not (inspect.isclass(o) and issubclass(o, BaseException))
    and _callable_with_required(o)
]


@pytest.mark.parametrize(
    ("qualified", "obj"), WRONG_TYPE_TARGETS, ids=[q for q, _ in WRONG_TYPE_TARGETS]
)
def test_wrong_types_raise_hierlab_errors(qualified: str, obj: object) -> None:
    """Every required argument given an arbitrary object: a HierlabError, nothing deeper."""
    args, kwargs = [], {}
    for p in _callable_with_required(obj):
        if p.kind is p.KEYWORD_ONLY:
            kwargs[p.name] = _WRONG
        else:
            args.append(_WRONG)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            obj(*args, **kwargs)  # type: ignore[operator]
        except HierlabError:
            return
        except Exception as err:
            pytest.fail(f"{qualified}(<object>, ...) raised {type(err).__name__}: {err}")
    pytest.fail(f"{qualified}(<object>, ...) accepted an arbitrary object without an error")


def _raise_sites() -> list[tuple[str, int, str]]:
    """`raise Builtin(...)` statements in the package (they must be hierlab errors)."""
    builtin = {
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "RuntimeError",
        "OSError",
        "LookupError",
        "Exception",
        "AssertionError",
        "FileNotFoundError",
    }
    sites = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in builtin:
                    sites.append((str(path.relative_to(PACKAGE.parent)), node.lineno, name))
    return sites


def test_no_builtin_exceptions_are_raised_on_purpose() -> None:
    """``raise ValueError(...)`` is replaced by a hierlab error that is also a ValueError.

    (``NotImplementedError`` for abstract methods is allowed.)
    """
    sites = _raise_sites()
    assert not sites, "raise hierlab errors instead: " + ", ".join(
        f"{p}:{n} {e}" for p, n, e in sites
    )


# --------------------------------------------------------------------------- layering

#: Layer of each module (by the first component under ``hierlab``). A module may import
#: from its own layer and the layers below, never above.
LAYERS: dict[str, int] = {
    "errors": 0,
    "settings": 0,
    "results": 0,
    "_tables": 0,
    "tree": 1,
    "stats": 1,
    "coherence": 2,
    "compare": 2,
    "geo": 2,
    "irt": 2,
    "taxonomy": 3,
    "depth": 3,
    "hierarchical_scores": 3,
    "bias": 3,
    "leaderboard": 3,
    "datasets": 4,
    "io": 5,
    "plot": 6,
    "widgets": 7,
    "experiments": 8,
    "__init__": 0,
}


def _module_key(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, imported names) for every hierlab import, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "hierlab" or node.module.startswith("hierlab."):
                out.append((node.lineno, node.module, [a.name for a in node.names]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("hierlab"):
                    out.append((node.lineno, alias.name, []))
    return out


def _target_key(module: str, names: list[str]) -> list[str]:
    parts = module.split(".")
    if len(parts) >= 2:
        return [parts[1]]
    return names  # `from hierlab import x`


def test_every_module_has_a_layer() -> None:
    keys = {_module_key(p) for p in PACKAGE.rglob("*.py")}
    assert keys <= set(LAYERS), (
        f"give these modules a layer in LAYERS: {sorted(keys - set(LAYERS))}"
    )


def test_imports_only_go_down_the_layers() -> None:
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _module_key(path)
        if own == "__init__":
            continue
        for line, module, names in _imports(path):
            for target in _target_key(module, names):
                if target not in LAYERS:
                    continue
                if LAYERS[target] > LAYERS[own]:
                    problems.append(
                        f"{path.relative_to(PACKAGE.parent)}:{line} ({own}, layer {LAYERS[own]}) "
                        f"imports {module} ({target}, layer {LAYERS[target]})"
                    )
    assert not problems, "imports that go up the layers:\n" + "\n".join(problems)


def test_no_module_uses_another_modules_private_names() -> None:
    """``from hierlab.x import _y`` and private modules of other packages are off limits.

    ``hierlab._tables`` is the package-wide internal helper module and may be used anywhere;
    a private module inside a subpackage (``hierlab.datasets._download``) only inside it.
    """
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        own_module = ".".join(rel.parts).removesuffix(".__init__")
        own_package = own_module.rsplit(".", 1)[0] if path.name != "__init__.py" else own_module
        for line, module, names in _imports(path):
            if module == own_module:
                continue
            private = [n for n in names if n.startswith("_") and n != "__version__"]
            if private:
                problems.append(f"{rel}:{line} imports private {private} from {module}")
            parts = module.split(".")
            for i, part in enumerate(parts[1:], start=1):
                if part.startswith("_") and module != "hierlab._tables":
                    home = ".".join(parts[:i])
                    if not own_package.startswith(home) or home == "hierlab":
                        problems.append(f"{rel}:{line} imports the private module {module}")
                    break
    assert not problems, "\n".join(problems)


def test_no_attribute_access_to_private_names_of_other_modules() -> None:
    """``Tree._nodes``-style reaches into another module's internals, found by pattern."""
    pattern = re.compile(r"\b(tree|fit|m|matrix|demo|data|diagnostics|kernel)\._[a-z]\w*")
    problems = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.parent.name == "tree":  # the Tree's own package reaches its own internals
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in pattern.finditer(line):
                if match.group(0).startswith(("self._", "cls._")):
                    continue
                problems.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {match.group(0)}")
    assert not problems, "use public names instead:\n" + "\n".join(problems)


def test_no_build_tooling_inside_the_package() -> None:
    stray = [p.name for p in PACKAGE.glob("_*.py") if p.name not in ("__init__.py", "_tables.py")]
    assert not stray, f"build scripts belong in tools/, not the installed package: {stray}"
