"""Fingerprints for the integrity report: the trained weights of the graded artifact
(`model.keras`, or `model.h5` in its place; either format) and the
AST-normalised source, both independent of file bytes that change without the work changing.

- weights: the multiset of weight arrays (dtype, shape, values) in `model.weights.h5`,
  optimizer state left out; layer names and zip/HDF5 timestamps do not count.
- source: every `.py` file and every notebook's code cells (never its JSON: outputs, cell ids
  and metadata do not count) parsed, docstrings dropped and every identifier renamed in order
  of first use, so comments, blank lines, formatting and renaming do not count.

The artifact is untrusted: it is opened only in a helper process (`serve`, started by the
worker) that limits its own memory and CPU time before reading anything, reads the HDF5 file
from memory, and refuses what would make libhdf5 open anything else (external storage,
virtual datasets, soft and external links), as Keras' own loader does.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path
from typing import Optional

from tutor.batch.models import Fingerprints

MAX_WEIGHTS_BYTES = 512 << 20
MAX_SOURCE_BYTES = 2 << 20
MAX_ARRAYS = 5000
OPTIMIZER_GROUPS = ("optimizer", "optimizer_weights")  # a .keras archive's / a legacy HDF5 file's


class _Skip(Exception):
    """A fingerprint that cannot be taken; str() says why (a note in the report)."""


def _weights_file(artifact: Path) -> bytes:
    """The HDF5 bytes that hold the weights: `model.weights.h5` inside a Keras archive, or the
    whole legacy HDF5 file (model.h5, or model.keras from tf.keras <= 2.11)."""
    from grader.intake.artifact import HDF5_OFFSETS, HDF5_SIGNATURE, ZIP_SIGNATURE, open_regular

    if artifact.is_symlink() or not artifact.is_file():
        raise _Skip(f"no readable {artifact.name}")
    with open_regular(artifact) as handle:  # never through a link swapped in, never a FIFO
        head = handle.read(HDF5_OFFSETS[-1] + len(HDF5_SIGNATURE))
        if any(head[at:at + len(HDF5_SIGNATURE)] == HDF5_SIGNATURE for at in HDF5_OFFSETS):
            handle.seek(0)
            data = handle.read(MAX_WEIGHTS_BYTES + 1)
            if len(data) > MAX_WEIGHTS_BYTES:
                raise _Skip("weights file too large to fingerprint")
            return data
    if not head.startswith(ZIP_SIGNATURE):
        raise _Skip(f"{artifact.name} is neither a Keras archive nor an HDF5 file")
    try:
        with zipfile.ZipFile(artifact) as archive:
            info = archive.getinfo("model.weights.h5")
            if info.file_size > MAX_WEIGHTS_BYTES:
                raise _Skip("weights file too large to fingerprint")
            with archive.open(info) as member:
                data = member.read(MAX_WEIGHTS_BYTES + 1)
    except KeyError:
        raise _Skip(f"{artifact.name} holds no model.weights.h5") from None
    except (zipfile.BadZipFile, OSError, RuntimeError, EOFError) as exc:
        raise _Skip(f"{artifact.name} is not a readable Keras archive ({exc})") from None
    if len(data) > MAX_WEIGHTS_BYTES:
        raise _Skip("weights file too large to fingerprint")
    return data


def weights_fingerprint(artifact: Path) -> str:
    """The weights of a Keras archive or a legacy HDF5 model: the same weights give the same
    fingerprint in either format (layer names and optimizer state do not count)."""
    data = _weights_file(artifact)
    import h5py
    import numpy as np

    digests: list[str] = []

    def refuse_links(name: str, link: object) -> None:
        if isinstance(link, (h5py.ExternalLink, h5py.SoftLink)):
            raise _Skip("the weights file holds links to other data (refused, as Keras does)")

    def visit(name: str, obj: object) -> None:
        if isinstance(obj, h5py.Dataset) and (obj.external or obj.is_virtual):
            # HDF5 external storage / virtual datasets read other files on this machine
            raise _Skip("the weights file keeps data outside itself (external or virtual dataset; refused)")
        if not isinstance(obj, h5py.Dataset) or name.split("/", 1)[0] in OPTIMIZER_GROUPS:
            return
        if len(digests) >= MAX_ARRAYS:
            raise _Skip("too many weight arrays to fingerprint")
        if obj.size * obj.dtype.itemsize > MAX_WEIGHTS_BYTES:
            raise _Skip("a weight array is too large to fingerprint")
        array = np.ascontiguousarray(obj[()])
        item = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
        item.update(array.tobytes())
        digests.append(item.hexdigest())

    try:
        with h5py.File(io.BytesIO(data), "r") as handle:
            handle.visititems_links(refuse_links)
            handle.visititems(visit)
    except _Skip:
        raise
    except Exception as exc:  # HDF5 raises many kinds on damaged files
        raise _Skip(f"weights unreadable ({type(exc).__name__})") from None
    if not digests:
        raise _Skip("no weights in the artifact")
    return hashlib.sha256("\n".join(sorted(digests)).encode()).hexdigest()


class _Normaliser(ast.NodeTransformer):
    """Drop docstrings, rename every identifier to v0, v1... in order of first use."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def _rename(self, name: Optional[str]) -> Optional[str]:
        if name is None:
            return None
        return self.names.setdefault(name, f"v{len(self.names)}")

    def _strip_docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]

    def generic_visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self._strip_docstring(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.name = self._rename(node.name)  # type: ignore[assignment]
        elif isinstance(node, ast.Name):
            node.id = self._rename(node.id)  # type: ignore[assignment]
        elif isinstance(node, ast.arg):
            node.arg = self._rename(node.arg)  # type: ignore[assignment]
        elif isinstance(node, ast.alias) and node.name != "*":
            # `import a as b`, `from m import a` and `from m import a as b` bind a name:
            # rename what is bound, keep what is imported.
            node.asname = self._rename(node.asname or node.name.split(".")[0])
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            node.names = [self._rename(n) for n in node.names]  # type: ignore[misc]
        return super().generic_visit(node)


def _notebook_code(path: Path) -> str:
    """A notebook's code cells as plain Python (outputs, metadata and cell ids left out)."""
    from grader.notebook import NotebookError
    from grader.notebook.plan import code_of
    from grader.notebook.reader import read_notebook

    try:
        return "\n".join(cell.source for cell in code_of(read_notebook(path)))
    except NotebookError as exc:
        raise _Skip(str(exc)) from None


def source_fingerprint(folder: Path) -> str:
    """Every .py file and every notebook's code, compared as normalised syntax trees."""
    files = sorted(
        p for p in [*folder.rglob("*.py"), *folder.rglob("*.ipynb")]
        if not p.is_symlink() and p.is_file() and "__pycache__" not in p.parts
        and ".ipynb_checkpoints" not in p.parts
    )
    if not files:
        raise _Skip("no Python source")
    dumps = []
    for path in files:
        notebook = path.suffix == ".ipynb"
        if path.stat().st_size > (MAX_SOURCE_BYTES * 16 if notebook else MAX_SOURCE_BYTES):
            raise _Skip(f"{path.name} too large to fingerprint")
        try:
            code = _notebook_code(path) if notebook else path.read_bytes()
            tree = ast.parse(code, filename=path.name)
            dumps.append(ast.dump(_Normaliser().visit(tree), annotate_fields=False))
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            raise _Skip(f"{path.name} does not parse ({type(exc).__name__})") from None
    return hashlib.sha256("\n".join(sorted(dumps)).encode()).hexdigest()


def graded_artifact(folder: Path) -> Path:
    """The file the grader grades (model.keras, else model.h5: grader.intake's own choice)."""
    from grader.intake.submission import MODEL_ARTIFACT, find_artifact

    found = find_artifact(folder, MODEL_ARTIFACT)
    return found.path if found is not None else folder / MODEL_ARTIFACT


def fingerprints(folder: Path) -> Fingerprints:
    """Both fingerprints of one submission folder; a missing one comes with a note."""
    result = Fingerprints()
    try:
        result.source = source_fingerprint(folder)
    except _Skip as exc:
        result.notes.append(f"source: {exc}")
    except OSError as exc:
        result.notes.append(f"source: unreadable ({exc.strerror})")
    try:
        result.weights = weights_fingerprint(graded_artifact(folder))
    except _Skip as exc:
        result.notes.append(f"weights: {exc}")
    except OSError as exc:
        result.notes.append(f"weights: unreadable ({exc.strerror})")
    return result


def _limit_self() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes nothing


def serve() -> None:
    """Answer one JSON line per request on stdin: {"path": ...} -> Fingerprints JSON."""
    _limit_self()
    for line in sys.stdin:
        try:
            folder = Path(json.loads(line)["path"])
            answer = fingerprints(folder).model_dump_json()
        except Exception as exc:  # never die on one bad request
            answer = Fingerprints(notes=[f"fingerprint failed ({type(exc).__name__})"]).model_dump_json()
        sys.stdout.write(answer + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
