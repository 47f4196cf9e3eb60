"""A cluster command's `HpcError` as the one-line `tutor: reason: fix` (exit 2)."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from hpc.errors import HpcError
from tutor.errors import UserError


@contextmanager
def hpc_user_errors() -> Iterator[None]:
    """Turn an `HpcError` raised inside into a `UserError` (one line, exit 2)."""
    try:
        yield
    except HpcError as exc:
        raise UserError(str(exc)) from None
