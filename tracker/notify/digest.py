"""The weekly digest: from the store's pending suggestions to a delivered e-mail.

One call, :func:`run_digest`, used through :class:`tracker.app.Tracker` by
``tracker digest`` and the daemon's weekly job. Its steps are the modules of
this package: choose (:mod:`~tracker.notify.choose`: the period and its
pending suggestions), compose (:mod:`~tracker.notify.compose`: what the
digest says, as data), render (:mod:`~tracker.notify.render`: text and HTML
bodies), build the message (:mod:`~tracker.notify.message`) and deliver
(:mod:`~tracker.notify.deliver`: SMTP or the outbox).

Guarantees:

* A digest is recorded as sent only after the SMTP server accepted it (or the
  ``.eml`` file was written to the outbox), so a failed send is tried again
  next time, for the same period plus whatever came since.
* A period that was recorded is never sent again, across restarts: a second
  run at the same ``now`` finds an empty period, and an explicit repeat of a
  recorded period is refused.
* An empty period sends nothing unless ``digest.send_empty`` asks for a short note.
  A feed that started failing or recovered makes a period worth a message, and
  appears in that period's digest only.

What it deliberately does not do: schedule itself (the daemon does), change
any suggestion's status, or read the clock (``now`` comes in). A crash after
the server accepted the message and before the record is written would send
that period once more on the next run: delivery is at-least-once.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from tracker.config import Config
from tracker.errors import ReportError
from tracker.notify.choose import (
    digest_period,
    health_changes,
    outline,
    pending_in_period,
    utc,
)
from tracker.notify.compose import DigestData, compose_digest
from tracker.notify.deliver import deliver
from tracker.notify.message import build_message
from tracker.notify.rechecks import RecheckItem, due_rechecks
from tracker.notify.render import render_digest
from tracker.notify.wording import wording_for
from tracker.report import load_report
from tracker.store import Store

FALLBACK_SENDER = "tracker@localhost"


@dataclass(frozen=True)
class DigestResult:
    """What :func:`run_digest` did. ``text`` is the plain-text body (also when not sent)."""

    period_start: datetime
    period_end: datetime
    suggestions: int
    sent: bool
    skipped_reason: str | None
    message_id: str | None
    outbox_path: Path | None
    text: str
    recipients: tuple[str, ...] = ()
    attempts: int = 0  # SMTP attempts it took; 0 for the outbox or when not sent


@dataclass(frozen=True)
class PreparedDigest:
    """A composed digest and its message, not yet delivered."""

    data: DigestData
    text: str
    html: str
    message: EmailMessage
    sender: str
    recipients: tuple[str, ...]
    # Per report id, the texts of the dated statements it lists: recorded once it is sent.
    rechecked: dict[str, list[str]]

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


def run_digest(
    config: Config,
    store: Store,
    *,
    now: datetime,
    send: bool,
    since: datetime | None = None,
    to: Sequence[str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    environ: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DigestResult:
    """Compose the digest and, with ``send``, deliver it once.

    Without ``send`` only the text is produced and nothing is recorded. With
    ``send`` the message goes over SMTP when ``email.smtp`` is configured,
    otherwise to an ``.eml`` file in the outbox. ``to`` replaces ``email.to``.
    A naive ``since`` is read in ``schedule.timezone``.
    Raises :class:`~tracker.errors.NotifyError` (PermanentNotifyError for a
    refusal) when delivery fails; nothing is recorded then.
    """
    now = utc(now)
    if since is not None and since.tzinfo is None:
        # A bare date or time from the command line means the digest's own time zone.
        since = since.replace(tzinfo=ZoneInfo(config.schedule.timezone))
    start, end = digest_period(store, now=now, since=since)
    if start >= end:
        return _skipped(start, end, "already sent: the last digest covers this period")
    if send and store.digest_sent(start, end):
        return _skipped(start, end, "already sent: a digest for this period was recorded")

    prepared = _prepare(config, store, start, end, now=now, to=to)
    data = prepared.data
    if not send:
        reason = "nothing new in this period" if data.empty else None
        return _result(prepared, sent=False, skipped_reason=reason)
    if data.empty and not config.digest.send_empty:
        return _result(prepared, sent=False, skipped_reason="nothing new in this period")

    delivery = deliver(
        prepared.message.as_bytes(),
        config,
        sender=prepared.sender,
        recipients=prepared.recipients,
        outbox_name=_outbox_name(start, end),
        environ=environ,
        ssl_context=ssl_context,
        sleep=sleep,
    )
    outbox_path = delivery.outbox_path
    store.record_digest(
        start,
        end,
        sent_at=now,
        message_id=prepared.message_id,
        recipients=list(prepared.recipients),
        outbox_path=str(outbox_path) if outbox_path else None,
    )
    for report_id, texts in prepared.rechecked.items():
        store.record_rechecks(report_id, texts, at=now)
    return _result(prepared, sent=True, outbox_path=outbox_path, attempts=delivery.attempts)


def _prepare(
    config: Config,
    store: Store,
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    to: Sequence[str] | None,
) -> PreparedDigest:
    rechecks, rechecked = _rechecks(config, store, now=now)
    data = compose_digest(
        pending_in_period(config, store, start, end),
        [outline(report) for report in config.reports],
        period_start=start,
        period_end=end,
        timezone=ZoneInfo(config.schedule.timezone),
        base_url=config.digest.base_url,
        health=health_changes(config, store, start, end),
        rechecks=rechecks,
    )
    rendered = render_digest(data)
    sender = config.email.from_ if config.email else FALLBACK_SENDER
    recipients = tuple(to) if to else (tuple(config.email.to) if config.email else ())
    message = build_message(
        subject=data.subject,
        text=rendered.text,
        html=rendered.html,
        sender=sender,
        recipients=recipients,
        now=now,
    )
    return PreparedDigest(
        data=data,
        text=rendered.text,
        html=rendered.html,
        message=message,
        sender=sender,
        recipients=recipients,
        rechecked=rechecked,
    )


def _rechecks(
    config: Config, store: Store, *, now: datetime
) -> tuple[dict[str, list[RecheckItem]], dict[str, list[str]]]:
    """Each report's dated statements due for re-checking and not listed before; a report
    that cannot be read has none (its digest says what else there is)."""
    timezone = ZoneInfo(config.schedule.timezone)
    today = now.astimezone(timezone).date()
    items: dict[str, list[RecheckItem]] = {}
    texts: dict[str, list[str]] = {}
    for report_config in config.reports:
        try:
            report = load_report(
                report_config.path, report_id=report_config.id, language=report_config.language
            )
        except ReportError:
            continue
        due = due_rechecks(
            report,
            report_config,
            store,
            today=today,
            after_months=config.digest.recheck_after_months,
            w=wording_for(report_config.language),
            timezone=timezone,
        )
        if due:
            items[report.id] = [item for _, item in due]
            texts[report.id] = [statement.text for statement, _ in due]
    return items, texts


def _outbox_name(start: datetime, end: datetime) -> str:
    # Named by its period: a rerun after a crash replaces the file instead of adding one.
    return f"digest-{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.eml"


def _result(
    prepared: PreparedDigest,
    *,
    sent: bool,
    skipped_reason: str | None = None,
    outbox_path: Path | None = None,
    attempts: int = 0,
) -> DigestResult:
    return DigestResult(
        period_start=prepared.data.period_start,
        period_end=prepared.data.period_end,
        suggestions=prepared.data.total,
        sent=sent,
        skipped_reason=skipped_reason,
        message_id=prepared.message_id if sent else None,
        outbox_path=outbox_path,
        text=prepared.text,
        recipients=prepared.recipients if sent else (),
        attempts=attempts,
    )


def _skipped(start: datetime, end: datetime, reason: str) -> DigestResult:
    return DigestResult(
        period_start=start,
        period_end=end,
        suggestions=0,
        sent=False,
        skipped_reason=reason,
        message_id=None,
        outbox_path=None,
        text="",
    )
