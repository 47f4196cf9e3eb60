"""`tutor watch`: re-run `check` when the student saves, like rustlings.

File events come from watchfiles; on network filesystems (NFS, Lustre, GPFS...) where inotify
events from other machines never arrive, or with --poll, a plain mtime poller is used.
Keys: `r` re-runs by hand, `q` quits (on a terminal, single key presses; otherwise lines).
"""

from __future__ import annotations

import os
import queue
import select
import sys
import termios
import threading
import time
import tty
from pathlib import Path
from typing import Iterator, Optional

from rich.rule import Rule
from watchfiles import watch as watch_files

from tutor.cli.output import escape, out, plain
from tutor.cli.report_output import reason_line, show_report
from tutor.state.student_progress import record_result

NETWORK_FS = {"nfs", "nfs4", "lustre", "gpfs", "cifs", "smb3", "smbfs", "beegfs", "fuse.sshfs", "ceph", "fuse.glusterfs", "panfs"}
IGNORED_PARTS = {"__pycache__", ".git", ".ipynb_checkpoints"}
IGNORED_NAMES = {"model.keras", "train.json"}


def filesystem_type(path: Path) -> Optional[str]:
    """The type of the mount holding `path`, from /proc/mounts (None where unknown)."""
    try:
        lines = Path("/proc/mounts").read_text().splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best, kind = "", None
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) >= len(best):
            best, kind = mount, parts[2]
    return kind


def needs_polling(path: Path) -> bool:
    return (filesystem_type(path) or "") in NETWORK_FS


def relevant(path: Path, root: Path) -> bool:
    try:
        rel = path.relative_to(root)
    except ValueError:
        return False
    name = rel.name
    if name in IGNORED_NAMES or name.startswith(".") or name.endswith(("~", ".swp", ".tmp")):
        return False
    return not (set(rel.parts) & IGNORED_PARTS)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_PARTS]
        for name in filenames:
            path = Path(dirpath) / name
            if not relevant(path, root):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            state[str(path)] = (st.st_mtime_ns, st.st_size)
    return state


def poll_changes(root: Path, interval: float, stop: threading.Event) -> Iterator[set[str]]:
    before = snapshot(root)
    while not stop.wait(interval):
        after = snapshot(root)
        if after != before:
            changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
            before = after
            yield changed


def event_changes(root: Path, stop: threading.Event) -> Iterator[set[str]]:
    for changes in watch_files(root, stop_event=stop, debounce=300, raise_interrupt=False,
                               watch_filter=lambda _change, p: relevant(Path(p), root)):
        yield {p for _change, p in changes}


def _watcher(root: Path, use_polling: bool, interval: float, events: "queue.Queue", stop: threading.Event) -> None:
    try:
        source = poll_changes(root, interval, stop) if use_polling else event_changes(root, stop)
        for changed in source:
            events.put(("change", changed))
    except Exception as exc:  # e.g. inotify limits: fall back to polling
        if not use_polling and not stop.is_set():
            events.put(("note", f"file events unavailable ({exc}); polling every {interval:g} s"))
            _watcher(root, True, interval, events, stop)


class Keys:
    """r / q from the terminal (cbreak mode) or from piped lines."""

    def __init__(self) -> None:
        self.stream = sys.stdin
        self.tty = self.stream is not None and self.stream.isatty()
        self.saved = None
        self.closed = self.stream is None

    def __enter__(self) -> "Keys":
        if self.tty:
            self.saved = termios.tcgetattr(self.stream.fileno())
            tty.setcbreak(self.stream.fileno())
        return self

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            termios.tcsetattr(self.stream.fileno(), termios.TCSADRAIN, self.saved)

    def read(self, timeout: float) -> Optional[str]:
        if self.closed:
            time.sleep(timeout)
            return None
        try:
            ready, _, _ = select.select([self.stream], [], [], timeout)
        except (OSError, ValueError):
            self.closed = True
            return None
        if not ready:
            return None
        data = os.read(self.stream.fileno(), 64).decode(errors="ignore")
        if not data:
            self.closed = True  # stdin ended (e.g. </dev/null): keep watching files only
            return None
        return data.strip().lower()[:1] or None


def watch_loop(task, submission: Path, grader, poll: bool = False, interval: float = 1.0,
               notebook: Optional[Path] = None) -> None:
    """`notebook`: check that notebook (in `submission`) rather than the folder's model.py."""
    root = submission.resolve()
    use_polling = poll or needs_polling(root)
    how = f"polling every {interval:g} s" if use_polling else "on file events"
    events: "queue.Queue" = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=_watcher, args=(root, use_polling, interval, events, stop), daemon=True)
    thread.start()

    def run(why: str) -> None:
        out.print(Rule(plain(f"check {task.id} · {why} · {time.strftime('%H:%M:%S')}")))
        report = grader.check(task, notebook or root)
        try:
            record_result(task.id, "check", report.status, report.score)
        except Exception:
            pass
        if report.status == "error":
            out.print(f"[red]could not check:[/] {escape(report.error)}", markup=True)
        else:
            show_report(report, task, "check", notes_to=out)
            if report.status != "passed":
                out.print(reason_line(report, task), style="yellow", markup=False, highlight=False)
        out.print(plain(f"watching {root} ({how}); r: re-run, q: quit", style="dim"))

    try:
        with Keys() as keys:
            run("start")
            while True:
                key = keys.read(0.2)
                if key == "q":
                    break
                if key == "r":
                    run("re-run")
                    continue
                try:
                    kind, payload = events.get_nowait()
                except queue.Empty:
                    continue
                if kind == "note":
                    out.print(plain(payload, style="yellow"))
                    continue
                time.sleep(0.2)  # let an editor finish writing, then take every pending change
                changed = set(payload)
                while True:
                    try:
                        more_kind, more = events.get_nowait()
                    except queue.Empty:
                        break
                    if more_kind == "change":
                        changed |= more
                names = ", ".join(sorted(Path(p).name for p in changed)[:3])
                run(f"changed: {names}")
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
