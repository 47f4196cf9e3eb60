"""job_script: a SLURM batch script's #SBATCH directives against what the exercise asks for.

SLURM reads `#SBATCH` lines only up to the first command of the script; directives after it are
ignored without a word, so they are reported here.
"""

from __future__ import annotations

import re
import shlex
from typing import Optional

from pydantic import BaseModel

from exercises import schema as s
from grader.checks.common import FileProblem, failed, passed, submission_file
from grader.checks.context import CheckContext
from grader.checks.registry import implements
from grader.report import CheckResult

SHORT = {
    "-N": "nodes",
    "-t": "time",
    "-G": "gpus",
    "-J": "job-name",
    "-o": "output",
    "-e": "error",
    "-A": "account",
    "-q": "qos",
    "-p": "partition",
    "-n": "ntasks",
    "-c": "cpus-per-task",
    "-D": "chdir",
}
FLAGS = {"exclusive", "requeue", "no-requeue", "parsable", "wait", "hold"}


class Directive(BaseModel):
    line: int
    option: str  # long name without dashes, e.g. "gres"
    value: Optional[str] = None


class JobScript(BaseModel):
    directives: list[Directive] = []
    ignored: list[Directive] = []  # #SBATCH lines after the first command
    commands: list[tuple[int, str]] = []
    first_command_line: Optional[int] = None

    def get(self, option: str) -> Optional[str]:
        """The value SLURM uses: the last occurrence wins."""
        values = [d.value for d in self.directives if d.option == option]
        return values[-1] if values else None


