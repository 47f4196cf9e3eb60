"""The course config: lookup order, relative paths, and errors naming the file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tutor.config import ConfigError, config_candidates, find_config_file, load_config_file


def test_tutor_config_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "course.toml"
    path.write_text('data_dir = "data"\nprofile = "mn5"\nallow_downloads = false\n')
    monkeypatch.setenv("TUTOR_CONFIG", str(path))
    monkeypatch.delenv("TUTOR_WORKSPACE_ROOT")
    config = load_config_file(find_config_file())
    assert config.profile == "mn5"
    assert config.data_dir == tmp_path / "data"  # relative to the config file


def test_lookup_order_without_tutor_config(tmp_path, monkeypatch):
    monkeypatch.delenv("TUTOR_CONFIG")
    monkeypatch.chdir(tmp_path)
    candidates = config_candidates()
    assert candidates[0] == tmp_path / "tutor.toml"
    assert candidates[-1] == Path("/etc/tutor/config.toml")
    (tmp_path / "tutor.toml").write_text('profile = "here"\n')
    assert find_config_file() == tmp_path / "tutor.toml"


def test_a_missing_tutor_config_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TUTOR_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        find_config_file()


@pytest.mark.parametrize(
    "body, field, reason",
    [
        ("allow_downloads = 'perhaps'\n", "allow_downloads", "valid boolean"),
        ("colour = 1\n", "colour", "Extra inputs are not permitted"),
        ("max_handin_mb = -3\n", "max_handin_mb", "greater than 0"),
    ],
)
def test_a_bad_value_names_file_and_field(tmp_path, body, field, reason):
    path = tmp_path / "tutor.toml"
    path.write_text(body)
    with pytest.raises(ConfigError) as info:
        load_config_file(path)
    assert str(info.value).startswith(f"{path}: {field}:")
    assert reason in str(info.value)


def test_environment_overrides_profile_and_workspace(tmp_path, monkeypatch):
    path = tmp_path / "tutor.toml"
    path.write_text('profile = "mn5"\nworkspace_root = "/srv/work"\n')
    monkeypatch.setenv("TUTOR_PROFILE", "local")
    monkeypatch.setenv("TUTOR_WORKSPACE_ROOT", str(tmp_path / "ws"))
    config = load_config_file(path)
    assert config.profile == "local" and config.workspace_root == tmp_path / "ws"


def test_the_cli_reports_a_bad_config_in_one_line(tmp_path, tutor):
    path = tmp_path / "bad.toml"
    path.write_text("allow_downloads = 'perhaps'\n")
    result = tutor("list", env={"TUTOR_CONFIG": str(path)})
    assert result.returncode == 2
    assert f"{path}: allow_downloads:" in result.stderr
    assert "Traceback" not in result.stderr
