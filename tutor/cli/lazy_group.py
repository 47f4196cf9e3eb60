"""A command group that imports a command's module only when that command runs or shows its help.

`tutor --help` lists every command from a table of one-line summaries, without importing any
command module; `tutor check ...` imports `tutor.cli.grading` and nothing else of the CLI. So a
command module may import what it needs at module level: only its own commands pay for it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, ClassVar, Optional

import typer
from typer.core import TyperCommand, TyperGroup


class BoolHelp:
    """Mixin: `--help` not given is False, not None. typer passes every parameter value that
    is not already a bool through a pydantic TypeAdapter, so a None help flag made each command
    import pydantic and build one (~0.15 s of CPU, more than `tutor list` needs for its work)."""

    def get_help_option(self, ctx: Any) -> Optional[Any]:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None and option.default is None:
            option.default = False
        return option


class BoolHelpCommand(BoolHelp, TyperCommand):
    """A TyperCommand whose `--help` flag is a bool (see BoolHelp)."""


@dataclass(frozen=True)
class LazyCommand:
    """Where a command lives and what `tutor --help` says about it."""

    target: str  # "module:attr", attr a command function or a typer.Typer of sub-commands
    summary: str  # the command's own one-line help (a test proves they agree)

    def load(self, name: str) -> Any:
        """The click command for `name`: imports the module now."""
        module_name, _, attr = self.target.partition(":")
        obj = getattr(importlib.import_module(module_name), attr)
        if isinstance(obj, typer.Typer):
            return typer.main.get_group(obj)
        single = typer.Typer(add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
        single.command(name, cls=BoolHelpCommand)(obj)
        return typer.main.get_command(single)


class LazyGroup(BoolHelp, TyperGroup):
    """A TyperGroup whose commands come from `table` (name -> LazyCommand), loaded on first use.

    Subclass it with the table and pass the subclass as `typer.Typer(cls=...)`."""

    table: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(name for name in self.table if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Optional[Any]:
        if cmd_name not in self.commands and cmd_name in self.table:
            self.commands[cmd_name] = self.table[cmd_name].load(cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list of `--help`, from the table: no command module is imported."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = []
        for name in names:
            if name in self.table:
                command = TyperCommand(name, help=self.table[name].summary)
            else:
                command = self.commands[name]
            rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> tuple[Optional[str], Optional[Any], list[str]]:
        """As click's, with "Did you mean ...?" drawn from every command, loaded or not."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in self.list_commands(ctx):
            matches = get_close_matches(name, self.list_commands(ctx))
            if matches:
                ctx.fail(f"No such command {name!r}. Did you mean {', '.join(map(repr, matches))}?")
        return super().resolve_command(ctx, args)
