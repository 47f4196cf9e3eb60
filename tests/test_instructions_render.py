"""Instructions render completely at any width: every word of a task's README.md is on screen
in `tutor show` (the real CLI) and in the TUI's Instructions tab, at 60, 80 and 120 columns."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from markdown_it import MarkdownIt

from tests.conftest import run_tutor
from tests.tui_support import run_app, screen_text

WIDTHS = [60, 80, 120]
WALKTHROUGH = ["task7.3", "task8.1", "task8.2", "task8.4", "task8.5"]
FRAME = re.compile(r"[│┃╭╮╰╯─━┏┓┗┛┡┩╇╈┼┬┴├┤┌┐└┘═║╔╗╚╝▌▎▊•▔▁▕▏]")  # frames, bullets, the focus bar


def source_words(markdown: str) -> Counter:
    """The words a reader must see: text, inline code, code blocks and table cells."""
    words: list[str] = []

    def walk(tokens) -> None:
        for token in tokens:
            if token.children:
                walk(token.children)
            elif token.type in ("text", "code_inline", "fence", "code_block"):
                words.extend(token.content.split())

    walk(MarkdownIt("commonmark").enable("table").parse(markdown))
    return Counter(words)


def missing_words(markdown: str, rendered: str) -> list[str]:
    """Source words not on screen. Inline code joins its neighbours on screen ("(`Conv2D`)."
    shows as "(Conv2D)."), so each word is looked for in the screen's text without spaces,
    where a word cut at the edge ("(keep softmax at the out") is not found."""
    shown = "".join(FRAME.sub(" ", rendered).split())
    return sorted(w for w in source_words(markdown) if w not in shown)


def readme(task_id: str) -> str:
    from exercises import load_catalog

    return load_catalog([], ["book"]).get(task_id).instructions()


@pytest.fixture(autouse=True)
def book_only(isolated_home):
    (isolated_home / "tutor.toml").write_text('packs = ["book"]\n')


@pytest.mark.parametrize("width", WIDTHS)
def test_tutor_show_prints_every_word_at_any_width(width):
    for task_id in WALKTHROUGH:
        proc = run_tutor("show", task_id, env={"COLUMNS": str(width)})
        assert proc.returncode == 0, proc.stderr
        assert max(len(line) for line in proc.stdout.splitlines()) <= width
        assert missing_words(readme(task_id), proc.stdout) == [], (task_id, width, proc.stdout)
        assert proc.stdout.rstrip().splitlines()[-1].startswith("Next: ")


def test_the_starter_list_item_that_used_to_be_cut_is_whole_at_80_columns():
    proc = run_tutor("show", "task7.3", env={"COLUMNS": "80"})
    text = " ".join(proc.stdout.split())
    assert "(keep softmax at the output);" in text
    assert "tutor adapts the data, not the model" in " ".join(run_tutor("show", "task8.5", env={"COLUMNS": "80"}).stdout.split())


@pytest.mark.parametrize("width", WIDTHS)
def test_tui_instructions_show_every_word_at_any_width(width):
    seen: dict[str, str] = {}

    async def scenario(pilot, app):
        for task_id in WALKTHROUGH:
            app.open_task(task_id)
            await pilot.pause()
            seen[task_id] = screen_text(app)
            app.pop_screen()
            await pilot.pause()

    run_app(scenario, size=(width, 200))
    for task_id, text in seen.items():
        assert missing_words(readme(task_id), text) == [], (task_id, width)
