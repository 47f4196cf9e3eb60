"""Job-script, log, files and confirm checks (tasks 7.1, 8.3, 8.4)."""

import json
import shutil
from pathlib import Path

import pytest

from grader.checks import FrontEndFacts
from grader.checks.job_script import gpus_requested, parse_job_script, slurm_seconds
from tests.checks_helpers import run

ROOT = Path(__file__).parent.parent
SOLUTIONS = ROOT / "solutions"
FIXTURES = ROOT / "tests" / "fixtures" / "logs"
BOOK = ROOT / "exercises" / "packs" / "book"


@pytest.mark.parametrize(
    "text, seconds",
    [("15", 900), ("15:30", 930), ("00:15:00", 900), ("1-00", 86400), ("1-02:03", 93780), ("2-00:00:01", 172801), ("soon", None)],
)
def test_slurm_time_formats(text, seconds):
    assert slurm_seconds(text) == seconds


@pytest.mark.parametrize(
    "line, gpus",
    [("--gres gpu:1", 1), ("--gres=gpu:a100:2", 2), ("--gres=gpu", 1), ("--gpus=4", 4), ("-G 2", 2), ("--gpus-per-node=h100:1", 1), ("--gres=tmpdisk:10", None)],
)
def test_gpu_request_syntaxes(line, gpus):
    assert gpus_requested(parse_job_script(f"#!/bin/bash\n#SBATCH {line}\npython x.py\n")) == gpus


def job_folder(tmp_path: Path, script: str, with_script: bool = True) -> Path:
    (tmp_path / "MNIST.slurm").write_text(script)
    if with_script:
        shutil.copy(SOLUTIONS / "task8.4" / "MNIST.py", tmp_path / "MNIST.py")
    return tmp_path


def test_a_job_script_that_runs_a_missing_file_fails_before_anything_is_queued(tmp_path):
    """8.4's starter has no MNIST.py (it is the student's from 8.2/8.3): the check says so."""
    book = (SOLUTIONS / "task8.4" / "MNIST.slurm").read_text()
    result = run("task8.4", submission=job_folder(tmp_path, book, with_script=False))["job-script"]
    assert result.status == "failed" and result.points == 0
    assert "there is no MNIST.py in this folder" in result.message
    assert "task8.3 or task8.2" in result.message
    assert result.actual.endswith("runs MNIST.py, which is missing")


def test_book_job_script_passes():
    result = run("task8.4", submission=SOLUTIONS / "task8.4")["job-script"]
    assert result.status == "passed" and result.points == 2
    assert result.actual == "1 node(s), 1 GPU(s), time 00:15:00, runs MNIST.py"


def test_directive_after_the_first_command_is_ignored_and_said_so(tmp_path):
    script = (SOLUTIONS / "task8.4" / "MNIST.slurm").read_text().replace("#SBATCH --gres gpu:1\n", "")
    script = script.replace("module purge\n", "module purge\n#SBATCH --gres gpu:1\n")
    result = run("task8.4", submission=job_folder(tmp_path, script))["job-script"]
    assert result.status == "failed"
    assert "SLURM ignores #SBATCH lines after it" in result.message and "move it up" in result.message


def test_time_over_the_limit_and_missing_run_line(tmp_path):
    script = "#!/bin/bash\n#SBATCH -N 1\n#SBATCH --gres=gpu:1\n#SBATCH -t 1:00:00\nmodule load singularity\n"
    result = run("task8.4", submission=job_folder(tmp_path, script))["job-script"]
    assert result.status == "failed"
    assert "longer than the 00:30:00" in result.message and "no command runs MNIST.py" in result.message
    assert "time 1:00:00" in result.actual


def test_starter_job_script_fails():
    result = run("task8.4", submission=BOOK / "task8.4" / "starter")["job-script"]
    assert result.status == "failed" and "--gres=gpu:1" in result.message


def test_task83_solution_logs_pass_and_starter_fails():
    good = run("task8.3", submission=SOLUTIONS / "task8.3")
    assert {r.status for r in good.values()} == {"passed"}
    assert "epoch times: 7s, 10s" in good["training-seen"].message
    bad = run("task8.3", mode="grade", submission=BOOK / "task8.3" / "starter")
    assert bad["logs-saved"].status == "failed" and "python MNIST.py > run.out 2> run.err" in bad["logs-saved"].message
    early = run("task8.3", submission=BOOK / "task8.3" / "starter")["logs-saved"]  # tutor check, before the run
    assert early.status == "skipped" and early.message.startswith("not yet: run it once")
    assert bad["summary"].status == "failed" and "only headings" in bad["summary"].message


def test_task83_low_accuracy_fails(tmp_path):
    shutil.copy(FIXTURES / "verbose1.out", tmp_path / "run.out")  # a short run: 0.70
    shutil.copy(FIXTURES / "verbose1.err", tmp_path / "run.err")
    result = run("task8.3", submission=tmp_path)["training-seen"]
    assert result.status == "failed" and "0.7022 is below 0.9" in result.message


