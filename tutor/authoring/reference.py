"""The authoring reference (docs/authoring.md), generated from the pydantic models tutor reads,
so it cannot drift from them: every file, every field (type, default, meaning, example), every
check kind. `tutor author docs` prints it; a test fails when the committed file is stale.
"""

from __future__ import annotations

import json
import typing
from enum import Enum
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "authoring.md"


# ----------------------------------------------------------------------------- values as TOML


def toml_value(value: Any) -> str:
    """A value as an author writes it in TOML."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Path):
        return json.dumps(str(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if value is None:
        return "(unset)"
    return str(value)


def _key(key: Any) -> str:
    text = str(key)
    return text if text.replace("_", "").replace("-", "").isalnum() and not text[0].isdigit() else json.dumps(text)


def type_text(annotation: Any) -> str:
    """int, text, list of text, one of "a", "b", a table..."""
    origin = typing.get_origin(annotation)
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if origin is typing.Annotated:
        return type_text(args[0])
    if origin is typing.Literal:
        return "one of " + ", ".join(json.dumps(a) for a in typing.get_args(annotation))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return " or ".join(type_text(a) for a in args) if len(args) > 1 else type_text(args[0])
    if origin in (list, tuple):
        return f"list of {type_text(args[0]) if args else 'values'}"
    if origin is dict:
        return "table"
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return "one of " + ", ".join(json.dumps(m.value) for m in annotation)
        if issubclass(annotation, BaseModel):
            return "table"
        return {"str": "text", "int": "integer", "float": "number", "bool": "true/false",
                "Path": "path", "datetime": "date-time"}.get(annotation.__name__, annotation.__name__)
    return str(annotation)


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "(depends)" if field.default is PydanticUndefined else toml_value(field.default)
    value = field.default
    if value in ([], {}, ""):
        return "(empty)" if value != "" else '""'
    return toml_value(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def field_table(model: type[BaseModel], skip: tuple[str, ...] = ()) -> list[str]:
    rows = ["| key | type | default | meaning | example |", "|---|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip:
            continue
        example = f"`{name} = {toml_value(field.examples[0])}`" if field.examples else ""
        meaning = field.description or ""
        rows.append(f"| `{name}` | {_cell(type_text(field.annotation))} | `{_cell(_default(field))}` "
                    f"| {_cell(meaning)} | {_cell(example)} |")
    return rows


def undocumented(models: list[type[BaseModel]], skip: tuple[str, ...] = ("kind",)) -> list[str]:
    """model.field for every field without a description (the reference must explain each)."""
    return [f"{m.__name__}.{n}" for m in models for n, f in m.model_fields.items()
            if n not in skip and not f.description]


# ----------------------------------------------------------------------------- the document


def _doc(model: type) -> str:
    return " ".join((model.__doc__ or "").split())


def reads_text(model: Any) -> str:
    """What a check kind reads, from its declared traits (exercises/schema.py `reads`)."""
    from exercises.schema import INPUT_TEXT

    if not model.reads:
        return "nothing: the instructor marks it"
    return "; ".join(text for name, text in INPUT_TEXT.items() if name in model.reads)


def models() -> dict[str, Any]:
    from exercises import schema
    from exercises.pack import Pack
    from exercises.spec_errors import check_models
    from hpc.profiles import ClusterProfile
    from tutor.config import CourseConfig

    return {"schema": schema, "Pack": Pack, "kinds": check_models(schema.Exercise),
            "ClusterProfile": ClusterProfile, "CourseConfig": CourseConfig}


def all_models() -> list[type[BaseModel]]:
    m = models()
    s = m["schema"]
    return [m["Pack"], s.Exercise, s.DatasetSpec, s.Recipe, s.Resources, s.Baseline, s.BaselineLayer,
            s.FrameworkHints, s.CheckBase, *m["kinds"].values(), m["CourseConfig"], m["ClusterProfile"]]


def render() -> str:
    m = models()
    s = m["schema"]
    out: list[str] = [HEADER]
    out += ["## pack.toml", "", _doc(m["Pack"]), "", *field_table(m["Pack"]), "", PACK_EXAMPLE, ""]
    out += ["## exercise.toml", "", _doc(s.Exercise) + " " + EXERCISE_NOTE, "",
            *field_table(s.Exercise), ""]
    for title, model in (("[dataset]", s.DatasetSpec), ("[recipe]", s.Recipe), ("[resources]", s.Resources),
                         ("[baseline]", s.Baseline), ("[baseline] layers", s.BaselineLayer),
                         ("[hints_for]", s.FrameworkHints)):
        out += [f"### {title}", "", _doc(model), "", *field_table(model), ""]
    out += [CHECKS_INTRO, "", *field_table(s.CheckBase), "", GRADING_RULES, "", "### Check kinds", ""]
    for kind, model in m["kinds"].items():
        own = [n for n in model.model_fields if n not in s.CheckBase.model_fields and n != "kind"]
        what = _doc(model) or _doc(model.__mro__[1])
        out += [f"#### `{kind}`", "", what, "", f"Reads {reads_text(model)}.", ""]
        if own:
            out += field_table(model, skip=tuple(s.CheckBase.model_fields) + ("kind",))
            out.append("")
    out += [SHAPES, "", "## Course config (tutor.toml)", "", CONFIG_INTRO, "", *field_table(m["CourseConfig"]), "",
            "## Cluster profile (profiles_dir/NAME.toml)", "", PROFILE_INTRO, "",
            *field_table(m["ClusterProfile"], skip=("source",)), "", PROFILE_EXAMPLE, "", WORKFLOW]
    return "\n".join(out).rstrip() + "\n"


HEADER = """# Writing a course for tutor

