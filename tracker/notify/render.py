"""The weekly digest's plain-text and HTML bodies, from packaged templates.

:mod:`tracker.notify.compose` decides what the digest says (plain data);
this module only lays it out. The HTML template is autoescaped: every
string that came from a feed reaches the page as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import jinja2
import markupsafe

if TYPE_CHECKING:  # plain data from compose; no runtime dependency
    from tracker.notify.compose import DigestData


@dataclass(frozen=True)
class RenderedDigest:
    data: DigestData
    text: str
    html: str


def render_digest(data: DigestData) -> RenderedDigest:
    """Render the plain-text and HTML bodies of ``data``."""
    env = _environment()
    text = env.get_template("digest.txt").render(d=data)
    html = env.get_template("digest.html").render(d=data)
    return RenderedDigest(data=data, text=text, html=html)


def _line_breaks(text: str) -> markupsafe.Markup:
    """Escape, then turn newlines into ``<br>``: Outlook ignores ``white-space: pre-wrap``."""
    return markupsafe.escape(text).replace("\n", markupsafe.Markup("<br>\n"))


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tracker.notify", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["line_breaks"] = _line_breaks
    return env
