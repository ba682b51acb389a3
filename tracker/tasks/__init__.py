"""Refresh work spread over many processes and machines: tracker's tasks on procrastinate.

With a PostgreSQL store (``store.url``) a refresh is not one process's
pipeline but a chain of small, idempotent tasks in a queue that lives in the
same database: a round plans host batches, poll jobs (one host at a time,
whatever the number of workers) store entries, extract jobs store articles,
one match job at a time suggests, one publish job per report writes its
edition, and the digest goes once per period. ``tracker worker`` runs the
jobs; ``tracker daemon`` queues rounds and digests on its schedule.

- :mod:`~tracker.tasks.plan`: host batches and host locks (pure);
- :mod:`~tracker.tasks.polling`: one poll job's fetching and storing;
- :mod:`~tracker.tasks.work`: the other steps as plain functions;
- :mod:`~tracker.tasks.payload`: feed entries as task arguments;
- :mod:`~tracker.tasks.engine`: the procrastinate app, its tasks and locks,
  retries, stalled-worker recovery;
- :mod:`~tracker.tasks.schema`: the engine's tables, created once;
- :mod:`~tracker.tasks.monitor`: workers, queue depth, oldest waiting job;
- :mod:`~tracker.tasks.rounds`: each round recorded as a run, finished by its last job.

With the SQLite store none of this is used: the daemon refreshes in-process.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from tracker.config import Config

POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})


def shared_queue_url(config: Config) -> str | None:
    """The PostgreSQL URL the store and the task queue share, or None with SQLite."""
    url = config.store.url
    if url is not None and urlsplit(url).scheme in POSTGRES_SCHEMES:
        return url
    return None
