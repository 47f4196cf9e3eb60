"""A check kind's declared `reads` (exercises/schema.py) is honest: giving a check an input it
does not declare (a model summary, the trained model's predictions, another artifact's summary,
the student's confirmation) never changes its answer. Run over every shipped task's reference
solution, in both modes; a lying kind is caught (the rule can fail). It samples: an input a kind
only reads past a file the solutions lack (overfitting's train.json) is not exercised."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from exercises import load_catalog
from exercises.schema import CHECK_MODELS
from grader.checks import CheckContext, Evaluation, FrontEndFacts, run_check
from grader.checks.common import failed, passed
from grader.checks.registry import check_functions
from tests.checks_helpers import BASELINE_81, summary

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"
# A model with something for every model-reading kind to see (an augmentation layer, a compiled optimizer).
MODEL = summary([("RandomFlip", [None, 28, 28, 1], 0, None), *BASELINE_81],
                [None, 28, 28, 1]).model_copy(update={"optimizer": {"class_name": "Adam"}})
# What each undeclared input looks like when it is there anyway: the CheckContext fields it fills.
GIVEN = {
    "model": {"summary": MODEL},
    "trained_model": {"evaluation": Evaluation(predicted=np.arange(10) % 10, labels=np.arange(10) % 10)},
    "other_artifact": {"artifact_summaries": {"model.keras": MODEL, "finetuned.keras": MODEL}},
    "confirmation": {"facts": FrontEndFacts(confirmed=True, include_hidden=True)},
}


def from_examples(model) -> object:
    """A check of a kind no shipped task uses, built from its fields' documented examples."""
    values = {name: field.examples[0] for name, field in model.model_fields.items() if field.examples}
    return model.model_validate({**values, "id": "example", "kind": model.KIND})


def undeclared_reads(tmp_path: Path) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(task, check kind, input) wherever an input the kind does not declare changed its answer,
    and the kinds looked at."""
    tasks = list(load_catalog())
    shipped = {c.kind for task in tasks for c in task.spec.checks}
    unused = [from_examples(m) for m in CHECK_MODELS if m.KIND not in shipped]
    found, seen = [], set()
    for task in tasks:
        folder = SOLUTIONS / task.id if (SOLUTIONS / task.id).is_dir() else tmp_path  # a guide has none
        for mode in ("check", "grade"):
            bare = CheckContext(spec=task.spec, submission=folder, mode=mode, model_error="not built")
            for what, fields in GIVEN.items():
                given = replace(bare, **fields)
                for check in [*task.spec.checks, *unused]:
                    seen.add(check.kind)
                    if what in check.reads:
                        continue
                    before, after = run_check(check, bare), run_check(check, given)
                    if (before.status, before.message, before.points) != (after.status, after.message, after.points):
                        found.append((task.id, check.kind, what))
    return sorted(set(found)), seen


def test_every_kind_reads_only_what_it_declares(tmp_path):
    found, seen = undeclared_reads(tmp_path)
    assert found == []
    assert seen == {m.KIND for m in CHECK_MODELS}  # every kind was looked at, shipped or not


def test_a_kind_that_reads_an_undeclared_input_is_caught(monkeypatch, tmp_path):
    def peeks_at_the_model(check, ctx):  # declared as reading source only
        return passed(check, "ok") if ctx.summary is not None else failed(check, "no")

    monkeypatch.setitem(check_functions(), "script", peeks_at_the_model)
    assert ("task8.2", "script", "model") in undeclared_reads(tmp_path)[0]
