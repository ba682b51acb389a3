"""Config schedules as APScheduler triggers, and their next fire times."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.config import Config
from tracker.schedule import CronSchedule, IntervalSchedule, Schedule, parse_schedule


def trigger_for(schedule: Schedule, timezone: str) -> BaseTrigger:
    zone = ZoneInfo(timezone)
    if isinstance(schedule, IntervalSchedule):
        return IntervalTrigger(seconds=schedule.seconds, timezone=zone)
    assert isinstance(schedule, CronSchedule)
    return CronTrigger(
        minute=schedule.minute, hour=schedule.hour, day=schedule.day, month=schedule.month,
        day_of_week=schedule.day_of_week, timezone=zone,
    )


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
