"""One definition of "is there a GPU" (grader/sandbox/policy.py): the memory cap asks whether the
NVIDIA driver is loaded, `tutor train` whether this process may use a GPU. This machine has none."""

from __future__ import annotations

from pathlib import Path

from grader.sandbox import policy
from tests.conftest import run_tutor


def test_visible_gpu_needs_a_device_node_and_cuda_visible_devices(monkeypatch):
    monkeypatch.setattr(policy, "gpu_devices", lambda: ["/dev/nvidia0"])
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert policy.gpu_visible() and policy.cuda_present()
    for hidden in ("", "-1"):
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", hidden)
        assert not policy.gpu_visible()
        assert policy.cuda_present()  # the driver still reserves address space
    monkeypatch.setattr(policy, "gpu_devices", lambda: [])
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    assert not policy.gpu_visible()


def test_train_on_a_gpu_task_without_a_gpu_says_so_in_one_line():
    assert not any(Path("/dev").glob("nvidia[0-9]*")), "this test assumes a machine without a GPU"
    assert run_tutor("start", "task8.4").returncode == 0
    done = run_tutor("train", "task8.4", "--epochs", "1")
    assert done.returncode != 0
    assert "task8.4 trains on a GPU and this machine has none" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) <= 2
