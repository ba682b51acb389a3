"""Where a store lives, as ``open_store`` takes it: a SQLite file's path or a PostgreSQL URL.

Kept apart from ``postgres`` so that naming a location (in errors, ``tracker
status``) needs no database driver.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its password (in the authority or as a ``password`` parameter).

    A URL too malformed to split (an unclosed IPv6 bracket) still loses the
    password of its authority: it is shown in the very error that rejects it.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return _USERINFO_PASSWORD.sub(r"\1@", _PASSWORD_PARAMETER.sub("", url))
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"], safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_message(message: str, url: str) -> str:
    """An error message about ``url`` without its password: libpq quotes a URI it
    cannot parse whole, password included."""
    return message.replace(url, redact_url(url))


# The password of "scheme://user:password@host" (up to the last "@" of the authority),
# and a "password=" parameter, for a URL that urlsplit rejects.
_USERINFO_PASSWORD = re.compile(r"^([a-z]+://[^:/?#@]*):[^/?#]*@")
_PASSWORD_PARAMETER = re.compile(r"(?<=[?&])password=[^&#]*&?")


def describe(location: Path | str) -> str:
    """The location as shown to people: a path, or a URL without its password."""
    if isinstance(location, str) and is_postgres_url(location):
        return redact_url(location)
    return str(location)
