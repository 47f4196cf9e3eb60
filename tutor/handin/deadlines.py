"""Deadlines: written with their zone, compared with the time the filesystem recorded.

A deadline is an aware datetime. On the command line it is ISO 8601 with an offset
(`2026-12-01T23:59+01:00`) or a local time followed by an IANA zone name
(`2026-12-01 23:59 Europe/Madrid`); it is stored in tutor.toml as a TOML offset datetime.
A time with no zone is refused: "23:59" means different instants on a laptop and a cluster.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EXAMPLE = "2026-12-01T23:59+01:00 or '2026-12-01 23:59 Europe/Madrid'"


class DeadlineError(ValueError):
    """A deadline that cannot be used; the message says how to write one."""


def parse_deadline(text: str) -> datetime:
    """An aware datetime from ISO 8601 with an offset, or a local time and a zone name."""
    text = text.strip()
    zone: Optional[ZoneInfo] = None
    head, _, last = text.rpartition(" ")
    if head and ("/" in last or last.upper() == "UTC"):
        try:
            zone = ZoneInfo("UTC" if last.upper() == "UTC" else last)
        except (ZoneInfoNotFoundError, ValueError):
            raise DeadlineError(f"unknown time zone {last!r} in {text!r}; e.g. {EXAMPLE}") from None
        text = head.strip()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise DeadlineError(f"{text!r} is not a date and time; write e.g. {EXAMPLE}") from None
    if zone is not None:
        if when.tzinfo is not None:
            raise DeadlineError(f"{text!r} has both an offset and a zone name; give one")
        when = when.replace(tzinfo=zone)
        # Fix the offset in force at that moment (TOML stores offsets, not zone names).
        when = when.astimezone(timezone(when.utcoffset()))  # type: ignore[arg-type]
    if when.tzinfo is None:
        raise DeadlineError(f"{text!r} has no time zone; write e.g. {EXAMPLE}")
    return when


def is_aware(when: datetime) -> bool:
    return when.tzinfo is not None and when.utcoffset() is not None


def lateness(handed_in: datetime, deadline: Optional[datetime]) -> Optional[timedelta]:
    """How late (positive) or early (negative) a hand-in was; None without a usable deadline."""
    if deadline is None or not is_aware(deadline):
        return None
    return handed_in - deadline


def human_delta(delta: timedelta) -> str:
    """'2 d 3 h', '4 h 12 min', '35 s' for the absolute value of `delta`."""
    seconds = int(abs(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


def show_time(when: datetime, zone_of: Optional[datetime] = None) -> str:
    """A timestamp shown in the deadline's zone when there is one, else in UTC."""
    tz = zone_of.tzinfo if zone_of is not None and is_aware(zone_of) else timezone.utc
    local = when.astimezone(tz)
    return local.strftime("%Y-%m-%d %H:%M:%S ") + (local.strftime("%z") if tz is not timezone.utc else "UTC")


def verdict(handed_in: datetime, deadline: Optional[datetime]) -> str:
    """'on time (2 h before the deadline)', 'LATE by 3 min', or 'no deadline'."""
    late = lateness(handed_in, deadline)
    if late is None:
        return "no deadline set" if deadline is None else "deadline has no time zone"
    if late > timedelta(0):
        return f"LATE by {human_delta(late)}"
    return f"on time ({human_delta(late)} before the deadline)"
