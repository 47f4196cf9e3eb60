"""One definition of "is there a GPU" (grader/sandbox/policy.py): the memory cap asks whether the
NVIDIA driver is loaded, `tutor train` whether this process may use a GPU (its refusal on this
GPU-less machine: tests/test_grading_cli.py)."""

from __future__ import annotations

from grader.sandbox import policy


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
