"""Issue #18: a forgiving catalog and spec errors an author can act on, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import run_tutor

TASK = """id = "{id}"
title = "Fashion dense"
chapter = 1
order = {order}
kind = "model"
summary = "A dense classifier for Fashion-MNIST."
files = ["model.py"]
hints = ["a", "b", "c"]

[dataset]
name = "fashion_mnist"
adapter = "flatten"

[recipe]
epochs = 1

[[checks]]
id = "input"
kind = "input_shape"
shape = [784]
"""


def _course(tmp_path: Path, bodies: dict[str, str], packs: str = '["book", "site"]') -> Path:
    site = tmp_path / "site"
    site.mkdir()
    (site / "pack.toml").write_text('id = "site"\ntitle = "Site pack"\n')
    for task_id, body in bodies.items():
        (site / task_id).mkdir()
        (site / task_id / "exercise.toml").write_text(body)
        (site / task_id / "README.md").write_text("# do it\n")
    (tmp_path / "tutor.toml").write_text(f'exercise_dirs = ["site"]\npacks = {packs}\n')
    return tmp_path


def test_a_broken_task_is_left_out_with_a_warning_and_doctor_fails(tmp_path):
    course = _course(tmp_path, {
        "fm1": TASK.format(id="fm1", order=1),
        "fm2": TASK.format(id="fm2", order=2).replace('adapter = "flatten"', 'adapter = "flaten"'),
    })
    listed = run_tutor("list", "--json", cwd=course, env={"TUTOR_CONFIG": ""})
    assert listed.returncode == 0, listed.stderr
    tasks = [row["task"] for row in json.loads(listed.stdout)]
    assert "fm1" in tasks and "task8.1" in tasks and "fm2" not in tasks
    assert "task fm2 left out" in listed.stderr
    assert "exercise.toml:12: field 'dataset.adapter': 'flaten' is not one of" in listed.stderr
    assert "(did you mean 'flatten'?)" in listed.stderr and "Traceback" not in listed.stderr
    shown = run_tutor("show", "fm2", cwd=course, env={"TUTOR_CONFIG": ""})
    assert shown.returncode == 2 and "fm2 is in the course but its spec is broken" in shown.stderr
    doctor = run_tutor("doctor", "--no-tf", "--json", cwd=course, env={"TUTOR_CONFIG": ""})
    assert doctor.returncode == 1
    findings = [f for f in json.loads(doctor.stdout) if f["area"] == "catalog"]
    assert any(f["level"] == "error" and "fm2" in f["message"] for f in findings), findings


def test_packs_that_match_nothing_are_an_error_with_did_you_mean(tmp_path):
    course = _course(tmp_path, {"fm1": TASK.format(id="fm1", order=1)}, packs='["sitee"]')
    listed = run_tutor("list", cwd=course, env={"TUTOR_CONFIG": ""})
    assert listed.returncode == 2
    assert "tutor.toml: packs: 'sitee' matches no pack (did you mean 'site'?)" in listed.stderr
    doctor = run_tutor("doctor", "--no-tf", cwd=course, env={"TUTOR_CONFIG": ""})
    assert doctor.returncode == 1 and "matches no pack" in doctor.stdout


def test_a_task_naming_a_missing_pack_is_reported_not_a_traceback(tmp_path):
    body = TASK.format(id="fm1", order=1).replace('kind = "model"', 'pack = "fashon"\nkind = "model"')
    course = _course(tmp_path, {"fm1": body, "fm2": TASK.format(id="fm2", order=2)})
    listed = run_tutor("list", cwd=course, env={"TUTOR_CONFIG": ""})
    assert listed.returncode == 0, listed.stderr
    assert "Traceback" not in listed.stderr and "fm2" in listed.stdout
    assert "field 'pack': 'fashon' names no enabled pack" in listed.stderr
    assert "exercise.toml:5:" in listed.stderr


def test_null_in_a_shape_says_how_to_write_any_size(tmp_path):
    body = TASK.format(id="fm1", order=1).replace("shape = [784]", "shape = [null, 784]")
    course = _course(tmp_path, {"fm1": body})
    listed = run_tutor("list", cwd=course, env={"TUTOR_CONFIG": ""})
    assert 'exercise.toml:20: not valid TOML' in listed.stderr
    assert 'write a dimension of any size as "None"' in listed.stderr


def test_the_batch_dimension_may_be_written_in_the_forms_authors_try():
    from exercises.schema import InputShapeCheck

    for shape in ([784], ["None", 784], ["batch", 784], [-1, 784], ["?", 784]):
        check = InputShapeCheck(id="i", kind="input_shape", shape=shape)
        assert check.accepted in ([[784]], [[None, 784]]), shape
    several = InputShapeCheck(id="i", kind="input_shape", shapes=[[784], [28, 28]])
    assert several.accepted == [[784], [28, 28]]


def test_a_broken_pack_is_left_out_and_the_rest_of_the_course_works(tmp_path):
    course = _course(tmp_path, {"fm1": TASK.format(id="fm1", order=1)})
    (course / "site" / "pack.toml").write_text('id = "site"\ntitel = "Site pack"\n')
    listed = run_tutor("list", "--json", cwd=course, env={"TUTOR_CONFIG": ""})
    assert listed.returncode == 0, listed.stderr
    assert "task8.1" in listed.stdout and "fm1" not in listed.stdout
    assert "pack site left out: " in listed.stderr
    assert "pack.toml: field 'title': missing required field 'title'" in listed.stderr
    doctor = run_tutor("doctor", "--no-tf", cwd=course, env={"TUTOR_CONFIG": ""})
    assert doctor.returncode == 1
    assert "pack.toml:2: field 'titel': unknown field 'titel' (did you mean 'title'?)" in doctor.stdout
