"""Script checks (task 8.2): read a script's syntax tree for the structure a task asks for.

The script is never executed: it is parsed with `ast` in the trusted parent.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Optional

from exercises import schema as s
from grader.checks.common import FileProblem, failed, missing, passed, submission_file
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.report import CheckResult

MAGIC_LINE = re.compile(r"^\s*(!|%%?)\s*\w")
NOTEBOOK_CALLS = {"display", "get_ipython", "IPython.display.display", "IPython.get_ipython"}
PATH_LOADERS = {
    "numpy.load",
    "numpy.loadtxt",
    "numpy.genfromtxt",
    "numpy.fromfile",
    "pandas.read_csv",
    "pandas.read_parquet",
    "h5py.File",
    "gzip.open",
}
DOWNLOADERS = {"keras.utils.get_file", "urllib.request.urlretrieve", "requests.get", "wget.download"}
KERAS3_PATH_FIX = (
    "Keras 3 refuses it (\"Paths are no longer accepted as the fname argument\"): "
    "read the staged file with np.load(path) instead, whose arrays are x_train, y_train, x_test, y_test"
)
LABELS = {
    "loads_data_from_path": "data loaded from a staged path",
    "defines_model": "a model",
    "compiles": "compile()",
    "trains": "fit()",
    "evaluates": "evaluate()",
    "prints_accuracy": "prints the test accuracy",
    "no_notebook_leftovers": "no notebook leftovers",
}


@dataclass
class Call:
    name: str  # dotted, with import aliases resolved (np.load -> numpy.load)
    node: ast.Call

    @property
    def method(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass
class Script:
    """What the checks need to know about one parsed script."""

    file: str
    tree: ast.Module
    lines: list[str]
    source: str = ""
    calls: list[Call] = field(default_factory=list)
    model_classes: list[str] = field(default_factory=list)
    imports: set[str] = field(default_factory=set)


def dotted(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else f"?.{node.attr}"
    if isinstance(node, ast.Call):
        base = dotted(node.func)
        return f"{base}()" if base else None
    return None


def analyse(file: str, source: str) -> Script:
    tree = ast.parse(source, filename=file)
    script = Script(file=file, tree=tree, lines=source.splitlines(), source=source)
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                script.imports.add(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.module:
            script.imports.add(node.module)
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.ClassDef):
            if any((dotted(b) or "").endswith("Model") for b in node.bases):
                script.model_classes.append(node.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = dotted(node.func) or "?"
            head, _, rest = name.partition(".")
            resolved = aliases.get(head, head)
            resolved = f"{resolved}.{rest}" if rest else resolved
            resolved = resolved.replace("tensorflow.keras.", "keras.").replace("tf.keras.", "keras.")
            script.calls.append(Call(resolved, node))
    script.calls.sort(key=lambda c: (c.node.lineno, c.node.col_offset))
    return script


def _code(script: Script, node: ast.AST, limit: int = 70) -> str:
    code = " ".join((ast.get_source_segment(script.source, node) or "").split())
    return code if len(code) <= limit else code[: limit - 1] + "…"


def _where(script: Script, node: ast.AST) -> str:
    return f"{script.file} line {node.lineno}: `{_code(script, node)}`"


def _literal(node: Optional[ast.AST]) -> Optional[str]:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


# ----------------------------------------------------------------------------- requirements
# Each returns None when satisfied, else the one-line reason it is not.


def loads_data_from_path(script: Script, keras_major: int = 3) -> Optional[str]:
    """On Keras 2 targets (the book's TF 2.11 image) `load_data(path=...)` reads a staged file;
    Keras 3 refuses any path."""
    for call in script.calls:
        if call.method == "load_data":
            path = call.node.args[0] if call.node.args else next(
                (k.value for k in call.node.keywords if k.arg == "path"), None
            )
            if path is None:
                return (
                    f"{_where(script, call.node)} downloads MNIST unless it is already cached, and "
                    "compute nodes have no internet: read the staged file with np.load(path)"
                )
            literal = _literal(path)
            if keras_major < 3:
                return None  # Keras 2's get_file uses the file when it is the official mnist.npz
            if literal is None or "/" in literal or "\\" in literal:
                return f"{_where(script, call.node)}: {KERAS3_PATH_FIX}"
        if call.name in DOWNLOADERS or call.name.endswith(".get_file"):
            return f"{_where(script, call.node)} downloads data; compute nodes have no internet: use np.load(path)"
    for call in script.calls:
        if call.name in PATH_LOADERS:
            first = _literal(call.node.args[0]) if call.node.args else None
            if first and first.startswith(("http://", "https://")):
                return f"{_where(script, call.node)} reads from the internet: use the staged file's path"
            return None
    return "no staged file is read: load MNIST with np.load(path) from a path given on the command line or in an environment variable"


def defines_model(script: Script) -> Optional[str]:
    if script.model_classes:
        return None
    for call in script.calls:
        if call.method in ("Sequential", "Model", "Functional") or ".applications." in call.name:
            return None
    return "no model is defined: build it with keras.Sequential([...]) or keras.Model(inputs, outputs)"


def _method_check(method: str, what: str):
    def check(script: Script) -> Optional[str]:
        if any(call.method == method and "." in call.name for call in script.calls):
            return None
        return f"no `model.{method}(...)` call: the script must {what}"

    return check


def _mentions_accuracy(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and re.search(r"acc", sub.value, re.I):
            return True
        if isinstance(sub, ast.Name) and re.search(r"acc", sub.id, re.I):
            return True
        if isinstance(sub, ast.Attribute) and re.search(r"acc", sub.attr, re.I):
            return True
    return False


def prints_accuracy(script: Script) -> Optional[str]:
    for call in script.calls:
        if call.name == "print" or call.name.endswith((".info", ".write")):
            if any(_mentions_accuracy(arg) for arg in [*call.node.args, *(k.value for k in call.node.keywords)]):
                return None
    return "the test accuracy is never printed: add print(\"Test accuracy:\", test_acc) after evaluate()"


def no_notebook_leftovers(script: Script) -> Optional[str]:
    for call in script.calls:
        if call.name in NOTEBOOK_CALLS or call.method == "get_ipython":
            return f"{_where(script, call.node)} only works in a notebook: print() instead, or delete it"
    if any(name.startswith("IPython") for name in script.imports):
        return f"{script.file} imports IPython, which a batch job does not have: delete the import"
    return None


REQUIREMENTS = {
    "loads_data_from_path": loads_data_from_path,
    "defines_model": defines_model,
    "compiles": _method_check("compile", "compile the model"),
    "trains": _method_check("fit", "train the model with fit()"),
    "evaluates": _method_check("evaluate", "evaluate the model on the test set"),
    "prints_accuracy": prints_accuracy,
    "no_notebook_leftovers": no_notebook_leftovers,
}


# ----------------------------------------------------------------------------- the check


def magic_lines(source: str) -> list[tuple[int, str]]:
    """Notebook shell/magic lines (`!pip install ...`, `%matplotlib inline`): not Python."""
    return [(n, line.strip()) for n, line in enumerate(source.splitlines(), 1) if MAGIC_LINE.match(line)]


def syntax_reason(file: str, source: str, error: SyntaxError) -> str:
    magic = magic_lines(source)
    if magic:
        line, text = magic[0]
        return f"{file} line {line}: `{text[:60]}` is notebook syntax, not Python: delete the line"
    return f"{file} line {error.lineno}: {error.msg}: fix it (python -m py_compile {file} shows it too)"


@implements(s.ScriptCheck)
def script_check(check: s.ScriptCheck, ctx: CheckContext) -> CheckResult:
    want = ", ".join(LABELS[r] for r in check.requires)
    try:
        path = submission_file(ctx.submission, check.file)
        source = path.read_text(errors="replace")
    except (FileProblem, OSError) as exc:
        if not (ctx.submission / check.file).exists():
            return missing(check, str(exc), want, "no script")
        return failed(check, str(exc), want, "no script")
    if "no_notebook_leftovers" in check.requires:
        magic = magic_lines(source)
        if magic:
            line, text = magic[0]
            more = f" (and {len(magic) - 1} more)" if len(magic) > 1 else ""
            return failed(
                check,
                f"{check.file} line {line}: `{text[:60]}` is a notebook leftover{more}: delete it "
                "(install packages outside the script; plots need no magic in a script)",
                want,
                f"line {line}: {text[:40]}",
            )
    try:
        script = analyse(check.file, source)
    except SyntaxError as exc:
        return failed(check, syntax_reason(check.file, source, exc), want, f"syntax error, line {exc.lineno}")
    keras_major = ctx.target.keras_major
    problems = [(req, loads_data_from_path(script, keras_major) if req == "loads_data_from_path" else REQUIREMENTS[req](script))
                for req in check.requires]
    unmet = [(req, why) for req, why in problems if why]
    if not unmet:
        return passed(check, f"{check.file}: {want}", want, want)
    got = ", ".join(LABELS[r] for r, why in problems if not why) or "none of these"
    share = 1 - len(unmet) / len(problems)
    if len(unmet) == 1:
        line = re.search(r"line (\d+): `([^`]*)`", unmet[0][1])
        if line and len(check.requires) == 1:
            got = f"line {line[1]}: {line[2]}"
        elif len(check.requires) == 1:
            got = "not found"
        return failed(check, unmet[0][1], want, got, share)
    labels = ", ".join(LABELS[r] for r, _ in unmet)
    return failed(check, f"missing {labels}. First: {unmet[0][1]}", want, got, share)
