"""The exercise catalog: the book's tasks load, broken specs fail with file, field and reason."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exercises import CatalogError, UnknownTask, load_catalog
from exercises.catalog import PACKS_ROOT, normalise_task_id

BOOK = PACKS_ROOT / "book"


def test_book_has_all_eight_tasks_in_order():
    catalog = load_catalog(enabled_packs=["book"])
    ids = [t.id for t in catalog]
    assert ids == ["task7.1", "task7.2", "task7.3", "task8.1", "task8.2", "task8.3", "task8.4", "task8.5"]


def test_every_gradable_task_has_three_hints_instructions_and_checks():
    for task in load_catalog():
        assert task.readme.is_file()
        assert len(task.instructions()) > 200, task.id
        if task.spec.gradable:
            assert len(task.spec.hints) >= 3, task.id
            assert task.spec.checks, task.id


def test_task81_starts_from_the_published_baseline():
    task = load_catalog().get("task8.1")
    assert task.spec.baseline.total_params == 62346
    assert sum(layer.params for layer in task.spec.baseline.layers) == 62346
    assert (task.starter / "model.py").is_file()
    assert task.spec.recipe.epochs == 5 and task.spec.recipe.batch_size == 100


def test_task82_teaches_the_offline_way_and_warns_about_keras3():
    task = load_catalog().get("task8.2")
    text = task.instructions()
    assert "np.load" in text
    assert "Paths are no longer accepted" in text


def test_gpu_tasks_carry_slurm_resources():
    catalog = load_catalog()
    r = catalog.get("task8.4").spec.resources
    assert (r.nodes, r.ntasks_per_node, r.cpus_per_task, r.gpus, r.time) == (1, 1, 20, 1, "00:15:00")
    assert catalog.get("task8.5").spec.needs_gpu


def test_task_ids_are_accepted_in_book_spelling():
    catalog = load_catalog()
    for spelling in ("task8.1", "8.1", "Task8.1", "task 8.1"):
        assert catalog.get(spelling).id == "task8.1"
    assert normalise_task_id(" TASK7.3 ") == "task7.3"


def test_unknown_task_suggests_close_matches():
    with pytest.raises(UnknownTask) as info:
        load_catalog().get("task8.9")
    message = str(info.value)
    assert message.startswith("unknown task 'task8.9'")
    assert "did you mean task8." in message and message.endswith("; try: tutor list")
    with pytest.raises(UnknownTask, match=r"^unknown task 'task9.9'.*; try: tutor list$"):
        load_catalog().get("task9.9")


def _site_pack(tmp_path: Path, toml_body: str, task_id: str = "task9.1") -> Path:
    pack = tmp_path / "site"
    (pack / task_id).mkdir(parents=True)
    (pack / "pack.toml").write_text('id = "site"\ntitle = "Site pack"\norder = 5\n')
    (pack / task_id / "exercise.toml").write_text(toml_body)
    (pack / task_id / "README.md").write_text("# instructions\n")
    return pack


GOOD = """
id = "task9.1"
title = "A site task"
chapter = 9
order = 1
kind = "script"
summary = "s"
files = ["x.py"]
hints = ["a", "b", "c"]

[[checks]]
id = "has-file"
kind = "files_exist"
files = ["x.py"]
"""


def test_a_site_pack_in_an_extra_folder_is_loaded(tmp_path):
    pack = _site_pack(tmp_path, GOOD)
    catalog = load_catalog([pack])
    assert catalog.get("task9.1").spec.pack == "site"
    assert [p.id for p in catalog.packs][-1] == "site"


@pytest.mark.parametrize(
    "mutation, where, reason",
    [
        (lambda s: s.replace('kind = "script"', 'kind = "essay"'), ":6: field 'kind'", "'essay' is not one of model, script, job, guide"),
        (lambda s: s.replace('hints = ["a", "b", "c"]', 'hints = ["a"]'), ": (top level)", "at least three hints"),
        (lambda s: s.replace('kind = "files_exist"', 'kind = "files_exists"'), ":13: check 1 (id 'has-file')",
         "unknown check kind 'files_exists' (did you mean 'files_exist'?)"),
        (lambda s: s.replace('files = ["x.py"]\n"""', '"""').replace('kind = "files_exist"\nfiles = ["x.py"]', 'kind = "files_exist"'),
         ":11: check 1 (id 'has-file'), field 'files'", "missing required field 'files'"),
        (lambda s: s + '\n[[checks]]\nid = "p"\nkind = "total_params"\n', ":16: check 2 (id 'p')", "give at least one of exact, min, max"),
        (lambda s: s + '\n[[checks]]\nid = "p"\nkind = "total_params"\nmaximum = 5\n', ":19: check 2 (id 'p'), field 'maximum'",
         "unknown field 'maximum' (did you mean 'max'?); a total_params check takes: id, title"),
        (lambda s: s.replace('order = 1', 'order = 1\ncolour = "red"'), ":6: field 'colour'", "unknown field 'colour'"),
        (lambda s: s.replace('id = "has-file"', 'id = "Has File"'), ":12: check 1 (id 'Has File'), field 'id'", "lower-case slugs"),
    ],
)
def test_broken_specs_name_the_file_line_check_and_fix(tmp_path, mutation, where, reason):
    pack = _site_pack(tmp_path, mutation(GOOD))
    with pytest.raises(CatalogError) as info:
        load_catalog([pack])
    message = str(info.value)
    assert f"{pack / 'task9.1' / 'exercise.toml'}{where}:" in message, message
    assert reason in message, message


def test_invalid_toml_and_wrong_folder_name(tmp_path):
    pack = _site_pack(tmp_path, "id = [unclosed\n")
    with pytest.raises(CatalogError, match="not valid TOML"):
        load_catalog([pack])
    other = _site_pack(tmp_path / "b", GOOD, task_id="task9.2")
    with pytest.raises(CatalogError, match="must match its folder name 'task9.2'"):
        load_catalog([other])


def test_a_missing_readme_is_reported(tmp_path):
    pack = _site_pack(tmp_path, GOOD)
    (pack / "task9.1" / "README.md").unlink()
    with pytest.raises(CatalogError, match="README.md: missing"):
        load_catalog([pack])


def test_duplicate_task_ids_across_packs_are_refused(tmp_path):
    body = GOOD.replace("task9.1", "task8.1")
    pack = _site_pack(tmp_path, body, task_id="task8.1")
    with pytest.raises(CatalogError, match="already defined"):
        load_catalog([pack])


def test_loading_the_catalog_never_imports_tensorflow():
    code = (
        "import sys; from exercises import load_catalog; c = load_catalog();"
        "[t.instructions() for t in c];"
        "bad = [m for m in ('tensorflow', 'keras', 'numpy') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_shipped_starter_is_valid_python():
    for task in load_catalog():
        for source in task.starter.rglob("*.py") if task.starter.is_dir() else []:
            compile(source.read_text(), str(source), "exec")
