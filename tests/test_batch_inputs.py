"""Batch inputs: folders, zips (extracted safely) and Canvas/Moodle bulk-download names."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from tutor.batch import lms
from tutor.batch.discover import discover
from tutor.batch.safezip import UnsafeArchive, extract
from tutor.errors import UserError

EXPECTED = ["model.py", "NOTES.md", "model.keras", "train.json"]


def _zip(path: Path, entries: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, target)
    return path


def test_canvas_names_give_the_user_id_and_original_file_name():
    on_time = lms.parse("smithjohn_12345_67890_model.py", EXPECTED)
    assert (on_time.lms, on_time.student, on_time.name, on_time.file, on_time.late) == (
        "canvas", "12345", "smithjohn", "model.py", False)
    late = lms.parse("smithjohn_late_12345_67891_model-1.py", EXPECTED)
    assert (late.student, late.file, late.late) == ("12345", "model.py", True)
    # The re-upload suffix is only undone when it gives a file the task asks for.
    assert lms.parse("doejane_222_333_resnet-50.py", EXPECTED).file == "resnet-50.py"
    assert lms.parse("doejane_LATE_222_334_NOTES.md", EXPECTED).late


def test_a_name_that_reads_as_canvas_and_moodle_is_listed_not_attributed(tmp_path):
    """Issue 13, attack 6. Canvas' own parser takes the first two all-digit `_` fields as user and
    attachment id (canvas-lms app/models/assignment.rb, infer_comment_context_from_filename);
    Moodle's names are `<full name without _>_<participant id>_assignsubmission_<plugin>_<file>`
    (moodle mod/assign/locallib.php, download_submissions)."""
    planted = "mallory_1003_5004_x_1002_assignsubmission_file_model.keras"
    parsed = lms.parse(planted, EXPECTED)
    assert isinstance(parsed, lms.Ambiguous) and "1003" in parsed.reason and "1002" in parsed.reason
    src = tmp_path / "in"
    src.mkdir()
    (src / "doejane_1002_6001_model.py").write_text("victim")
    (src / "mallory_1003_5003_model.py").write_text("mallory")
    (src / planted).write_text("mallory's model")
    subs, unattributed = discover(src, tmp_path / "staged", EXPECTED)
    by = {s.student: s for s in subs}
    assert sorted(by) == ["1002", "1003"]
    assert not (by["1002"].path / "model.keras").exists() and not (by["1003"].path / "model.keras").exists()
    assert [Path(u.path).name for u in unattributed] == [planted]
    assert "ambiguous" in unattributed[0].reason
    assert by["1002"].lms == "canvas" and by["1002"].attachments == [6001]
    # Canvas' rule: a name part made of digits cannot shift the user id.
    assert lms.parse("smith_LATE_12_text.html").student == "12"
    assert lms.parse("anon_abc12_5_model.py") is None or lms.parse("anon_abc12_5_model.py").student != "5"


def test_moodle_names_give_the_participant_id():
    flat = lms.parse("Jane Doe_4242_assignsubmission_file_model.py")
    assert (flat.lms, flat.student, flat.name, flat.file) == ("moodle", "4242", "Jane Doe", "model.py")
    folder = lms.parse("Jane Doe_4242_assignsubmission_file_")
    assert (folder.student, folder.file) == ("4242", "")
    assert lms.parse("model.py") is None and lms.parse("alice") is None


def test_unsafe_zips_are_refused_with_a_reason(tmp_path):
    cases = {
        "traversal": ({"../evil.py": b"x"}, {}, "leaves the folder"),
        "absolute": ({"/etc/evil.py": b"x"}, {}, "absolute path"),
        "link": ({"model.py": b"x"}, {"model.keras": "/etc/passwd"}, "symbolic link"),
        "bomb": ({"big.bin": b"\0" * (3 << 20)}, {}, "MB once extracted"),
    }
    for name, (entries, links, reason) in cases.items():
        archive = _zip(tmp_path / f"{name}.zip", entries, links)
        with pytest.raises(UnsafeArchive, match=reason):
            extract(archive, tmp_path / "out" / name, max_bytes=2 << 20)
        assert not (tmp_path / "out" / name).exists()
    assert not (tmp_path / "evil.py").exists() and not list((tmp_path / "out").glob("*"))
    (tmp_path / "notzip.zip").write_bytes(b"not a zip at all")
    with pytest.raises(UnsafeArchive, match="not a readable zip"):
        extract(tmp_path / "notzip.zip", tmp_path / "out" / "n", max_bytes=1 << 20)


def test_zip_with_one_top_folder_and_mac_junk_grades_like_a_flat_folder(tmp_path):
    archive = _zip(tmp_path / "a.zip", {"task8.1/model.py": b"m", "task8.1/NOTES.md": b"n",
                                        "__MACOSX/task8.1/._model.py": b"junk"})
    dest = extract(archive, tmp_path / "x", max_bytes=1 << 20)
    assert sorted(p.name for p in dest.iterdir()) == ["NOTES.md", "model.py"]


def test_discover_mixed_folder_zip_canvas_and_moodle_inputs(tmp_path):
    src = tmp_path / "in"
    (src / "alice").mkdir(parents=True)
    (src / "alice" / "model.py").write_text("a")
    _zip(src / "bob.zip", {"bob/model.py": b"b"})
    (src / "smithjohn_12345_67890_model.py").write_text("old")
    (src / "smithjohn_12345_67899_model-1.py").write_text("new")
    (src / "smithjohn_12345_67891_NOTES.md").write_text("notes")
    moodle = src / "Jane Doe_4242_assignsubmission_file_"
    moodle.mkdir()
    _zip(moodle / "mywork.zip", {"model.py": b"j"})
    plain = src / "Li Wei_4343_assignsubmission_file_"
    plain.mkdir()
    (plain / "model.py").write_text("w")
    (plain / "NOTES.md").write_text("n")
    (src / "random.py").write_text("who?")
    _zip(src / "alice.zip", {"model.py": b"dup"})
    _zip(src / "mallory.zip", {"../../escape.py": b"x"})

    subs, unattributed = discover(src, tmp_path / "staged", EXPECTED)
    by = {s.student: s for s in subs}
    assert sorted(by) == ["12345", "4242", "4343", "alice", "bob", "mallory"]
    assert by["4343"].path == plain and by["4343"].name == "Li Wei"
    assert by["alice"].path == src / "alice"
    assert (by["bob"].path / "model.py").read_text() == "b"
    assert (by["12345"].path / "model.py").read_text() == "new"  # the later upload wins
    assert (by["12345"].path / "NOTES.md").read_text() == "notes"
    assert by["12345"].name == "smithjohn"
    assert (by["4242"].path / "model.py").read_text() == "j" and by["4242"].name == "Jane Doe"
    assert "leaves the folder" in by["mallory"].problem
    assert not (tmp_path / "escape.py").exists()
    reasons = {Path(u.path).name: u.reason for u in unattributed}
    assert "no student id" in reasons["random.py"]
    assert "already has a submission" in reasons["alice.zip"]


def test_discover_a_bulk_download_zip_and_bad_inputs(tmp_path):
    bulk = _zip(tmp_path / "submissions.zip", {"doejane_7_8_model.py": b"x", "readme.txt": b"?"})
    subs, unattributed = discover(bulk, tmp_path / "staged", EXPECTED)
    assert [s.student for s in subs] == ["7"]
    assert [Path(u.path).name for u in unattributed] == ["readme.txt"]
    with pytest.raises(UserError, match="no such folder"):
        discover(tmp_path / "missing", tmp_path / "staged")


def test_the_output_folder_inside_the_submissions_is_not_a_student(tmp_path):
    src = tmp_path / "class"
    (src / "alice").mkdir(parents=True)
    (src / "batch-task8.1" / ".batch").mkdir(parents=True)
    subs, unattributed = discover(src, tmp_path / "staged", EXPECTED, exclude=[src / "batch-task8.1"])
    assert [s.student for s in subs] == ["alice"] and not unattributed


def test_cli_mistakes_end_in_one_line(tmp_path):
    from tests.conftest import run_tutor

    (tmp_path / "class" / "alice").mkdir(parents=True)
    missing = run_tutor("batch", str(tmp_path / "nowhere"), "--task", "task8.1", "--out", str(tmp_path / "o"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    unknown = run_tutor("batch", str(tmp_path / "class"), "--task", "task9.9", "--out", str(tmp_path / "o"))
    assert unknown.returncode == 2 and "unknown task" in unknown.stderr
    fmt = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--format", "csv,moodle")
    assert fmt.returncode == 2 and "--moodle-worksheet" in fmt.stderr
    fmt = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--format", "gradescope")
    assert fmt.returncode == 2 and "tutor autograder gradescope" in fmt.stderr
    fmt = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--format", "xlsx")
    assert fmt.returncode == 2 and "unknown --format xlsx" in fmt.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("?")
    none = run_tutor("batch", str(empty), "--task", "task8.1", "--out", str(tmp_path / "o"))
    assert none.returncode == 2 and "no submissions found" in none.stderr and "no student id" in none.stderr


def test_slurm_without_slurm_says_so(tmp_path):
    import sys

    from tests.conftest import run_tutor

    (tmp_path / "class" / "alice").mkdir(parents=True)
    result = run_tutor("batch", str(tmp_path / "class"), "--task", "task8.1", "--out", str(tmp_path / "o"),
                       "--slurm", env={"PATH": str(Path(sys.executable).parent)})
    assert result.returncode == 2, result.stderr
    assert "no `sbatch`" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_a_folder_named_by_login_gets_the_full_name_from_the_user_database(tmp_path):
    """The gradebook's `name` column for a class collected on the cluster (one folder per login)."""
    import os
    import subprocess

    from tests.conftest import IN_CI

    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail("needs root to create a user (CI runs as root)")
        pytest.skip("needs root to create a user")
    login = "tutorada"
    subprocess.run(["userdel", login], capture_output=True)
    subprocess.run(["useradd", "--no-create-home", "-c", "Ada Lovelace,,,", login], check=True)
    try:
        src = tmp_path / "in"
        for folder in (login, "not-a-login-9z"):
            (src / folder).mkdir(parents=True)
            (src / folder / "model.py").write_text("x = 1\n")
        subs, _ = discover(src, tmp_path / "staged")
        assert {s.student: s.name for s in subs} == {login: "Ada Lovelace", "not-a-login-9z": ""}
    finally:
        subprocess.run(["userdel", login], capture_output=True)