<!-- Generated by `tutor author docs --write` from the models tutor reads (exercises/schema.py,
exercises/pack.py, tutor/config.py, hpc/profiles.py). Do not edit by hand: a test fails when
this file and the models disagree. -->

A course is one or more **packs**. A pack is a folder with a `pack.toml` and one folder per
task; a task folder holds `exercise.toml` (what the task is and how it is graded), `README.md`
(the instructions students read), `starter/` (files copied into the student's workspace by
`tutor start`) and, outside the pack, a reference solution in `solutions/<task>/`.

```
packs/fashion/pack.toml
packs/fashion/fm1/exercise.toml      # id = "fm1"
packs/fashion/fm1/README.md
packs/fashion/fm1/starter/model.py
solutions/fm1/model.py               # the reference solution (never given to students)
tutor.toml                           # exercise_dirs = ["packs"], packs = ["fashion"], solutions_dir = "solutions"
```

`tutor author new fm1 --pack fashion` writes such a skeleton; `tutor author check` proves each
starter fails and each solution passes `tutor check`; `tutor author check --train` also trains
each solution with its recipe and grades it with the real grader (accuracy bars included).

Every file is TOML. Unknown keys are errors (with "did you mean"), reported with the file,
the line and, for checks, the check's number (from 1) and id. A broken task or pack is left
out of the course and reported (`tutor list` warns, `tutor doctor` fails); the rest works.
"""

PACK_EXAMPLE = """```toml
id = "fashion"
title = "Fashion-MNIST week"
order = 10

[chapters]
1 = "Week 1 · Dense networks"
```"""

EXERCISE_NOTE = """A `model` task's `model.py` defines `build_model()`, which must **return a compiled
Keras model** (`model.compile(optimizer=..., loss=..., metrics=["accuracy"])`); tutor builds it
without training for `tutor check`, trains it with the task's `[recipe]` for `tutor train` (or a
SLURM job), and grades the trained `model.keras` opened in safe mode."""

CHECKS_INTRO = """### [[checks]]

One `[[checks]]` table per check, with `kind` and the kind's own keys. Every check takes:"""

