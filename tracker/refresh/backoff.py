"""When a feed may be polled again: backoff after failures, and the server's own wishes.

Without this a feed that fails is polled on every refresh forever. After each
poll a feed gets a next-poll time (``PollPlan``), stored with its health:

- after its n-th failure in a row (a failed fetch, or a document that is not a
  feed: a URL serving HTML is as dead as one serving errors), exponential
  backoff: ``BACKOFF_BASE`` doubled per further failure, capped at
  ``BACKOFF_MAX``, shortened by a jitter of up to ``JITTER`` that is a hash of
  the URL and n. Deterministic, so tests (and people
  reading ``tracker status``) see the same times, yet two feeds that fail together
  are not retried together. With a refresh every 6 h the first few failures
  cost no scheduled poll (15 min, 30 min, 1 h …); a feed dead for days is tried
  about once a day;
- a 429 or 503 with ``Retry-After`` (seconds or an HTTP date) waits exactly that
  long instead, capped the same way;
- a success is not polled again before its ``Cache-Control: max-age`` (less its
  ``Age``) or its RSS ``<ttl>`` (minutes) has passed, whichever is longer, capped
  at ``FLOOR_MAX`` so a hostile max-age cannot silence a feed for a year.
  Without either, nothing holds it back: the schedule decides.

``due`` is the other half: which feeds a refresh polls now. Like the schedule's
own interval check it allows 5 % slack, so a feed told to wait 6 h is not
skipped by a 6-hourly refresh that starts a few seconds early. A forced refresh
ignores all of it. Pure functions: no I/O, the clock is an argument.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

from tracker.store import PollPlan, SourceHealth
from tracker.textutil import header
from tracker.types import FetchOutcome, FetchResult

BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_MAX = timedelta(days=1)
JITTER = 0.25  # the delay is shortened by up to this fraction
FLOOR_MAX = timedelta(days=1)  # the most a max-age or ttl may hold a feed back
SLACK = 0.05

BACKOFF = "backoff"
RETRY_AFTER = "retry-after"
MAX_AGE = "max-age"
TTL = "ttl"

_HEALTHY = (FetchOutcome.OK, FetchOutcome.NOT_MODIFIED)
_TTL = re.compile(rb"<ttl>\s*(\d{1,9})\s*</ttl>", re.I)
_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d{1,12})\"?\s*(?:,|$)", re.I)


def backoff_delay(url: str, failures: int) -> timedelta:
    """How long to wait after the ``failures``-th failure in a row (1 or more)."""
    exponent = min(max(failures, 1) - 1, 32)
    delay = min(BACKOFF_BASE * 2**exponent, BACKOFF_MAX)
    return delay * (1 - JITTER * _unit(f"{url}\0{failures}"))


def _unit(key: str) -> float:
    """A number in [0, 1) fixed by ``key``."""
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def retry_after(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """``Retry-After`` as a delay from ``now`` (seconds or an HTTP date), None when absent
    or unreadable; a date in the past is no delay."""
    value = header(headers, "retry-after").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value[:12]))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": UTC by RFC 5322
        when = when.replace(tzinfo=now.tzinfo)
    return max(when - now, timedelta(0))


def max_age(headers: Mapping[str, str]) -> timedelta | None:
    """How long the response stays fresh by ``Cache-Control: max-age``, less its ``Age``;
    None without one, or with ``no-cache`` / ``no-store``."""
    control = header(headers, "cache-control")
    if not control or re.search(r"\bno-(?:cache|store)\b", control, re.I):
        return None
    match = _MAX_AGE.search(control)
    if match is None:
        return None
    age = header(headers, "age").strip()
    seconds = int(match.group(1)) - (int(age[:12]) if age.isdigit() else 0)
    return timedelta(seconds=seconds) if seconds > 0 else None


def feed_ttl(body: bytes) -> int | None:
    """An RSS channel's ``<ttl>`` in minutes, None without one (or 0)."""
    match = _TTL.search(body)
    minutes = int(match.group(1)) if match else 0
    return minutes or None


def plan(
    result: FetchResult, health: SourceHealth | None, now: datetime, *, failed: bool = False
) -> PollPlan:
    """The next poll of a feed just fetched; ``health`` is its row as recorded for this
    fetch (its failure streak already counts it). ``failed`` marks a document that
    arrived but is not a feed: a failure like any other, whatever its HTTP outcome."""
    url = result.url
    if failed or result.outcome not in _HEALTHY:
        failures = health.consecutive_failures if health else 1
        wait = retry_after(result.headers, now) if result.status in (429, 503) else None
        if wait is not None:
            return PollPlan(url, now + min(wait, BACKOFF_MAX), RETRY_AFTER, _ttl_of(health))
        return PollPlan(url, now + backoff_delay(url, failures), BACKOFF, _ttl_of(health))
    # A 304 has no body: the ttl of the document it confirms still holds.
    ttl = feed_ttl(result.body) if result.outcome is FetchOutcome.OK else _ttl_of(health)
    fresh = max_age(result.headers)
    floors = [(fresh, MAX_AGE), (timedelta(minutes=ttl) if ttl else None, TTL)]
    known = [(delay, why) for delay, why in floors if delay is not None]
    if not known:
        return PollPlan(url, None, None, ttl)
    delay, why = max(known, key=lambda pair: pair[0])
    return PollPlan(url, now + min(delay, FLOOR_MAX), why, ttl)


def _ttl_of(health: SourceHealth | None) -> int | None:
    return health.ttl_minutes if health else None


def due(health: SourceHealth | None, now: datetime) -> bool:
    """Whether a feed may be polled at ``now``: no next poll stored, or (nearly) reached."""
    if health is None or health.next_poll is None:
        return True
    if health.last_checked is None:
        return now >= health.next_poll
    slack = max(health.next_poll - health.last_checked, timedelta(0)) * SLACK
    return now >= health.next_poll - slack


def waiting(healths: Iterable[SourceHealth], now: datetime) -> list[SourceHealth]:
    """The failing feeds among ``healths`` that are not due: what a refresh held back."""
    return [h for h in healths if h.consecutive_failures and not due(h, now)]
