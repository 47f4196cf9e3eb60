"""Run the real `tutor` CLI as a subprocess and read its JSON contract.

The TUI never grades, trains or submits in its own process (TensorFlow stays out of it):
it runs `tutor check TASK --json --path WS` and friends, parses stdout into a `Report`, and
turns a non-zero exit into the one-line reason the CLI printed on stderr.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import os
import re
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from pydantic import ValidationError

from grader.report import Report


@dataclass
class CliResult:
    """What a `tutor` subprocess did: exit code and both streams."""

    args: list[str]
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def reason(self) -> str:
        """The CLI's one-line reason (`tutor: ...` on stderr), else a generic one."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        for line in lines:
            if line.startswith("tutor:"):
                return line.removeprefix("tutor:").strip()
        if lines:
            return lines[-1]
        return f"`tutor {' '.join(self.args)}` exited with status {self.code}"

    def report(self) -> Optional[Report]:
        """The JSON report on stdout, or None if there is none (or it breaks the contract)."""
        text = self.stdout.strip()
        if not text.startswith("{"):
            return None
        try:
            return Report.model_validate_json(text)
        except ValidationError:
            return None

    def json(self) -> Any:
        """stdout parsed as JSON, or None."""
        try:
            return json.loads(self.stdout)
        except ValueError:
            return None


def tutor_command() -> list[str]:
    """The console script next to this interpreter, else `python -m tutor.cli.app`."""
    exe = Path(sys.executable).with_name("tutor")
    if exe.exists():
        return [str(exe)]
    return [sys.executable, "-m", "tutor.cli.app"]


LineSink = Callable[[str], None]


async def _pump(stream: asyncio.StreamReader, chunks: list[str], on_line: Optional[LineSink]) -> None:
    """Collect a stream; hand each line (split on \\n or \\r, as progress bars write) on."""
    pending = ""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    while True:
        data = await stream.read(4096)
        text = decoder.decode(data, final=not data)
        if not data:
            chunks.append(text)
            break
        chunks.append(text)
        if on_line is not None:
            pending += text
            *lines, pending = re.split(r"[\r\n]", pending)
            for line in lines:
                if line.strip():
                    on_line(line)
    if on_line is not None and pending.strip():
        on_line(pending)


async def run_cli(*args: str, timeout: Optional[float] = None, cwd: Optional[Path] = None,
                  on_line: Optional[LineSink] = None) -> CliResult:
    """Run `tutor ARGS...` without a terminal; never raises for a failing command.

    `on_line` receives each output line as it arrives (e.g. training progress)."""
    argv = [str(a) for a in args]
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
    try:
        proc = await asyncio.create_subprocess_exec(
            *tutor_command(), *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        return CliResult(argv, 2, "", f"tutor: cannot run tutor ({exc.strerror})")
    try:
        out: list[str] = []
        err: list[str] = []
        assert proc.stdout is not None and proc.stderr is not None
        await asyncio.wait_for(
            asyncio.gather(_pump(proc.stdout, out, on_line), _pump(proc.stderr, err, on_line),
                           proc.wait()),
            timeout,
        )
    except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
        await _reap(proc)
        if isinstance(exc, asyncio.CancelledError):
            raise
        return CliResult(argv, 2, "", f"tutor: `tutor {argv[0]}` took longer than {timeout:.0f} s")
    return CliResult(argv, proc.returncode or 0, "".join(out), "".join(err))


async def _reap(proc: asyncio.subprocess.Process) -> None:
    """Stop the command's whole process group and release its pipes, even while the app
    shuts down (no 'Event loop is closed' noise on the student's terminal after q)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        await asyncio.wait_for(asyncio.shield(proc.wait()), 5)
    except (asyncio.TimeoutError, asyncio.CancelledError):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    finally:
        transport = getattr(proc, "_transport", None)  # asyncio keeps it private
        if transport is not None:
            transport.close()
