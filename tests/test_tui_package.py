"""The TUI's styles ship in the student wheel: every .tcss next to its module."""

from __future__ import annotations

from tests.conftest import REPO
from tests.test_packaging import wheel  # noqa: F401 - the built wheel (module fixture)


def test_every_tcss_file_is_in_the_wheel(wheel):  # noqa: F811
    sources = sorted(p.relative_to(REPO).as_posix()
                     for p in (REPO / "tutor" / "tui").rglob("*.tcss"))
    assert len(sources) >= 5
    names = set(wheel.namelist())
    assert [s for s in sources if s not in names] == []

