"""Incremental gzip/deflate decoding that never yields more than asked.

A compressed body is capped by what it inflates to, not by what came over the
wire: a few kilobytes of gzip can expand to gigabytes. The fetcher asks for
at most the bytes left under its cap each time, so a bomb stops at the cap.
"""

from __future__ import annotations

import zlib


class Inflater:
    """Incremental gzip/deflate decoding that never yields more than asked."""

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        # "deflate" is zlib-wrapped by the standard but raw in the wild.
        self._raw_fallback = not self._gzip
        self._z = zlib.decompressobj(47 if self._gzip else 15)
        self._started = False

    def decompress(self, data: bytes, limit: int) -> bytes:
        try:
            out = self._z.decompress(data, limit)
        except zlib.error:
            if not (self._raw_fallback and not self._started):
                raise
            self._z = zlib.decompressobj(-15)
            out = self._z.decompress(data, limit)
        self._started = True
        # Concatenated gzip members are legal; decode them all.
        while self._gzip and self._z.eof and self._z.unused_data and len(out) < limit:
            rest = self._z.unused_data
            self._z = zlib.decompressobj(47)
            out += self._z.decompress(rest, limit - len(out))
        return out

    def flush(self) -> bytes:
        return self._z.flush()
