"""When a cited page is checked again: healthy ones on an interval, failing ones every refresh.

A reference that answered well is news only when it changes or dies, and
neither is urgent: fetching every cited page on every refresh (four times a
day with the default schedule) costs the report's sources traffic for
nothing. So a page whose last check succeeded waits ``match.cited_recheck_days``
(a week by default) from that success before it is fetched again.

A failing page is checked on every refresh, not on an interval or a daily
floor: the gone policy (``match.gone_after`` failed checks spread over
``match.gone_after_days``) needs a streak of checks to judge, a page that comes
back should be seen as alive at once (a rejected "gone" suggestion becomes news
again only if the page lived in between), and a handful of requests a day to
one dead host is no burden. A page never checked is checked at once, and a
forced refresh checks them all.

The interval is taken from the config on every refresh, not from a stored
time, so changing it takes effect at once; the stored next check
(``SourceHealth.next_poll``, reason ``"recheck"``) is what ``tracker status``
shows. Pure functions: no I/O, the clock is an argument.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tracker.store import PollPlan, SourceHealth

RECHECK = "recheck"
# A refresh that starts a little before a page's week is up still checks it,
# rather than leaving it for a whole further schedule period.
SLACK = 0.05
SLACK_MAX = timedelta(hours=1)


def due(health: SourceHealth | None, now: datetime, interval: timedelta) -> bool:
    """Whether a cited page is checked at ``now``: never checked, failing, or its last
    successful check is ``interval`` old (less a little slack)."""
    if health is None or health.consecutive_failures or health.last_success is None:
        return True
    slack = min(interval * SLACK, SLACK_MAX)
    return now >= health.last_success + interval - slack


def plan(health: SourceHealth, interval: timedelta) -> PollPlan:
    """A cited page's next check as ``tracker status`` shows it; None: the next refresh."""
    if health.consecutive_failures or health.last_success is None or not interval:
        return PollPlan(health.url, None, None)
    return PollPlan(health.url, health.last_success + interval, RECHECK)
