"""`tutor doctor`."""

from __future__ import annotations

import json
from dataclasses import asdict

import typer

from tutor.cli.output import escape, out
from tutor.doctor import run_doctor

MARK = {"ok": "[green]✓[/]", "warn": "[yellow]![/]", "missing": "[red]✗[/]", "error": "[bold red]✗[/]"}


def doctor(
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON."),
    no_tf: bool = typer.Option(False, "--no-tf", help="Skip the (slow) TensorFlow probe."),
) -> None:
    """Say what is ready and what is missing: TensorFlow, GPU, SLURM, containers, data, config."""
    findings = run_doctor(with_tensorflow=not no_tf)
    if as_json:
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        for f in findings:
            out.print(f"{MARK[f.level]} [bold]{f.area:<10}[/] {escape(f.message)}", markup=True)
            if f.fix and f.level != "ok":
                out.print(f"  [dim]→ {escape(f.fix)}[/]", markup=True)
    bad = [f for f in findings if f.level == "error"]
    raise typer.Exit(1 if bad else 0)
