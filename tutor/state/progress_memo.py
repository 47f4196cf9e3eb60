"""Each task's status for the progress file as tutor last wrote it, keyed by that file's bytes.

`tutor list` needs only the statuses; when the progress file is byte for byte what tutor
wrote (validated, in `student_progress.update_progress`), they come from here without
building the progress model. Any other content (an edit by hand, a file tutor did not write
last) finds no memo, and the progress file is read and validated as ever.
"""

from __future__ import annotations

from typing import Optional

from tutor.state.user_cache import cache_file, content_key, read_json, write_json

MEMO_NAME = "progress-statuses.json"


def remember(written: bytes, statuses: dict[str, str]) -> None:
    write_json(cache_file(MEMO_NAME), {"key": content_key("progress", written), "statuses": statuses})


def recall(current: Optional[bytes]) -> Optional[dict[str, str]]:
    """The statuses tutor wrote with exactly these bytes, or None."""
    if current is None:
        return None
    memo = read_json(cache_file(MEMO_NAME))
    if not isinstance(memo, dict) or memo.get("key") != content_key("progress", current):
        return None
    statuses = memo.get("statuses")
    if not isinstance(statuses, dict) or not all(isinstance(v, str) for v in (*statuses, *statuses.values())):
        return None
    return statuses
