"""Decompressing an HTTP body chunk by chunk with a bound on what it inflates to: a small
gzip bomb cannot grow past the cap (httpx's own decoder inflates each chunk in full)."""

from __future__ import annotations

import zlib

__all__ = ["Inflater", "TooLarge"]


class TooLarge(Exception):
    """The body grew past the cap."""


class Inflater:
    """Decompresses a Content-Encoding stream, never producing more than `limit` bytes."""

    def __init__(self, encoding: str, limit: int):
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._z = None
        elif encoding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._z = zlib.decompressobj(zlib.MAX_WBITS)
            self._deflate_first = True
        else:
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        self._encoding = encoding

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge
        self.parts.append(data)

    def feed(self, chunk: bytes) -> None:
        if self._z is None:
            self._add(chunk)
            return
        if self._encoding == "deflate" and getattr(self, "_deflate_first", False):
            self._deflate_first = False
            try:  # some servers send raw deflate without the zlib header
                probe = zlib.decompressobj(zlib.MAX_WBITS)
                probe.decompress(chunk[:64], 1)
            except zlib.error:
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        data = chunk
        while data:
            room = self.limit - self.size + 1
            out = self._z.decompress(data, room)
            self._add(out)
            data = self._z.unconsumed_tail
            if self._z.eof:
                break

    def finish(self) -> bytes:
        if self._z is not None and not self._z.eof:
            self._add(self._z.flush())
            if not self._z.eof:  # zlib keeps quiet about a stream cut short: a partial feed
                raise zlib.error("the stream ends early (truncated)")
        return b"".join(self.parts)