GRADING_RULES = """How checks are graded:

- **score** = points earned / points possible; the task **passes** when every check with
  `required = true` passes. A `required = false` check is a bonus: its points count, its
  failure does not fail the task.
- **statuses**: `passed` (earns the points), `failed` (the student's to fix; a check with
  `partial_credit = true` earns its share of parts met), `missing` (what it reads, a file or the
  trained model, was not handed in; no points), `error` (could not be answered, e.g. the model
  did not build), `skipped` (`tutor check` skips checks that need the trained model; they do not
  count there), `manual` (a rubric item waiting for the instructor's mark; not in the automatic
  score).
- **hidden = true** checks run only under `tutor batch` (the instructor's grading, including
  collected hand-ins): a student's `tutor check`/`tutor grade` neither runs nor shows them; the
  feedback files `tutor batch` writes show them with the grade (as nbgrader's hidden tests).
- **manual** checks (`kind = "manual"`): `tutor batch` writes `OUT/marks.csv` with one row per
  student and rubric item; fill in `points` and rerun the same `tutor batch` command (nothing is
  regraded): the gradebook's `manual_points` and `total_points` include the marks.
- **late penalties**: with `deadlines` and `late_penalty_per_day` in tutor.toml and the
  submissions collected by `tutor collect`, the gradebook shows each student's `late_days`,
  `late_penalty` and `final_score` (score × (1 − penalty), the penalty capped at
  `late_penalty_max`), and each feedback file says it in words. Students see their deadlines in
  `tutor list` and `tutor show`."""

SHAPES = """### Shapes and the batch dimension

Shapes are written **without the batch dimension**: a model taking 28×28 grey images flattened
is `shape = [784]`, one taking images is `shape = [28, 28, 1]`. TOML has no `null`, so
`shape = [null, 784]` is not valid TOML: a dimension of any size is written `"None"` (also
accepted: `"?"`, `"*"`, `"any"`, `-1`), and writing the batch dimension out (`["batch", 784]`,
`["None", 784]`) means the same as leaving it out. To accept several shapes (784 or 28×28):
`shapes = [[784], [28, 28], [28, 28, 1]]`; the data is then reshaped to the shape the model
takes, since the pixel count is the same."""

CONFIG_INTRO = """`tutor.toml` is looked up in `$TUTOR_CONFIG`, `./tutor.toml`, the user config folder
(`~/.config/tutor/config.toml`), then `/etc/tutor/config.toml`; the first found wins. Relative
paths are relative to the file. `packs` names that match no pack are an error with "did you mean".

```toml
course = "DL on HPC 2026"
exercise_dirs = ["packs"]
packs = ["book", "fashion"]
solutions_dir = "solutions"
profile = "site"
profiles_dir = "profiles"
late_penalty_per_day = 0.1

[deadlines]
fm1 = 2026-12-01T23:59:00+01:00
```"""

PROFILE_INTRO = """A cluster profile says how a job runs on your cluster. `mn5` (MareNostrum 5, as in the
book; its account is the placeholder `<group>`) and `local` ship with tutor. Put yours in
`profiles_dir` as `NAME.toml` and select it with `profile = "NAME"`; `extends = "mn5"` takes
every key of that profile and changes only the ones given. The job line is
`<launcher> tutor_runner.py --task ...`: tutor refuses a launcher that does not end in a
Python, or ignores the container, and `tutor submit` refuses a `<placeholder>` left in any key
(`--dry-run` shows the script and warns)."""

PROFILE_EXAMPLE = """An Apptainer site (GPU nodes with an image that has TensorFlow):

```toml
# profiles/site.toml
extends = "mn5"
account = "dl01"
qos = "gpu_normal"
modules = ["apptainer"]
container = "/apps/containers/tensorflow-2.16.sif"
launcher = "apptainer exec --nv {container} python"
gpus_per_job = 1
```

Check it with `tutor submit TASK --dry-run` and `tutor doctor` (which asks SLURM with
`sbatch --test-only` whether it would take the job)."""

WORKFLOW = """## From nothing to a graded class

```bash
tutor author new fm1 --pack fashion --dir packs --kind model   # pack.toml, fm1/, solutions/fm1/
tutor author new fm2 --pack fashion --dir packs --kind script
# edit exercise.toml, README.md, starter/ and solutions/ (tutor author docs = this page)
tutor list                                   # broken specs are warnings here, failures in doctor
tutor author check --pack fashion            # starters fail, solutions pass `tutor check`
tutor author check --pack fashion --train    # solutions trained with the recipe reach their bars
tutor batch submissions/ --task fm1 --out grades/fm1   # gradebook.csv, feedback/, marks.csv
```"""


def write(path: Optional[Path] = None) -> Path:
    target = path or DOC_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(), encoding="utf-8")
    return target
