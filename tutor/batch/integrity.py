"""Academic-integrity flags: students whose trained weights or normalised source are
identical. A flag is for a human to look at, never a grade: identical code trained with the
course's fixed seed can legitimately give identical weights, so each group says what matched.

Source identical to the task's starter is not flagged (everyone starts there); source
identical to the reference solution is, with a note saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from pydantic import BaseModel

from exercises import Task
from tutor.batch.fingerprint import _Skip, source_fingerprint
from tutor.batch.models import StoredResult
from tutor.state.atomic import write_atomic

SOLUTIONS = Path(__file__).resolve().parents[2] / "solutions"


class Group(BaseModel):
    kind: str  # "weights" or "source"
    fingerprint: str
    students: list[str]
    note: str = ""


class IntegrityReport(BaseModel):
    task: str
    groups: list[Group]
    not_fingerprinted: dict[str, list[str]] = {}


def _known_source(folder: Path) -> Optional[str]:
    try:
        return source_fingerprint(folder) if folder.is_dir() else None
    except (_Skip, OSError):
        return None


def find_groups(task: Task, results: Iterable[StoredResult]) -> IntegrityReport:
    starter = _known_source(task.starter)
    solution = _known_source(SOLUTIONS / task.id)
    by: dict[tuple[str, str], list[str]] = {}
    missing: dict[str, list[str]] = {}
    for result in results:
        prints = result.fingerprints
        if prints.notes:
            missing[result.student] = list(prints.notes)
        for kind, value in (("weights", prints.weights), ("source", prints.source)):
            if value:
                by.setdefault((kind, value), []).append(result.student)
    groups = []
    for (kind, value), students in sorted(by.items(), key=lambda kv: (kv[0][0] != "weights", -len(kv[1]))):
        if len(students) < 2:
            continue
        note = ""
        if kind == "source" and value == starter:
            continue
        if kind == "source" and value == solution:
            note = "identical to the reference solution"
        elif kind == "weights":
            note = "same trained weights (a copied model.keras, or identical code and seed)"
        else:
            note = "same program once comments, formatting and names are ignored"
        groups.append(Group(kind=kind, fingerprint=value[:16], students=sorted(students), note=note))
    return IntegrityReport(task=task.id, groups=groups, not_fingerprinted=missing)


def write_report(out: Path, report: IntegrityReport) -> None:
    write_atomic(out / "integrity.json", report.model_dump_json(indent=2) + "\n")
    lines = [f"Academic-integrity flags for {report.task} (for a human to review, not a grade)", ""]
    if not report.groups:
        lines.append("No two submissions share trained weights or normalised source.")
    for group in report.groups:
        lines.append(f"[{group.kind}] {', '.join(group.students)}")
        lines.append(f"    {group.note} (fingerprint {group.fingerprint})")
    if report.not_fingerprinted:
        lines += ["", "Not fingerprinted (nothing to compare):"]
        for student, notes in sorted(report.not_fingerprinted.items()):
            lines.append(f"  {student}: {'; '.join(notes)}")
    write_atomic(out / "integrity.txt", "\n".join(lines) + "\n")
