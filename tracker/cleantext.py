"""Text from outside stripped of characters that only do harm when shown.

C0 and C1 control characters (an ANSI clear-screen or OSC-8 hyperlink
sequence reaches a terminal raw otherwise) and the bidi embedding, override
and isolate characters (U+202A–U+202E, U+2066–U+2069, which make a title
read differently from how it is stored) are removed. Tabs, newlines and
carriage returns are kept: they are whitespace, which callers collapse as
they need. Nothing else is changed: no escaping for any output format.
"""

from __future__ import annotations

import re

_UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """``text`` without control and bidi-override characters (whitespace kept)."""
    return _UNSHOWABLE.sub("", text)
