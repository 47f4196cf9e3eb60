"""Names a student chooses are printed as data: rich markup in them (`[/b]`, `[bold red]`,
`[link=...]`) is shown as typed, never styled and never a MarkupError traceback, and terminal
control characters are shown as escapes (tutor.console). Through the real CLI where the name
reaches the output: an instructor's `tutor batch` on a bulk-download zip, a student's own errors,
`tutor hint` text; and the batch summary lines that quote what submissions said.
(`tutor collect` is attacked the same way with real accounts in test_handin_hostile.py.)"""

from __future__ import annotations

import io
import zipfile

from rich.console import Console

from tests.conftest import run_tutor

HOSTILE = "../[/b][bold red]owned[link=http://evil.example]here"


def one_line(done) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "MarkupError" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_batch_names_a_hostile_zip_entry_as_typed(tmp_path):
    """A bulk-download zip whose entry name holds markup: main crashed with a MarkupError
    traceback (the refusal went through fail() with markup on)."""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("alice/model.py", "x = 1\n")
        handle.writestr(HOSTILE, "x")
    line = one_line(run_tutor("batch", str(archive), "--task", "task8.1", "--out", str(tmp_path / "out")))
    assert f"entry '{HOSTILE}' leaves the folder" in line


def test_a_students_own_errors_show_what_they_typed(tmp_path):
    assert one_line(run_tutor("show", "[/b]")) == "tutor: unknown task '[/b]'; try: tutor list"
    line = one_line(run_tutor("show", "[link=http://evil.example]x"))
    assert "'[link=http://evil.example]x'" in line
    line = one_line(run_tutor("hint", "\x1b[2K\x1b[1Ahidden"))
    assert "\x1b" not in line and "'\\x1b[2K\\x1b[1Ahidden'" in line


def test_hint_text_keeps_its_brackets(tmp_path):
    """A pack's hint is text, not markup: `[batch, 28, 28, 1]` used to vanish as an unknown style."""
    task = tmp_path / "packs" / "mine" / "brackets1"
    task.mkdir(parents=True)
    (task.parent / "pack.toml").write_text('id = "mine"\ntitle = "Mine"\n[chapters]\n1 = "One"\n')
    hint = "Reshape to [batch, 28, 28, 1]; [/b] is not a tag, nor [bold red]this"
    (task / "exercise.toml").write_text(
        'id = "brackets1"\ntitle = "Brackets"\nchapter = 1\norder = 1\nkind = "guide"\n'
        f'summary = "A guide."\nhints = [{hint!r}]\n'.replace("'", '"'))
    (task / "README.md").write_text("# Brackets\n\nRead the hint.\n")
    config = tmp_path / "tutor.toml"
    config.write_text(f'exercise_dirs = ["{tmp_path / "packs"}"]\n')
    shown = run_tutor("hint", "brackets1", env={"TUTOR_CONFIG": str(config)})
    assert shown.returncode == 0, shown.stderr
    assert hint in shown.stdout


def test_batch_summary_quotes_submissions_as_data(tmp_path):
    from tutor.batch import summary
    from tutor.batch.models import Unattributed

    result = summary.Summary(task="task8.1", total=2, passed=0, failed=0, errors=2, pass_rate=0.0,
                             mean_score=0.0, histogram=[2] + [0] * 9, failed_checks=[],
                             slowest=[("[bold]mallory", 1.0)],
                             common_error="lab.ipynb cell 2: [/b] \x1b[2J[link=http://evil.example]x",
                             unattributed=[Unattributed(path="[red]planted[/]", reason="no student id")])
    buffer = io.StringIO()
    summary.render(Console(file=buffer, width=200, color_system=None), result, tmp_path)
    shown = buffer.getvalue()
    assert "lab.ipynb cell 2: [/b] \\x1b[2J[link=http://evil.example]x" in shown
    assert "[red]planted[/]: no student id" in shown and "[bold]mallory 1.0 s" in shown
    assert "\x1b" not in shown
