"""How many threads a grade may use: the default, the site override, and the batch's share."""

from __future__ import annotations

import os

from grader.limits import THREADS, grade_threads
from tutor.batch.pool import threads_per_worker


def test_grading_threads_default_and_override(monkeypatch):
    monkeypatch.delenv("TUTOR_GRADE_THREADS", raising=False)
    assert grade_threads() == THREADS
    monkeypatch.setenv("TUTOR_GRADE_THREADS", "1")
    assert grade_threads() == 1
    monkeypatch.setenv("TUTOR_GRADE_THREADS", "not a number")
    assert grade_threads() == THREADS


def test_batch_workers_share_the_cpus_without_oversubscribing(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert [threads_per_worker(n) for n in (1, 2, 3, 4, 8, 16)] == [8, 4, 2, 2, 1, 1]
