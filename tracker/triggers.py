"""Config schedules as APScheduler triggers, and their next fire times.

Used by the daemon to schedule its jobs and by `tracker status` to say when
they would next run; only the trigger classes are imported, not a scheduler.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.config import Config
from tracker.schedule import CronSchedule, IntervalSchedule, Schedule, parse_schedule


def trigger_for(
    schedule: Schedule, timezone: str, *, anchor: datetime | None = None
) -> BaseTrigger:
    """An APScheduler trigger for ``schedule``.

    ``anchor`` (intervals only) is a moment the interval counts from, such as
    the start of the last refresh, so a restarted daemon keeps the rhythm
    instead of waiting a whole interval from its own start.
    """
    zone = ZoneInfo(timezone)
    if isinstance(schedule, IntervalSchedule):
        return IntervalTrigger(seconds=schedule.seconds, timezone=zone, start_date=anchor)
    assert isinstance(schedule, CronSchedule)
    return CronTrigger(
        minute=schedule.minute,
        hour=schedule.hour,
        day=schedule.day,
        month=schedule.month,
        day_of_week=schedule.day_of_week,
        timezone=zone,
    )


def fire_missed(
    schedule: Schedule, timezone: str, last_run: datetime | None, now: datetime
) -> bool:
    """True when the schedule should have fired after ``last_run`` and before ``now``.

    No run at all counts as missed: a new daemon refreshes once at start.
    """
    if last_run is None:
        return True
    if isinstance(schedule, IntervalSchedule):
        return (now - last_run).total_seconds() >= schedule.seconds
    due = trigger_for(schedule, timezone).get_next_fire_time(None, last_run)
    return due is not None and due <= now


def next_fire_times(config: Config, now: datetime) -> dict[str, datetime | None]:
    """When the refresh and digest jobs would next run if a daemon started now."""
    zone = config.schedule.timezone
    jobs = {
        "refresh": parse_schedule(config.schedule.refresh),
        "digest": parse_schedule(config.schedule.digest),
    }
    return {
        name: trigger_for(schedule, zone).get_next_fire_time(None, now)
        for name, schedule in jobs.items()
    }
