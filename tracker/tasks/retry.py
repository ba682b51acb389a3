"""Retrying a failed job by queueing a new one, so a waiting copy is never in the way.

procrastinate retries a failed job by putting that job back in the queue.
For a job with a queueing lock (one waiting copy at most) that fails while a
copy already waits (a later round queued the same host batch; another
extraction queued matching) that would make two waiting copies: the
database refuses, and the failed job stays running with its lock held until
its worker stops. So tracker's queueing-locked tasks retry themselves: the
failed job ends, and a new one with the same locks and arguments is queued
for later (2, 4 … 32 s; the sixth failure is final) unless a copy already
waits, which then does the work.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext

ATTEMPTS = 6
log = logging.getLogger("tracker.tasks")


def retrying(
    app: procrastinate.App, body: Callable[..., Awaitable[None]]
) -> Callable[..., Awaitable[None]]:
    """``body`` as a task taking the job's context, re-queued after a failure."""

    async def run(context: JobContext, attempt: int = 0, **kwargs: Any) -> None:
        try:
            # The job's id, for a step that asks the queue about the other jobs of its run.
            await body(job_id=context.job.id, **kwargs)
        except Exception as exc:
            job = context.job
            if attempt + 1 >= ATTEMPTS:
                raise  # final: the job is recorded as failed, and its error logged
            delay = 2 ** (attempt + 1)
            again = app.configure_task(
                job.task_name,
                lock=job.lock,
                queueing_lock=job.queueing_lock,
                schedule_in={"seconds": delay},
            )
            try:
                await again.defer_async(**kwargs, attempt=attempt + 1)
            except AlreadyEnqueued:
                log.warning(
                    "job failed pid=%s task=%s job=%s, a copy waits: %s: %s",
                    os.getpid(),
                    job.task_name,
                    job.id,
                    type(exc).__name__,
                    exc,
                )
                return
            log.warning(
                "job failed pid=%s task=%s job=%s attempt=%d, again in %d s: %s: %s",
                os.getpid(),
                job.task_name,
                job.id,
                attempt + 1,
                delay,
                type(exc).__name__,
                exc,
            )

    run.__name__ = run.__qualname__ = getattr(body, "__name__", "task")
    return run
