"""Spec errors in an author's words: file and TOML line, 1-based positions with the check's
id, "did you mean" for fields, kinds and choices, and what to write instead.

Shared by every TOML file tutor reads from an author or a site (`exercise.toml`,
`pack.toml`, cluster profiles): `describe(exc, path, text, model, raw)`.
"""

from __future__ import annotations

import difflib
import re
import typing
from pathlib import Path
from typing import Any, Iterable, Optional

from pydantic import BaseModel, ValidationError

HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
DOCS = "`tutor author docs` (docs/authoring.md)"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """' (did you mean 'max'?)' or ''."""
    choices = list(choices)
    close = difflib.get_close_matches(str(word), choices, n=2, cutoff=0.6)
    if len(close) == 2:  # keep the runner-up only when it is about as close
        ratio = [difflib.SequenceMatcher(None, str(word), c).ratio() for c in close]
        close = close[:1] if ratio[0] - ratio[1] > 0.05 else close
    if not close and len(str(word)) >= 3:
        close = [c for c in choices if len(c) >= 3 and (str(word).startswith(c) or c.startswith(str(word)))][:2]
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[str(word).lower()]] if str(word).lower() in lowered else []
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""


# ----------------------------------------------------------------------------- TOML lines


def _headers(lines: list[str]) -> list[tuple[int, str, bool]]:
    found = []
    for number, line in enumerate(lines, 1):
        match = HEADER.match(line)
        if match and not line.lstrip().startswith("#"):
            found.append((number, match[2].replace('"', "").replace(" ", ""), match[1] == "[["))
    return found


def _key_line(lines: list[str], start: int, end: int, key: str) -> Optional[int]:
    pattern = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    for number in range(start, min(end, len(lines)) + 1):
        if pattern.match(lines[number - 1]):
            return number
    return None


def toml_line(text: str, loc: tuple) -> Optional[int]:
    """The line of `loc` (a pydantic location, batch tags removed) in the TOML text, or the
    line of its table when the key itself is absent (a missing field)."""
    lines = text.splitlines()
    headers = _headers(lines)
    first_header = headers[0][0] if headers else len(lines) + 1
    if not loc:
        return None
    table, rest = str(loc[0]), loc[1:]
    # [table] or [[table]] number N (loc (table, N, key)) or a top-level key.
    if rest and isinstance(rest[0], int):
        blocks = [h for h in headers if h[1] == table and h[2]]
        if rest[0] < len(blocks):
            start = blocks[rest[0]][0]
            end = next((h[0] - 1 for h in headers if h[0] > start), len(lines))
            key = next((str(p) for p in rest[1:] if isinstance(p, str)), None)
            return (_key_line(lines, start, end, key) if key else None) or start
        return _key_line(lines, 1, first_header - 1, table)
    section = [h for h in headers if h[1] == table and not h[2]]
    if section and rest:
        start = section[0][0]
        end = next((h[0] - 1 for h in headers if h[0] > start), len(lines))
        return _key_line(lines, start, end, str(rest[0])) or start
    return _key_line(lines, 1, first_header - 1, table) or (section[0][0] if section else None)


