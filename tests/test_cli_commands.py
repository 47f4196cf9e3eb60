"""The command table of `tutor` (tutor/cli/app.py COMMANDS): every entry loads, shows its help,
and says in `tutor --help` what the command itself says; a command's module is imported only
when that command runs or shows its help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from tutor.cli.app import COMMANDS, app
from tutor.cli.lazy_group import LazyCommand

runner = CliRunner()


def _subcommands(path: list[str]) -> list[list[str]]:
    """`path` and, for a group, each of its sub-commands (as found in the group's own --help)."""
    result = runner.invoke(app, [*path, "--help"], terminal_width=100)
    assert result.exit_code == 0, (path, result.output)
    found = [path]
    if path and "Commands:" in result.output:
        for line in result.output.split("Commands:", 1)[1].splitlines():
            if line.startswith("  ") and line.split():
                found += _subcommands([*path, line.split()[0]])
    return found


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_in_the_table_loads_and_shows_its_help(name):
    entry = COMMANDS[name]
    command = entry.load(name)
    assert command.get_short_help_str(10**6) == entry.summary, (
        f"COMMANDS[{name!r}].summary differs from the command's own help: copy its first sentence")
    paths = _subcommands([name])
    assert paths[0] == [name]


def test_the_top_level_help_lists_every_command_in_table_order():
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0, result.output
    listed = [line.split()[0] for line in result.output.split("Commands:", 1)[1].splitlines() if line.strip()]
    assert listed == list(COMMANDS)
    assert "Fast structural feedback: builds your model in the sandbox" in result.output


def test_a_typo_in_the_table_fails_to_load():
    with pytest.raises(AttributeError):
        LazyCommand("tutor.cli.grading:chek", "x").load("check")
    with pytest.raises(ModuleNotFoundError):
        LazyCommand("tutor.cli.gradin:check", "x").load("check")


def test_an_unknown_command_suggests_the_nearest_one():
    result = runner.invoke(app, ["chek"])
    assert result.exit_code == 2
    assert "No such command 'chek'. Did you mean 'check'?" in result.output


def _cli_modules_after(*args: str) -> set[str]:
    """The tutor.cli modules a fresh `tutor ARGS` has imported by the time it exits."""
    code = (
        "import sys, atexit, json; sys.argv = ['tutor', *%r];"
        "atexit.register(lambda: print('MODULES', json.dumps(sorted(m for m in sys.modules"
        " if m.startswith('tutor.cli.')))));"
        "from tutor.cli.app import main; main()" % (list(args),)
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    line = next((x for x in result.stdout.splitlines() if x.startswith("MODULES ")), None)
    assert line, (args, result.stdout[-300:], result.stderr[-500:])
    return set(json.loads(line[len("MODULES "):]))


def test_help_imports_no_command_module_and_a_command_only_its_own():
    shell = {"tutor.cli.app", "tutor.cli.lazy_group", "tutor.cli.output"}
    assert _cli_modules_after("--help") == shell
    loaded = _cli_modules_after("check", "--help")
    assert "tutor.cli.grading" in loaded
    assert not loaded & {"tutor.cli.jobs", "tutor.cli.submit", "tutor.cli.handin", "tutor.cli.batch",
                         "tutor.cli.author", "tutor.cli.course", "tutor.cli.data"}, loaded
    # `tutor jobs` (which the TUI's jobs screen runs) does not pay for what only submit needs
    loaded = _cli_modules_after("jobs", "--help")
    assert "tutor.cli.jobs" in loaded and not loaded & {"tutor.cli.submit", "tutor.cli.grading"}, loaded
