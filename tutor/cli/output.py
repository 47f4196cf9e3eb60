"""The CLI's console helpers: the shared ones in `tutor.console`, under the names commands use."""

from tutor.console import err, escape, fail, out, plain, print_json, visible, waiting, warn

__all__ = ["err", "escape", "fail", "out", "plain", "print_json", "visible", "waiting", "warn"]