# ----------------------------------------------------------------------------- models at a location


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, list, dict, Union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def check_models(root: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """kind -> check model, for a model with a `checks` field (a union tagged by `kind`)."""
    field = root.model_fields.get("checks")
    kinds: dict[str, type[BaseModel]] = {}
    for model in _models_in(field.annotation) if field else []:
        kind = model.model_fields.get("kind")
        if kind is not None:
            for value in typing.get_args(kind.annotation):
                kinds[value] = model
    return kinds


def _model_at(root: type[BaseModel], loc: tuple, raw: dict) -> type[BaseModel]:
    """The model that owns the last key of `loc` (e.g. the check's own model for checks.N.key)."""
    model: type[BaseModel] = root
    node: Any = raw
    for part in loc[:-1]:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            if isinstance(node, dict) and "kind" in node and model is root:
                model = check_models(root).get(str(node["kind"]), model)
            continue
        field = model.model_fields.get(str(part))
        if field is None:
            break
        inner = _models_in(field.annotation)
        node = node.get(part, {}) if isinstance(node, dict) else {}
        if len(inner) == 1:
            model = inner[0]
        elif part == "checks":
            continue
    return model


def _strip_tags(loc: tuple, raw: dict) -> tuple:
    """pydantic puts the union's tag in the location (checks.4.min_accuracy.min): drop it."""
    out: list = []
    node: Any = raw
    skip_next_tag = False
    for part in loc:
        if skip_next_tag and isinstance(node, dict) and part == node.get("kind"):
            skip_next_tag = False
            continue
        skip_next_tag = False
        out.append(part)
        if isinstance(part, int) and isinstance(node, list):
            node = node[part] if part < len(node) else {}
            skip_next_tag = True
        elif isinstance(node, dict):
            node = node.get(part, {})
    return tuple(out)


SINGULAR = {"checks": "check", "layers": "layer", "hints": "hint", "files": "file"}


def position(loc: tuple, raw: dict) -> str:
    """checks.4.maximum -> "check 5 (id 'accuracy'), field 'maximum'" (1-based, with ids)."""
    parts: list[str] = []
    names: list[str] = []
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            node = node[part] if isinstance(node, list) and part < len(node) else {}
            ident = node.get("id") if isinstance(node, dict) else None
            label = SINGULAR.get(names[-1], names[-1]) if names else "item"
            prefix = ".".join(names[:-1])
            parts.append((f"{prefix} " if prefix else "") + f"{label} {part + 1}"
                         + (f" (id '{ident}')" if ident else ""))
            names = []
        else:
            node = node.get(part, {}) if isinstance(node, dict) else {}
            names.append(str(part))
    if names:
        parts.append(f"field '{'.'.join(names)}'")
    return ", ".join(parts) or "(top level)"


# ----------------------------------------------------------------------------- one error


def _choices(ctx: dict) -> list[str]:
    expected = str(ctx.get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


def _owner(model: type[BaseModel], loc: tuple, root: type[BaseModel], file: str = "the file") -> str:
    """How an author calls the table a key is in: 'a min_accuracy check', '[dataset]'."""
    for check in check_models(root).values():
        if check is model:
            names = [k for k, m in check_models(root).items() if m is model]
            return f"a {' / '.join(names)} check"
    names = [str(p) for p in loc[:-1] if isinstance(p, str)]
    return f"[{'.'.join(names)}]" if names else f"the top level of {file}"


def _reason(item: dict, loc: tuple, root: type[BaseModel], raw: dict, file: str = "the file") -> str:
    kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
    model = _model_at(root, loc, raw)
    fields = list(model.model_fields)
    fields = [f for f in fields if f != "source"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        return (f"unknown field '{key}'{did_you_mean(key, fields)}; "
                f"{_owner(model, loc, root, file)} takes: {', '.join(fields)}")
    if kind == "union_tag_invalid":
        tags = sorted(check_models(root)) or _choices(ctx)
        return (f"unknown check kind '{ctx.get('tag')}'{did_you_mean(ctx.get('tag', ''), tags)}; "
                f"every kind is listed in {DOCS} (Check kinds)")
    if kind == "union_tag_not_found":
        return "a check needs `kind = \"...\"` (e.g. kind = \"input_shape\"); the kinds are listed in " + DOCS
    if kind == "missing":
        field = model.model_fields.get(str(loc[-1]))
        about = f" ({field.description[0].lower()}{field.description[1:]})" if field is not None and field.description else ""
        return f"missing required field '{loc[-1]}'{about}"
    if kind in ("literal_error", "enum") and isinstance(value, str):
        choices = _choices(ctx)
        return f"{value!r} is not one of {', '.join(choices)}{did_you_mean(value, choices)}"
    message = item["msg"].removeprefix("Value error, ")
    if isinstance(value, (str, int, float, bool)) and kind not in ("value_error",):
        message += f" (got {value!r})"
    return message


def describe(
    error: ValidationError,
    path: Path,
    text: str,
    root: type[BaseModel],
    raw: dict,
) -> str:
    """One line per problem: `FILE:LINE: POSITION: REASON`."""
    lines = []
    for item in error.errors():
        loc = _strip_tags(tuple(item["loc"]), raw)
        at = loc + ("kind",) if item["type"].startswith("union_tag") else loc
        line = toml_line(text, at) if loc else None
        where = f"{path}:{line}" if line else str(path)
        lines.append(f"{where}: {position(loc, raw)}: {_reason(item, loc, root, raw, path.name)}")
    return "\n".join(lines)


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


__all__ = ["describe", "did_you_mean", "toml_line", "position", "check_models", "read_text"]
