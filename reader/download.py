"""Downloading a large file (a podcast episode) to disk: resumable, never half under its name.

The bytes go to `NAME.<hash of the URL>.part` beside the target and are renamed to NAME only
when complete; a download cut short (a kill, a dropped connection, a full disk) leaves the
`.part`, and the next attempt asks for the rest with an HTTP Range request. No size cap (an
episode is large by nature), but a stall limit: a server that sends nothing for
`stall_seconds`, or less than `MIN_BYTES_PER_WINDOW` in any `WINDOW_SECONDS`, is given up on.
The same network rules as every other fetch: http(s) only, and with `public_only` no hop
(redirects included) may reach this computer or the local network (the Fetcher's guarded,
address-pinned client).
"""

from __future__ import annotations

import errno
import os
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reader.errors import ReaderError
from reader.fetch import (
    PUBLIC_ONLY,
    TRUSTED_ORIGIN,
    RedirectRefused,
    describe_http_error,
    http_error,
)
from reader.textutil import one_line

WINDOW_SECONDS = 60.0
MIN_BYTES_PER_WINDOW = 4096
"""Less than this in a whole window: the download has stalled (a trickling server)."""

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_EXTENSIONS = {"audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/x-m4a": ".m4a",
               "audio/ogg": ".ogg", "audio/opus": ".opus", "audio/aac": ".aac",
               "audio/wav": ".wav", "video/mp4": ".mp4", "video/webm": ".webm",
               "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class DownloadError(ReaderError):
    """A download that did not finish; the message is one line for the user (and says when
    a `.part` was kept for resuming)."""


@dataclass
class DownloadProgress:
    """How far a download is."""

    done: int
    """Bytes on disk (a resumed download counts what it had)."""
    total: int
    """Bytes in all; 0 when the server does not say."""
    resumed_from: int = 0
    """Bytes that were already there when this attempt started."""


ProgressFn = Callable[[DownloadProgress], None]


def file_name(url: str, mime: str = "", fallback: str = "download") -> str:
    """A safe file name for a download: the URL path's last part (decoded), without path
    separators, control characters or a leading dot, at most 120 characters, with an
    extension from the MIME type when it has none; `fallback` when nothing usable is left."""
    try:
        path = urllib.parse.urlsplit(url).path
    except ValueError:
        path = ""
    name = urllib.parse.unquote(path.rstrip("/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("_", one_line(name)).strip(" ._") or fallback
    stem, dot, ext = name.rpartition(".")
    if not dot or not 1 <= len(ext) <= 5:
        stem, ext = name, _EXTENSIONS.get(mime.split(";")[0].strip().lower(), "")[1:]
    stem = stem[:110]
    return f"{stem}.{ext}" if ext else stem


def part_path(target: Path, url: str) -> Path:
    """Where the bytes of `target` from `url` collect until complete: NAME.<url hash>.part,
    so a download resumes only the bytes of the same URL (two episodes both called
    episode.mp3 never mix)."""
    import hashlib

    tag = hashlib.sha1(url.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return target.with_name(f"{target.name}.{tag}.part")


def _disk_error(exc: OSError, part: Path, have: int) -> DownloadError:
    kept = f"; {have:,} bytes kept in {part}: run the download again to resume" if have else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DownloadError(f"the disk is full (writing {part.parent}){kept}")
    return DownloadError(f"cannot write {part}: {exc.strerror or exc}{kept}")


async def download(client: httpx.AsyncClient, url: str, target: Path, *,
                   public_only: bool, trusted_origin: str = "",
                   on_progress: ProgressFn | None = None, stall_seconds: float = 30.0,
                   connect_seconds: float = 10.0) -> Path:
    """Fetch `url` into `target` (resuming its `.part`); returns `target`. DownloadError with
    one line when it does not finish. `client`: the Fetcher's (guarded) client."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DownloadError(f"not downloaded: only http and https ({one_line(url)[:80]})")
    part = part_path(target, url)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        have = part.stat().st_size if part.is_file() else 0
    except OSError as exc:
        raise _disk_error(exc, part, 0) from None
    headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    extensions: dict[str, Any] = {PUBLIC_ONLY: True, TRUSTED_ORIGIN: trusted_origin} \
        if public_only else {}
    timeout = httpx.Timeout(connect=connect_seconds, read=stall_seconds,
                            write=stall_seconds, pool=None)
    try:
        async with client.stream("GET", url, headers=headers, extensions=extensions,
                                 timeout=timeout) as response:
            total = await _write_body(response, part, have, on_progress)
    except DownloadError:
        raise
    except (httpx.HTTPError, httpx.InvalidURL, RedirectRefused, ValueError) as exc:
        have = part.stat().st_size if part.is_file() else 0
        kept = f"; {have:,} bytes kept: run the download again to resume" if have else ""
        why = "the connection ended early" if isinstance(exc, httpx.RemoteProtocolError) \
            and "closed" in str(exc) else describe_http_error(exc)
        raise DownloadError(f"download failed: {why}{kept}") from None
    size = part.stat().st_size
    if total and size != total:
        raise DownloadError(f"the connection ended early: {size:,} of {total:,} bytes; run "
                            "the download again to resume")
    try:
        os.replace(part, target)
    except OSError as exc:
        raise _disk_error(exc, part, size) from None
    return target


async def _write_body(response: httpx.Response, part: Path, have: int,
                      on_progress: ProgressFn | None) -> int:
    """Append (206 from `have`) or write anew (200) the body to `part`; returns the total
    size the server gave (0 when unknown)."""
    status = response.status_code
    total = 0
    if status == 416 and have:  # nothing after `have`: the .part may be complete already
        size = response.headers.get("Content-Range", "").rpartition("/")[2].strip()
        if size.isdigit() and int(size) == have:
            return have
        part.unlink(missing_ok=True)
        raise DownloadError("the server refused to resume (HTTP 416); the partial file was "
                            "removed: run the download again to start over")
    if status >= 400 or status < 200:
        raise DownloadError(f"download failed: {http_error(status, 0)}")
    start = 0
    if status == 206:
        match = _CONTENT_RANGE.search(response.headers.get("Content-Range", ""))
        if not match:
            raise DownloadError("download failed: the server sent a part without saying "
                                "which (no Content-Range)")
        start = int(match.group(1))
        total = int(match.group(3)) if match.group(3).isdigit() else 0
        if start != have:
            raise DownloadError(f"download failed: asked for the bytes from {have:,}, the "
                                f"server sent them from {start:,}")
    else:  # 200: the whole file (a server without ranges): start over
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else 0
    encoding = response.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in ("", "identity"):
        raise DownloadError(f"download failed: the server compressed the file "
                            f"({one_line(encoding)[:20]}) though asked not to")
    done = start
    window_start, window_bytes = time.monotonic(), 0
    try:
        with open(part, "ab" if start else "wb") as out:
            if on_progress is not None:
                on_progress(DownloadProgress(done, total, start))
            async for chunk in response.aiter_raw():  # as it comes: nothing held back
                out.write(chunk)
                done += len(chunk)
                window_bytes += len(chunk)
                now = time.monotonic()
                if now - window_start >= WINDOW_SECONDS:
                    if window_bytes < MIN_BYTES_PER_WINDOW:
                        raise DownloadError(
                            f"gave up: less than {MIN_BYTES_PER_WINDOW} bytes in "
                            f"{WINDOW_SECONDS:g} s (the server stalls); {done:,} bytes kept: "
                            "run the download again to resume")
                    window_start, window_bytes = now, 0
                if on_progress is not None:
                    on_progress(DownloadProgress(done, total, start))
    except OSError as exc:
        raise _disk_error(exc, part, done) from None
    return total
