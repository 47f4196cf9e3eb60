"""`tutor doctor` findings for the hand-in area: reachable, your folder sound, your role."""

from __future__ import annotations

import os

from tutor.config import ConfigError, load_config
from tutor.finding import Finding
from tutor.handin.layout import folder_problem, group_name
from tutor.handin.mine import my_folders


def handin_findings() -> list[Finding]:
    """The hand-in area in the course config: reachable, your folder sound, your role."""
    try:
        config = load_config()
    except ConfigError:
        return []  # check_config already says why
    area = config.handin_dir
    if area is None:
        return [Finding("handin", "ok", "no hand-in area in this course's config")]
    try:
        st = os.stat(area)
    except OSError as exc:
        return [Finding("handin", "error", f"hand-in area {area}: {exc.strerror}", "tell your instructor")]
    group = group_name(st.st_gid)
    if st.st_gid in os.getgroups() or st.st_uid == os.geteuid():
        return [Finding("handin", "ok", f"hand-in area {area}: you are an instructor ({group}); "
                                        "tutor collect TASK gathers the class's attempts")]
    folders = my_folders(area)
    if not folders:
        return [Finding("handin", "ok", f"hand-in area {area}: reachable; your folder is made at "
                                        "your first tutor handin")]
    problem = folder_problem(folders[0], st.st_gid)
    if problem:
        return [Finding("handin", "error", problem)]
    return [Finding("handin", "ok", f"hand-in area {area}: your folder is yours alone and {group}'s")]
