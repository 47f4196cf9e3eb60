"""The student's first commands through the real `tutor` binary: output, exit codes, no tracebacks."""

from __future__ import annotations

import json

from tests.conftest import run_tutor


def test_list_groups_by_chapter_with_status():
    result = run_tutor("list")
    assert result.returncode == 0, result.stderr
    assert "Chapter 7" in result.stdout and "Chapter 8" in result.stdout
    assert result.stdout.index("task7.3") < result.stdout.index("task8.1")
    assert "not started" in result.stdout
    rows = json.loads(run_tutor("list", "--json").stdout)
    assert {r["task"] for r in rows} >= {f"task7.{i}" for i in (1, 2, 3)} | {f"task8.{i}" for i in range(1, 6)}
    assert next(r for r in rows if r["task"] == "task8.4")["needs_gpu"] is True


def test_show_renders_the_instructions():
    result = run_tutor("show", "task8.1")
    assert result.returncode == 0
    assert "Improve the basic CNN" in result.stdout
    assert "62,346" in result.stdout
    assert "hints left: tutor hint task8.1" in result.stdout


def test_hint_reveals_one_at_a_time_and_remembers():
    first = run_tutor("hint", "task8.1")
    second = run_tutor("hint", "8.1")
    assert "Hint 1/5" in first.stdout and "Hint 2/5" in second.stdout
    again = run_tutor("hint", "task8.1", "--all")
    assert "Hint 1/5" in again.stdout and "Hint 2/5" in again.stdout and "Hint 3/5" not in again.stdout
    listing = run_tutor("list").stdout
    assert "in progress" in listing


def test_start_creates_the_workspace_and_keeps_edits(isolated_home):
    result = run_tutor("start", "task8.2")
    workspace = isolated_home / "work" / "task8.2"
    assert result.returncode == 0, result.stderr
    assert str(workspace) in result.stdout.replace("\n", "")
    assert (workspace / "MNIST.py").is_file()
    (workspace / "MNIST.py").write_text("print('mine')\n")
    again = run_tutor("start", "task8.2")
    assert "kept" in again.stdout
    assert (workspace / "MNIST.py").read_text() == "print('mine')\n"


def test_guides_complete_on_the_students_say_so():
    assert run_tutor("done", "task7.1").returncode == 0
    assert "done" in run_tutor("list").stdout
    refused = run_tutor("done", "task8.1")
    assert refused.returncode == 2 and "tutor grade task8.1" in refused.stderr


def test_unknown_task_is_one_line_exit_2_with_suggestions():
    result = run_tutor("show", "task9.9")
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith("tutor: unknown task 'task9.9'") and line.endswith("; try: tutor list")
    assert "\n" not in line
    close = run_tutor("hint", "task8.7")
    assert "did you mean" in close.stderr and "Traceback" not in close.stderr


def test_an_unwritable_workspace_root_is_one_line(isolated_home):
    blocker = isolated_home / "blocker"
    blocker.write_text("not a folder")
    result = run_tutor("start", "task8.1", env={"TUTOR_WORKSPACE_ROOT": str(blocker)})
    assert result.returncode == 2
    assert "cannot create the workspace" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_corrupt_progress_file_warns_and_carries_on(isolated_home):
    state = isolated_home / "state"
    state.mkdir(parents=True, exist_ok=True)
    (state / "progress.json").write_text("{oops")
    result = run_tutor("list")
    assert result.returncode == 0
    assert "was unreadable; moved it to progress.json.corrupt-" in result.stderr
    assert "Traceback" not in result.stderr


def test_data_status_and_stage(tmp_path, shared_data):
    status = run_tutor("data", "status")
    assert status.returncode == 0
    assert "mnist" in status.stdout and "verified" in status.stdout
    staged = run_tutor("data", "stage", "cifar10", "--from", str(shared_data / "cifar10-subset.npz"),
                       "--data-dir", str(tmp_path / "course"))
    assert staged.returncode == 0, staged.stderr
    assert (tmp_path / "course" / "datasets" / "cifar10.npz").is_file()
    wrong = run_tutor("data", "stage", "mnist", "--from", str(shared_data / "cifar10-subset.npz"),
                      "--data-dir", str(tmp_path / "course"))
    assert wrong.returncode == 2 and "do not match any known mnist" in wrong.stderr


