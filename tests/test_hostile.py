"""Hostile input and hostile servers: what tracker does when a page, a body or a
server is built to hurt it (issue 11: quadratic parsing, slow drips, numeric
address tricks). How fast is measured by ``bench/hostile.py``, not here: these
tests check that the answers stay right."""

from __future__ import annotations

import pytest

from tracker.textutil import decode_document

# --------------------------------------------------------------------------
# UTF-8 with stray single-byte characters (read as cp1252)

_UNIT = "中文" * 8 + "café "


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ((("中文" * 8 + "caf").encode() + b"\xe9 ") * 500, _UNIT * 500),
        ((("中文" * 10).encode() + b"\x93q\x94") * 300, ("中文" * 10 + "“q”") * 300),
        # An undefined cp1252 byte becomes U+FFFD, a truncated sequence its bytes.
        ("中文中文中文".encode() * 20 + b"\x81\xe4\xb8a", "中文中文中文" * 20 + "\ufffdä¸a"),
        # Runs of bad bytes and bytes that look like encoded surrogates.
        ("中文".encode() * 80 + b"\xed\xa0\x80\xff\xfe", "中文" * 80 + "í\xa0€ÿþ"),
    ],
)
def test_mostly_utf8_keeps_both_halves(body: bytes, text: str) -> None:
    assert decode_document(body, []) == (text, "utf-8")


def test_one_stray_byte_per_character_is_still_read_right() -> None:
    # Every other byte bad: far too many for "mostly UTF-8", so detection decides,
    # but the decoding must still finish and be a single-byte reading.
    body = b"a\xe9" * 20_000
    text, encoding = decode_document(body, [])
    assert encoding != "utf-8"
    assert len(text) == len(body)
