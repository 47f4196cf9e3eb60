"""The CLI's console helpers: the shared ones in `tutor.console`, under the names commands use."""

from tutor.console import err, fail, out, print_json, waiting, warn

__all__ = ["err", "fail", "out", "print_json", "waiting", "warn"]
