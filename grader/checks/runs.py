"""Recorded training runs (`train.json`, `<name>.train.json`) and the comparison table built
from them: rendered by `tutor compare`, read back by the `comparison_table` check.

A run record is what `tutor train` writes (grader.training.TrainRecord) or what a student's
own training script writes in the same shape (e.g. the fine-tuning run of task a1.4); this
reader is lenient about fields it does not need and strict about the ones it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from grader.checks.documents import validated

MARKER = "<!-- tutor compare: generated from the recorded runs; edit the text around it, not the table -->"
COLUMNS = (
    "run",
    "epochs",
    "trainable params",
    "total params",
    "training time (s)",
    "s / epoch",
    "train acc",
    "val acc",
    "device",
)


class RunRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    task: Optional[str] = None
    label: Optional[str] = None  # what the run is, e.g. "with fine-tuning"
    epochs: Optional[int] = Field(default=None, ge=0)
    batch_size: Optional[int] = Field(default=None, gt=0)
    history: dict[str, list[float]] = {}
    epoch_times_s: list[float] = []
    total_s: Optional[float] = Field(default=None, ge=0)
    device: Optional[str] = None
    trainable_params: Optional[int] = Field(default=None, ge=0)
    total_params: Optional[int] = Field(default=None, ge=0)

    @property
    def epochs_run(self) -> Optional[int]:
        if self.epoch_times_s:
            return len(self.epoch_times_s)
        loss = self.history.get("loss")
        return len(loss) if loss else self.epochs

    @property
    def seconds(self) -> Optional[float]:
        if self.total_s is not None:
            return self.total_s
        return sum(self.epoch_times_s) if self.epoch_times_s else None

    def final(self, metric: str) -> Optional[float]:
        values = self.history.get(metric)
        return values[-1] if values else None


@dataclass
class Run:
    name: str  # "a1.2", or "a1.4 · finetuned" for finetuned.train.json
    path: Path
    record: RunRecord


def load_record(folder: Path, name: str) -> RunRecord:
    return validated(RunRecord, folder, name)


def record_files(folder: Path) -> list[str]:
    """`train.json` first, then every `<name>.train.json`, by name."""
    names = ["train.json"] if (folder / "train.json").is_file() else []
    names += sorted(p.name for p in folder.glob("*.train.json") if p.is_file())
    return names


def find_runs(task_id: str, folder: Path) -> list[Run]:
    runs = []
    for name in record_files(folder):
        record = load_record(folder, name)
        suffix = "" if name == "train.json" else f" · {record.label or name[: -len('.train.json')]}"
        runs.append(Run(f"{task_id}{suffix}", folder / name, record))
    return runs


def _number(value: Optional[float], digits: int = 0) -> str:
    if value is None:
        return "?"
    return f"{value:,.{digits}f}"


def row(run: Run) -> list[str]:
    rec = run.record
    epochs = rec.epochs_run
    seconds = rec.seconds
    per_epoch = seconds / epochs if seconds is not None and epochs else None
    return [
        run.name,
        str(epochs) if epochs is not None else "?",
        _number(rec.trainable_params),
        _number(rec.total_params),
        _number(seconds, 1),
        _number(per_epoch, 2),
        _number(rec.final("accuracy"), 4),
        _number(rec.final("val_accuracy"), 4),
        (rec.device or "?").replace("|", "/"),
    ]


def render_table(runs: list[Run], command: str) -> str:
    """The Markdown table a student pastes (GitHub-flavoured, numbers right-aligned)."""
    lines = [MARKER, f"<!-- {command} -->", ""]
    lines.append("| " + " | ".join(COLUMNS) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(COLUMNS) - 2) + ["---"]) + "|")
    lines += ["| " + " | ".join(row(run)) + " |" for run in runs]
    return "\n".join(lines) + "\n"


def parse_table(markdown: str) -> Optional[list[dict[str, str]]]:
    """The rows of the generated table (column name -> cell), or None if there is none."""
    if MARKER not in markdown:
        return None
    rows: list[dict[str, str]] = []
    header: Optional[list[str]] = None
    for line in markdown.split(MARKER, 1)[1].splitlines():
        line = line.strip()
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if header is None:
            header = cells
        elif not all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
            rows.append(dict(zip(header, cells)))
    return rows if header == list(COLUMNS) else None


def is_number(cell: str) -> bool:
    return bool(re.fullmatch(r"-?[\d,]+(\.\d+)?", cell or ""))
