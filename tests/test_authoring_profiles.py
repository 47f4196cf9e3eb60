"""Issue #18: a site profile cannot render a broken job script; its errors name file, line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import run_tutor


def _site(tmp_path: Path, profile: str) -> Path:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "site.toml").write_text(profile)
    (tmp_path / "tutor.toml").write_text('profile = "site"\nprofiles_dir = "profiles"\n')
    return tmp_path


def _dry_run(course: Path):
    return run_tutor("submit", "task8.1", "--dry-run", cwd=course, env={"TUTOR_CONFIG": ""}, timeout=120)


@pytest.mark.parametrize("body, line, words", [
    ('extends = "mn5"\naccount = "dl01"\nlauncher = "apptainer"\n', 3,
     ['launcher = "apptainer" would run `apptainer tutor_runner.py`', 'apptainer exec --nv {container} python']),
    ('extends = "mn5"\naccount = "dl01"\ncontainer = "/i/tf.sif"\nlauncher = "apptainer exec --nv python"\n', 4,
     ["never uses it: put {container} where the image goes"]),
    ('launcher = "apptainer exec --nv {container} python"\n', 1, ["sets no container"]),
    ('launcher = "srun"\n', 1, ["does not end in a Python interpreter"]),
    ('extends = "mn6"\n', 1, ['extends = "mn6" names no profile (did you mean \'mn5\'?)', "extend one of: local, mn5"]),
    ('extends = "mn5"\naccount = "dl01"\ngpus_per_jobs = 2\n', 3,
     ["unknown field 'gpus_per_jobs' (did you mean 'gpus_per_job'?)", "launcher, setup"]),
])
def test_a_profile_that_would_render_a_broken_script_is_refused(tmp_path, body, line, words):
    result = _dry_run(_site(tmp_path, body))
    assert result.returncode == 2, result.stdout
    assert f"profiles/site.toml:{line}: " in result.stderr, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "#SBATCH" not in result.stdout


def test_an_apptainer_site_profile_renders_gpus_per_job_and_warns_about_a_module(tmp_path):
    course = _site(tmp_path, 'extends = "mn5"\naccount = "dl01"\ncontainer = "/apps/tf-2.16.sif"\n'
                             'launcher = "apptainer exec --nv {container} python"\ngpus_per_job = 2\n')
    result = _dry_run(course)
    assert result.returncode == 0, result.stderr
    assert "#SBATCH --gres gpu:2" in result.stdout and "#SBATCH --account dl01" in result.stdout
    assert "apptainer exec --nv /apps/tf-2.16.sif python tutor_runner.py --task task8.1" in result.stdout
    assert "runs apptainer but loads the module singularity" in result.stderr
    (tmp_path / "profiles" / "site.toml").write_text((tmp_path / "profiles" / "site.toml").read_text()
                                                    + 'modules = ["apptainer"]\n')
    quiet = _dry_run(course)
    assert "module load apptainer" in quiet.stdout and "warning: profile" not in quiet.stderr


def test_the_shipped_mn5_dry_run_warns_loudly_about_group(tmp_path):
    result = run_tutor("submit", "task8.1", "--dry-run", "--profile", "mn5", cwd=tmp_path,
                       env={"TUTOR_CONFIG": ""}, timeout=120)
    assert result.returncode == 0
    assert "#SBATCH --account <group>" in result.stdout
    assert "still has <group> in account: `tutor submit` refuses it" in result.stderr