def _options(text: str) -> list[tuple[str, Optional[str]]]:
    """`--nodes 1 --gres=gpu:1 -t 10` -> [("nodes", "1"), ("gres", "gpu:1"), ("time", "10")]."""
    text = re.split(r"\s#", text, maxsplit=1)[0]
    try:
        tokens = shlex.split(text)
    except ValueError:
        tokens = text.split()
    found: list[tuple[str, Optional[str]]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.startswith("--"):
            name, eq, value = token[2:].partition("=")
            if not eq and name not in FLAGS and i + 1 < len(tokens) and not tokens[i + 1].startswith("-"):
                value, i = tokens[i + 1], i + 1
            found.append((name, value if (eq or value) else None))
        elif token.startswith("-") and len(token) >= 2:
            name = SHORT.get(token[:2], token[1:2])
            value = token[2:].lstrip("=") or None
            if value is None and i + 1 < len(tokens):
                value, i = tokens[i + 1], i + 1
            found.append((name, value))
        i += 1
    return found


def parse_job_script(text: str) -> JobScript:
    script = JobScript()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#SBATCH"):
            for option, value in _options(line[len("#SBATCH"):]):
                directive = Directive(line=number, option=option, value=value)
                (script.ignored if script.first_command_line else script.directives).append(directive)
        elif line and not line.startswith("#"):
            script.commands.append((number, line))
            if script.first_command_line is None:
                script.first_command_line = number
    return script


def slurm_seconds(value: str) -> Optional[int]:
    """SLURM time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S; None if unreadable/unlimited."""
    value = value.strip()
    days = 0
    if "-" in value:
        day_text, _, value = value.partition("-")
        if not day_text.isdigit():
            return None
        days = int(day_text)
        parts = value.split(":")
        if not all(p.isdigit() for p in parts) or len(parts) > 3:
            return None
        h, m, sec = (list(map(int, parts)) + [0, 0])[:3]
        return ((days * 24 + h) * 60 + m) * 60 + sec
    parts = value.split(":")
    if not all(p.isdigit() for p in parts):
        return None
    numbers = list(map(int, parts))
    if len(numbers) == 1:
        return numbers[0] * 60
    if len(numbers) == 2:
        return numbers[0] * 60 + numbers[1]
    if len(numbers) == 3:
        return (numbers[0] * 60 + numbers[1]) * 60 + numbers[2]
    return None


def gpus_requested(script: JobScript) -> Optional[int]:
    """GPUs per node from --gres gpu[:type]:N, --gpus[=type:]N, --gpus-per-node or -G."""
    for option in ("gres", "gpus-per-node", "gpus"):
        value = script.get(option)
        if value is None:
            continue
        if option == "gres":
            for item in value.split(","):
                fields = item.split(":")
                if fields[0] == "gpu":
                    return int(fields[-1]) if len(fields) > 1 and fields[-1].isdigit() else 1
            continue
        last = value.split(":")[-1]
        return int(last) if last.isdigit() else None
    return None


PLACEHOLDER = re.compile(r"<(?:group|account|user|project|your[\w -]*|[A-Z_]+)>")


def placeholders(text: str) -> list[tuple[int, str]]:
    """Template placeholders such as `<group>` left in directives or commands (in bash,
    `<group>` is even a redirection). Comment lines other than #SBATCH are ignored."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("#") and not stripped.startswith("#SBATCH"):
            continue
        match = PLACEHOLDER.search(stripped)
        if match:
            found.append((number, match[0]))
    return found


def runs_script(script: JobScript, name: str) -> Optional[int]:
    """The line of the first command that runs `name`, if any."""
    pattern = re.compile(rf"(^|[\s/'\"]){re.escape(name)}($|[\s'\";])")
    for number, command in script.commands:
        if pattern.search(command):
            return number
    return None


@implements(s.JobScriptCheck)
def job_script_check(check: s.JobScriptCheck, ctx: CheckContext) -> CheckResult:
    wants = []
    if check.nodes is not None:
        wants.append(f"{check.nodes} node{'s' if check.nodes != 1 else ''}")
    if check.gpus is not None:
        wants.append(f"{check.gpus} GPU{'s' if check.gpus != 1 else ''}")
    if check.max_time is not None:
        wants.append(f"time <= {check.max_time}")
    if check.runs is not None:
        wants.append(f"runs {check.runs}")
    want = ", ".join(wants)
    try:
        path = submission_file(ctx.submission, check.file, max_bytes=256 * 1024)
        text = path.read_bytes().decode("utf-8", errors="replace")  # keep \r\n visible
    except (FileProblem, OSError) as exc:
        return failed(check, str(exc), want, "no job script")
    script = parse_job_script(text)
    problems: list[str] = []
    got: list[str] = []
    # sbatch itself refuses these two before reading any directive.
    if not text.startswith("#!"):
        problems.append("the first line must be an interpreter line such as #!/bin/bash, or sbatch refuses the script")
    if "\r\n" in text:
        problems.append(f"Windows line endings: sbatch refuses them; convert with dos2unix {check.file}")
    ignored = {d.option for d in script.ignored}

    def after_command(option: str) -> str:
        if option in ignored:
            line = next(d.line for d in script.ignored if d.option == option)
            return (
                f" (the #SBATCH --{option} on line {line} comes after the first command on line "
                f"{script.first_command_line}, and SLURM ignores #SBATCH lines after it: move it up)"
            )
        return ""

    for number, where in placeholders(text):
        problems.append(f"line {number} still has the placeholder {where}: put in your course's real value")
        break
    if check.nodes is not None:
        value = script.get("nodes")
        nodes = int(value.split("-")[0]) if value and value.split("-")[0].isdigit() else None
        got.append(f"{value or 'default'} node(s)")
        if value is None and check.nodes == 1 and "nodes" not in ignored:
            pass  # SLURM's default is one node
        elif nodes != check.nodes:
            problems.append(f"asks for {value or 'no'} nodes, want #SBATCH --nodes={check.nodes}" + after_command("nodes"))
    if check.gpus is not None:
        gpus = gpus_requested(script)
        got.append(f"{gpus if gpus is not None else 0} GPU(s)")
        if (gpus or 0) != check.gpus:
            problems.append(
                f"asks for {gpus or 'no'} GPUs, want #SBATCH --gres=gpu:{check.gpus}"
                + after_command("gres")
                + after_command("gpus")
            )
    if check.max_time is not None:
        value = script.get("time")
        got.append(f"time {value or 'not set'}")
        limit = slurm_seconds(check.max_time)
        seconds = slurm_seconds(value) if value else None
        if value is None:
            problems.append(f"no time limit: add #SBATCH --time=HH:MM:SS of at most {check.max_time}" + after_command("time"))
        elif seconds is None:
            problems.append(f"--time {value} is not a SLURM time such as 00:15:00")
        elif limit is not None and seconds > limit:
            problems.append(f"--time {value} is longer than the {check.max_time} this task allows")
    if check.runs is not None:
        line = runs_script(script, check.runs)
        got.append(f"runs {check.runs}" if line else f"does not run {check.runs}")
        if line is None:
            problems.append(f"no command runs {check.runs}: end the script with e.g. `python {check.runs}`")
        elif not (ctx.submission / check.runs).is_file():
            got[-1] = f"runs {check.runs}, which is missing"
            earlier = ctx.spec.carry_over.get(check.runs)
            where = f" (your script from {' or '.join(earlier)})" if earlier else ""
            problems.append(f"line {line} runs {check.runs}, but there is no {check.runs} in this folder, so the "
                            f"job would fail as soon as it starts: copy your {check.runs}{where} next to {check.file}")
    if script.ignored and not problems:
        lines = ", ".join(str(d.line) for d in script.ignored)
        return passed(
            check,
            f"{check.file}: {want}; note: SLURM ignores the #SBATCH lines after the first command (lines {lines})",
            want,
            ", ".join(got),
        )
    if problems:
        return failed(check, f"{check.file}: " + "; ".join(problems), want, ", ".join(got))
    return passed(check, f"{check.file}: {want}", want, ", ".join(got))
