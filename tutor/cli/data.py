"""`tutor data status` and `tutor data stage NAME --from FILE`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from grader.data import search_places
from grader.data.stage import stage as stage_file
from tutor.cli.doctor import MARK
from tutor.cli.output import escape, fail, out
from tutor.context import load_context
from tutor.doctor import check_data

data_app = typer.Typer(help="Staged datasets and pretrained weights (offline first).", no_args_is_help=True,
                        add_completion=False, rich_markup_mode=None)


@data_app.command("status")
def status(as_json: bool = typer.Option(False, "--json")) -> None:
    """Where each dataset and weights file is found, and whether it verifies."""
    ctx = load_context()
    findings = check_data(ctx.data_dir)
    if as_json:
        print(json.dumps([f.__dict__ for f in findings], indent=2))
        return
    out.print("Looked in, in order: " + ", ".join(f"{p.label} ({p.root})" for p in search_places(ctx.data_dir)))
    for f in findings:
        out.print(f"{MARK[f.level]} {escape(f.message)}", markup=True)


@data_app.command("stage")
def stage(
    name: str = typer.Argument(..., help="mnist, fashion_mnist, cifar10 or a weights name"),
    source: Path = typer.Option(..., "--from", help="The file to stage (verified first)."),
    data_dir: Optional[Path] = typer.Option(None, "--data-dir", help="Where to stage (default: config data_dir, else $TUTOR_DATA_DIR)."),
) -> None:
    """Verify a dataset or weights file and copy it into the course's data dir, atomically."""
    ctx = load_context()
    target_dir = data_dir or ctx.data_dir or (Path(os.environ["TUTOR_DATA_DIR"]) if os.environ.get("TUTOR_DATA_DIR") else None)
    if target_dir is None:
        fail("no data dir to stage into: pass --data-dir DIR or set data_dir in tutor.toml")
    path, what = stage_file(name, source, target_dir)
    out.print(f"[green]staged[/] {escape(name)}: {escape(path)}\n  {escape(what)}", markup=True)
