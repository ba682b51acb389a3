"""Schedule expressions from the config, parsed into plain data.

Three forms are accepted:

* ``every 6h`` / ``every 30m`` / ``every 1d`` / ``every 90s``: a fixed interval;
* a five-field cron expression, ``0 */6 * * *``;
* ``mon 08:00`` (a weekday and a time), the natural form for a weekly digest;
  ``daily 07:30`` runs every day.

This module only parses; the daemon turns the result into APScheduler
triggers, so the config can be validated without importing the scheduler.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_INTERVAL = re.compile(
    r"^every\s+(\d+)\s*([smhdw])(?:ec(?:ond)?s?|in(?:ute)?s?|ours?|rs?|ays?|eeks?)?$",
    re.IGNORECASE,
)
_WEEKDAY_TIME = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun|daily)\s+([01]?\d|2[0-3]):([0-5]\d)$", re.IGNORECASE
)
_CRON_FIELD = re.compile(r"^[\d*/,\-a-zA-Z]+$")


@dataclass(frozen=True)
class IntervalSchedule:
    seconds: int


@dataclass(frozen=True)
class CronSchedule:
    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str


Schedule = IntervalSchedule | CronSchedule


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule expression; raise ``ValueError`` with a readable reason."""
    spec = text.strip()
    if m := _INTERVAL.match(spec):
        seconds = int(m.group(1)) * _UNITS[m.group(2).lower()]
        if seconds < 10:
            raise ValueError(f"interval {spec!r} is shorter than 10 seconds")
        return IntervalSchedule(seconds)
    if m := _WEEKDAY_TIME.match(spec):
        day = m.group(1).lower()
        return CronSchedule(
            minute=str(int(m.group(3))),
            hour=str(int(m.group(2))),
            day="*",
            month="*",
            day_of_week="*" if day == "daily" else day,
        )
    fields = spec.split()
    if len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields):
        # Cron numbers weekdays from Sunday = 0; APScheduler from Monday = 0.
        # Translate numeric weekdays to names so both read the same way.
        minute, hour, day, month, weekday = fields
        return CronSchedule(minute, hour, day, month, _cron_weekdays(weekday))
    raise ValueError(
        f"{spec!r} is not a schedule: use 'every 6h', a cron expression like "
        "'0 */6 * * *', or a weekday and time like 'mon 08:00'"
    )


_CRON_DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _cron_weekdays(field: str) -> str:
    """A cron day-of-week field as the explicit list of days it means, by name.

    Cron counts from Sunday (0, and 7 again), APScheduler from Monday, so ranges
    and steps cannot be handed over as written: ``0-3`` would be an empty range
    and ``*/2`` would start on Monday. Listing the days says the same to both.
    """
    if field == "*":
        return "*"
    days: set[int] = set()
    for item in field.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"day-of-week step {step_text!r} is not a positive number")
        if base == "*":
            low, high = 0, 6
        elif "-" in base:
            low, high = (_cron_day(part) for part in base.split("-", 1))
        else:
            low = _cron_day(base)
            high = 6 if step else low
        if high < low:  # a range through Sunday: "fri-mon"
            high += 7
        days.update(day % 7 for day in range(low, high + 1, step or 1))
    return ",".join(_CRON_DAY_NAMES[day] for day in sorted(days))


def _cron_day(token: str) -> int:
    """0-7 or a day name, as cron reads it (Sunday = 0 = 7)."""
    name = token.strip().lower()[:3]
    if name in _CRON_DAY_NAMES:
        return _CRON_DAY_NAMES.index(name)
    if token.isdigit() and int(token) <= 7:
        return int(token)
    raise ValueError(f"day of week {token!r} is not 0-7 or a day name")
