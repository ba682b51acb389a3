"""A queue round as one run in the store's ``runs`` table, as an in-process refresh is.

A round's work is spread over many jobs on many workers, and the jobs a round
leads to are not known when it plans: a poll job defers extract jobs only for
the entries it finds, an extract defers matching only when it stored articles.
So no job count is fixed up front. Instead every job a round leads to carries
the round's run id in its arguments (``run``), adds what it did to the run
when it ends (:meth:`Store.add_to_run`), and then asks the queue whether any
other job of the run is still waiting or running: when none is, the run is
finished. Two last jobs ending at once may each still see the other; the
periodic stalled-job check (every few seconds, on some worker) finishes any
run left so, and any run whose last job failed for good.

- The run starts when the round task plans (:func:`begin`); it is "planned"
  once every job of the plan is queued (the ``plan`` entry of its durations).
- Outcome: ``ok``; ``failed`` when a job of the run failed for good (its
  retries spent) or the round failed to plan; ``interrupted`` for a round
  killed before it finished planning (the next round finds it, holding the
  rounds' lock, as ``interrupt_stale_runs`` does for in-process refreshes).
- A job whose queueing lock found a copy waiting is not queued: the copy does
  the work and counts it in its own run.
- Counts are what each job reported; a job killed after reporting and then
  retried reports again (figures for people, not an invariant).

The read of the engine's table (``procrastinate_jobs``) is, with
:mod:`tracker.tasks.monitor`'s, the only SQL outside :mod:`tracker.store`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

import procrastinate

from tracker.store import Store
from tracker.store.runs import QUEUE_ROUND

TRIGGER = QUEUE_ROUND  # the runs' trigger: a round of the shared queue
PLANNED = "plan"  # the duration a round records once its plan is queued
# The channel a round announces its run on ("<job id> <run id>"), for `tracker refresh`.
STARTED = "tracker_round_started"

log = logging.getLogger("tracker.tasks")
T = TypeVar("T")
# Runs a function with the store, on a thread, from the worker's event loop.
WithStore = Callable[[Callable[[Store], T]], Awaitable[T]]

# The other jobs of a run by state. ``run`` is compared as text: the JSON
# arguments hold it as a number.
_JOBS_OF_RUN = """
SELECT status::text AS status, COUNT(*) AS n
  FROM procrastinate_jobs
 WHERE args->>'run' = %(run)s AND id <> %(job)s
 GROUP BY status
"""
_LIVE = frozenset({"todo", "doing", "aborting"})


def begin(store: Store, now: datetime) -> int:
    """Start a round's run. Call holding the rounds' lock: a run of an earlier round
    still unplanned then belongs to a round that was killed while planning."""
    for stale in store.unfinished_runs(TRIGGER):
        if PLANNED not in stale.durations and store.close_run(stale.id, now, "interrupted"):
            log.warning(
                "round interrupted pid=%s run=%d (killed while planning)", os.getpid(), stale.id
            )
    return store.start_run(now, trigger=TRIGGER, pid=os.getpid())


def outcome(jobs: Mapping[str, int]) -> str | None:
    """The run's outcome from its other jobs' states; None while any waits or runs."""
    if any(jobs.get(state, 0) for state in _LIVE):
        return None
    return "failed" if jobs.get("failed", 0) else "ok"


async def announce(app: procrastinate.App, job_id: int | None, run_id: int) -> None:
    """Tell whoever waits for the round job ``job_id`` (tasks/request.py) its run's id."""
    if job_id is not None:
        await app.connector.execute_query_async(
            "SELECT pg_notify(%(channel)s, %(payload)s)",
            channel=STARTED,
            payload=f"{job_id} {run_id}",
        )


async def other_jobs(app: procrastinate.App, run_id: int, job_id: int | None) -> dict[str, int]:
    """The run's jobs other than ``job_id`` (the one asking), counted by state."""
    rows: list[dict[str, Any]] = await app.connector.execute_query_all_async(
        _JOBS_OF_RUN, run=str(run_id), job=job_id or 0
    )
    return {row["status"]: int(row["n"]) for row in rows}


async def finish_if_done(
    app: procrastinate.App,
    with_store: WithStore[Any],
    run_id: int,
    job_id: int | None,
    now: datetime,
) -> str | None:
    """Finish the run when no other job of it waits or runs; its outcome when this
    call finished it, None otherwise (still going, unplanned, or already finished)."""
    record = await with_store(lambda store: store.run(run_id))
    if record is None or record.finished_at is not None or PLANNED not in record.durations:
        return None
    done = outcome(await other_jobs(app, run_id, job_id))
    if done is None or not await with_store(lambda store: store.close_run(run_id, now, done)):
        return None
    log.info("round finished pid=%s run=%d outcome=%s", os.getpid(), run_id, done)
    return done


async def finish_done_runs(
    app: procrastinate.App, with_store: WithStore[Any], now: datetime
) -> int:
    """Finish every planned round whose jobs are all done; how many were finished."""
    finished = 0
    for record in await with_store(lambda store: store.unfinished_runs(TRIGGER)):
        if await finish_if_done(app, with_store, record.id, None, now) is not None:
            finished += 1
    return finished
