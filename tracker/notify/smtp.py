"""Deliver a message over SMTP: plain, STARTTLS or implicit TLS, with retries.

The only module that imports smtplib. Its errors are translated here:

* temporary — a 4xx reply, a refused/dropped/timed-out connection — are retried
  on a fresh connection after ``retry_backoff * 2**n`` seconds, up to
  ``retries`` times, then raised as :class:`~tracker.errors.NotifyError`;
* permanent — a 5xx reply, a failed login, a server without STARTTLS when
  STARTTLS is configured, a certificate that does not verify — are raised at
  once as :class:`~tracker.errors.PermanentNotifyError`.

The password is read from the environment variable named by
``smtp.password_env``, never from the config. STARTTLS is never skipped when
configured: a server that does not offer it is a permanent error, not a
silent downgrade. Nor is a password sent over an unencrypted connection to
another machine (``security: none``) unless ``allow_plaintext_auth`` says so:
the config refuses it at load, and this module again before connecting.

Once the server has accepted the DATA, the message counts as delivered even
if saying goodbye fails; it is never sent a second time from here.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tracker.config import SmtpConfig
from tracker.errors import NotifyError, PermanentNotifyError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """What the server said: accepted after ``attempts`` tries; ``refused`` lists
    recipients it turned down while accepting the others (code, reply)."""

    attempts: int
    refused: Mapping[str, tuple[int, str]] = field(default_factory=dict)


class _Temporary(Exception):
    """A failure worth another attempt; carries the human-readable reason."""


def send_message(
    message: bytes,
    settings: SmtpConfig,
    *,
    sender: str,
    recipients: Sequence[str],
    environ: Mapping[str, str] | None = None,
    ssl_context: ssl.SSLContext | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """Send ``message`` (already serialised) to ``recipients``; retry temporary failures.

    ``ssl_context`` defaults to :func:`ssl.create_default_context` (certificate
    and host name verified); tests pass one that trusts their own CA.
    """
    if not recipients:
        raise PermanentNotifyError("no recipients to send the digest to")
    if settings.credentials_in_clear:
        raise PermanentNotifyError(
            f"SMTP {settings.host}: security is none, so the password would be sent in clear; "
            "use starttls or ssl, or set email.smtp.allow_plaintext_auth: true"
        )
    password = _password(settings, os.environ if environ is None else environ)
    context = ssl_context or ssl.create_default_context()
    attempts = settings.retries + 1
    where = f"{settings.host}:{settings.effective_port}"
    reason = ""
    for attempt in range(1, attempts + 1):
        try:
            refused = _attempt(message, settings, sender, recipients, password, context)
        except _Temporary as exc:
            reason = str(exc)
            if attempt < attempts:
                delay = settings.retry_backoff * 2 ** (attempt - 1)
                log.warning(
                    "SMTP %s: %s; retrying in %.1fs (attempt %d of %d)",
                    where, reason, delay, attempt, attempts,
                )  # fmt: skip
                sleep(delay)
            continue
        return Delivery(attempts=attempt, refused=refused)
    raise NotifyError(f"SMTP {where}: {reason} (gave up after {attempts} attempts)")


def _password(settings: SmtpConfig, environ: Mapping[str, str]) -> str | None:
    if not settings.password_env:
        return None
    value = environ.get(settings.password_env)
    if value is None:
        raise PermanentNotifyError(
            f"email.smtp.password_env: environment variable {settings.password_env} is not set"
        )
    return value


def _attempt(
    message: bytes,
    settings: SmtpConfig,
    sender: str,
    recipients: Sequence[str],
    password: str | None,
    context: ssl.SSLContext,
) -> dict[str, tuple[int, str]]:
    connection: smtplib.SMTP | None = None
    try:
        connection = _connect(settings, context)
        if settings.username and password is not None:
            _login(connection, settings.username, password)
        refused = connection.sendmail(sender, list(recipients), message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = {code for code, _ in exc.recipients.values()}
        detail = "; ".join(
            f"{rcpt}: {code} {_text(reply)}" for rcpt, (code, reply) in exc.recipients.items()
        )
        if codes and all(400 <= code < 500 for code in codes):
            raise _Temporary(f"recipients deferred: {detail}") from exc
        raise PermanentNotifyError(f"recipients refused: {detail}") from exc
    except smtplib.SMTPResponseException as exc:
        what = f"{type(exc).__name__} {exc.smtp_code} {_text(exc.smtp_error)}"
        if exc.smtp_code >= 500:
            raise PermanentNotifyError(f"{settings.host}: {what}") from exc
        raise _Temporary(what) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise _Temporary(f"connection closed: {exc}") from exc
    except smtplib.SMTPException as exc:  # e.g. STARTTLS or AUTH not supported
        raise PermanentNotifyError(f"{settings.host}: {exc}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise PermanentNotifyError(
            f"{settings.host}: TLS certificate: {exc.verify_message}"
        ) from exc
    except OSError as exc:  # refused, reset, timed out, name not resolved, TLS handshake
        raise _Temporary(f"{type(exc).__name__}: {exc}") from exc
    finally:
        if connection is not None:
            _close(connection)
    return {rcpt: (code, _text(reply)) for rcpt, (code, reply) in refused.items()}


def _connect(settings: SmtpConfig, context: ssl.SSLContext) -> smtplib.SMTP:
    host, port, timeout = settings.host, settings.effective_port, settings.timeout
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    connection = smtplib.SMTP(host, port, timeout=timeout)
    if settings.security == "starttls":
        try:
            connection.ehlo()
            connection.starttls(context=context)
            connection.ehlo()
        except BaseException:
            _close(connection)
            raise
    return connection


def _login(connection: smtplib.SMTP, username: str, password: str) -> None:
    try:
        connection.login(username, password)
    except UnicodeEncodeError:
        # smtplib encodes AUTH PLAIN/LOGIN credentials as ASCII only.
        raise PermanentNotifyError("the SMTP user name and password must be ASCII") from None


def _close(connection: smtplib.SMTP) -> None:
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        pass  # the outcome is already decided; a failed goodbye changes nothing
    finally:
        connection.close()


def _text(reply: bytes | str) -> str:
    if isinstance(reply, bytes):
        return reply.decode("utf-8", "replace")
    return reply