def test_task84_logs_of_a_cpu_run_fail_used_gpu(tmp_path):
    shutil.copy(FIXTURES / "verbose2.out", tmp_path / "MNIST.1001.out")
    shutil.copy(FIXTURES / "cpu_failed.err", tmp_path / "MNIST.1001.err")
    results = run("task8.4", submission=tmp_path)
    assert results["job-logs"].status == "passed"
    assert results["used-gpu"].status == "failed"
    assert "saw no GPU" in results["used-gpu"].message and "cuInit" in results["used-gpu"].message
    assert results["used-gpu"].actual == "CPU only"


def test_task84_pairs_out_and_err_of_the_same_job(tmp_path):
    for job, (out, err) in {"1001": ("verbose2.out", "verbose2.err"), "1002": ("gpu_tf211.out", "gpu_tf211.err")}.items():
        shutil.copy(FIXTURES / out, tmp_path / f"MNIST.{job}.out")
        shutil.copy(FIXTURES / err, tmp_path / f"MNIST.{job}.err")
    result = run("task8.4", submission=tmp_path)["used-gpu"]  # the newest job (1002) ran on the GPU
    assert result.status == "passed" and "NVIDIA H100" in result.actual


def test_task84_solution_passes():
    results = run("task8.4", submission=SOLUTIONS / "task8.4")
    assert {r.status for r in results.values()} == {"passed"}


def test_confirm_uses_the_progress_flag():
    assert run("task7.1")["confirmed"].status == "failed"
    assert "tutor done task7.1" in run("task7.1")["confirmed"].message
    assert run("task7.1", facts=FrontEndFacts(confirmed=True))["confirmed"].status == "passed"


def test_solution_scripts_for_later_tasks_are_the_task82_script():
    """8.3 and 8.4 use MNIST.py unchanged, as the book says: the copies must not drift."""
    reference = (SOLUTIONS / "task8.2" / "MNIST.py").read_bytes()
    for task in ("task8.3", "task8.4"):
        assert (SOLUTIONS / task / "MNIST.py").read_bytes() == reference


def test_sbatch_refusals_are_caught_before_submitting(tmp_path):
    book = (SOLUTIONS / "task8.4" / "MNIST.slurm").read_text()
    dos = run("task8.4", submission=job_folder(tmp_path, book.replace("\n", "\r\n")))["job-script"]
    assert dos.status == "failed" and "dos2unix MNIST.slurm" in dos.message
    no_shebang = run("task8.4", submission=job_folder(tmp_path, book.split("\n", 1)[1]))["job-script"]
    assert no_shebang.status == "failed" and "#!/bin/bash" in no_shebang.message


def test_default_slurm_output_name_is_explained(tmp_path):
    shutil.copy(FIXTURES / "gpu_tf211.out", tmp_path / "slurm-1234.out")
    result = run("task8.4", submission=tmp_path)["job-logs"]
    assert result.status == "failed" and "found slurm-1234.out" in result.message
    assert "#SBATCH --output=%x.%j.out" in result.message


def test_placeholders_left_from_the_book_fail(tmp_path):
    book = (SOLUTIONS / "task8.4" / "MNIST.slurm").read_text().replace("course00", "<group>")
    result = run("task8.4", submission=job_folder(tmp_path, book))["job-script"]
    assert result.status == "failed" and "line 10 still has the placeholder <group>" in result.message


def test_before_the_job_ran_check_says_not_yet_and_grade_says_what_to_do(tmp_path):
    """Task 8.4 with a good MNIST.slurm and no logs yet: `tutor check` passes with the log checks
    skipped ('not yet: submit the job'); `tutor grade` fails them with the same next step."""
    from tests.conftest import run_tutor

    work = tmp_path / "task8.4"
    work.mkdir()
    for name in ("MNIST.py", "MNIST.slurm", "SUMMARY.md"):
        shutil.copy(SOLUTIONS / "task8.4" / name, work / name)
    checked = run_tutor("check", "task8.4", "--path", str(work), "--json")
    report = json.loads(checked.stdout)
    rows = {c["id"]: c for c in report["checks"]}
    assert checked.returncode == 0 and report["status"] == "passed", checked.stdout + checked.stderr
    for log_check in ("job-logs", "used-gpu", "finished"):
        assert rows[log_check]["status"] == "skipped", rows[log_check]
        assert rows[log_check]["message"] == ("not yet: submit the job (tutor submit task8.4), then tutor grade "
                                              "task8.4 once it has ended")
    assert rows["job-script"]["status"] == "passed"
    shown = run_tutor("check", "task8.4", "--path", str(work))
    assert shown.returncode == 0
    assert "Next: submit the job (tutor submit task8.4), then tutor grade task8.4 once it has ended" in shown.stdout
    graded = run_tutor("grade", "task8.4", "--path", str(work))
    assert graded.returncode == 1 and "Traceback" not in graded.stderr
    assert "task8.4 not run yet" in graded.stdout and "Next: submit the job (tutor submit task8.4)" in graded.stdout
    assert "no MNIST.*.out and MNIST.*.err in" in graded.stderr and "tutor submit task8.4" in graded.stderr
