"""Where a store lives, as ``open_store`` takes it: a SQLite file's path or a PostgreSQL URL.

Kept apart from ``postgres`` so that naming a location (in errors, ``tracker
status``) needs no database driver.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: object) -> bool:
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redact_url(url: str) -> str:
    """The URL without its password (in the authority or as a ``password`` parameter)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k != "password"], safe="/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def describe(location: Path | str) -> str:
    """The location as shown to people: a path, or a URL without its password."""
    if isinstance(location, str) and is_postgres_url(location):
        return redact_url(location)
    return str(location)