def test_missing_data_says_what_to_stage(tmp_path):
    result = run_tutor("data", "status", env={"TUTOR_DATA_DIR": str(tmp_path)})
    assert "dataset 'mnist' is not staged" in result.stdout
    assert "tutor data stage mnist --from" in result.stdout


def test_doctor_reports_each_area():
    result = run_tutor("doctor", "--json")
    findings = json.loads(result.stdout)
    areas = {f["area"] for f in findings}
    assert {"config", "tensorflow", "gpu", "slurm", "container", "data", "dirs"} <= areas
    tf = next(f for f in findings if f["area"] == "tensorflow")
    assert tf["level"] == "ok" and "TensorFlow 2." in tf["message"]
    data = [f for f in findings if f["area"] == "data" and f["message"].startswith("mnist")]
    assert data and data[0]["level"] == "ok"


def test_help_and_list_never_import_tensorflow():
    import subprocess
    import sys

    for args in (["--help"], ["list"], ["show", "task8.5"]):
        code = (
            "import sys, atexit; sys.argv = ['tutor', *%r];"
            "atexit.register(lambda: print('HEAVY', [m for m in ('tensorflow', 'keras', 'textual') if m in sys.modules]));"
            "from tutor.cli.app import main; main()" % (args,)
        )
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert "HEAVY []" in result.stdout, (args, result.stdout[-300:], result.stderr[-500:])


def test_ctrl_c_ends_in_one_line_and_exit_130():
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    exe = Path(sys.executable).with_name("tutor")
    starter = Path(__file__).resolve().parent.parent / "exercises/packs/book/task8.1/starter"
    proc = subprocess.Popen([str(exe), "check", "task8.1", "--path", str(starter)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Interrupt it mid-way: once its sandbox's fork server (a child, importing TensorFlow) is up.
    import psutil

    deadline = time.monotonic() + 120
    while not psutil.Process(proc.pid).children() and time.monotonic() < deadline:
        assert proc.poll() is None, "tutor check ended before it could be interrupted"
        time.sleep(0.05)
    assert psutil.Process(proc.pid).children(), "tutor check never started its sandbox"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err.strip() == "tutor: interrupted"


def test_list_keeps_titles_whole_at_80_columns_and_moves_deadlines_under_them(tmp_path):
    """At 80 columns the due column squeezed every title to three lines; now the deadline is a
    line under its title there, and its own column from 100 columns on."""
    config = tmp_path / "tutor.toml"
    config.write_text('[deadlines]\n"task8.2" = 2099-12-02T12:00:00+00:00\n"task7.1" = 2020-11-02T12:00:00+00:00\n')
    narrow = run_tutor("list", env={"TUTOR_CONFIG": str(config), "COLUMNS": "80", "TZ": "UTC"})
    assert narrow.returncode == 0, narrow.stderr
    lines = narrow.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    title = next(i for i, line in enumerate(lines) if "Turn the notebook into a standalone script" in line)
    assert "due 02 Dec 12:00, in " in lines[title + 1] and " d " in lines[title + 1]
    assert any("Set up a notebook environment" in line for line in lines)
    assert any("due 02 Nov 12:00, closed" in line for line in lines)
    assert not any(line.rstrip().endswith("due") for line in lines)  # no due column
    wide = run_tutor("list", env={"TUTOR_CONFIG": str(config), "COLUMNS": "120", "TZ": "UTC"}).stdout
    row = next(line for line in wide.splitlines() if line.startswith("task8.2"))
    assert "Turn the notebook into a standalone script" in row and "02 Dec 12:00, in " in row
