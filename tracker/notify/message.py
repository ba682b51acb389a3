"""Build the digest as an RFC 5322 message: multipart/alternative, UTF-8.

Headers are set through :class:`email.message.EmailMessage` with the SMTP
policy, so non-ASCII text (a Chinese report title in the subject) is RFC 2047
encoded on output and a value holding CR or LF is refused instead of starting
a new header. Callers pass only sanitised one-line values; the refusal is the
second line of defence.

Does not send anything and does not read the clock: ``now`` comes in.
"""

from __future__ import annotations

import email.policy
import re
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from tracker.errors import NotifyError

SENDER_NAME = "tracker"
_FALLBACK_DOMAIN = "localhost"
_LINE_BREAK = re.compile(r"[\r\n\x00\u2028\u2029\x85]")


def parse_address(value: str) -> Address:
    """A single bare address (``editor@example.org``) or NotifyError naming it."""
    if _LINE_BREAK.search(value):
        raise NotifyError(f"{value!r} is not an e-mail address (it contains a line break)")
    try:
        address = Address(addr_spec=value.strip())
    except (HeaderParseError, ValueError, IndexError) as exc:
        raise NotifyError(f"{value!r} is not an e-mail address: {exc}") from None
    if not address.username or not address.domain:
        raise NotifyError(f"{value!r} is not an e-mail address")
    return address


def message_id(sender: str, now: datetime) -> str:
    """``<digest.20251129T080000Z.1f2e3d4c5b6a@example.org>``, the domain taken from ``sender``."""
    domain = sender.rpartition("@")[2].strip() or _FALLBACK_DOMAIN
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        domain = _FALLBACK_DOMAIN
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"<digest.{stamp}.{secrets.token_hex(6)}@{domain}>"


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    sender: str,
    recipients: Sequence[str],
    now: datetime,
    msg_id: str | None = None,
) -> EmailMessage:
    """The digest e-mail with a text/plain and a text/html alternative.

    ``recipients`` may be empty (an outbox file for nobody in particular):
    ``To`` then names the empty group ``undisclosed-recipients:;``.
    Bodies are quoted-printable so the message is 7-bit clean for any relay.
    """
    if _LINE_BREAK.search(subject):
        raise NotifyError("the subject must be a single line")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    from_address = parse_address(sender)
    to_addresses = [parse_address(r) for r in recipients]

    message = EmailMessage(policy=email.policy.SMTP)
    message["Subject"] = subject
    message["From"] = Address(
        display_name=SENDER_NAME, username=from_address.username, domain=from_address.domain
    )
    message["To"] = to_addresses if to_addresses else "undisclosed-recipients:;"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msg_id or message_id(sender, now)
    # RFC 3834: tells auto-responders (vacation replies) not to answer.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message
