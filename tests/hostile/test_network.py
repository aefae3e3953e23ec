"""Hostile network: a misbehaving server on 127.0.0.1 (tests/hostile/netserver.py), each case
run through the whole path (subscribe, refresh, store, show, TUI) by the harness.

Every case: no traceback, one error line naming the feed and the reason, the good neighbour
(on the same loopback host) still refreshes, earlier data unchanged, and the refresh ends
within REFRESH_BOUND_S (timeouts are set small in the case's config.toml). The bombs also keep
the fetch's memory under MEMORY_BOUND (measured with tracemalloc on the fetcher alone).
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.fetch import Fetcher
from reader.locations import Paths
from tests.conftest import FeedServer, rss
from tests.hostile.harness import Case, Outcome, cli, run_case
from tests.hostile.netserver import HostileServer, Request, send

CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 1
FEED_TIMEOUT_S = 4
CAP_MB = 2
CONFIG = f"""\
[refresh]
connect_timeout = {CONNECT_TIMEOUT_S}
read_timeout = {READ_TIMEOUT_S}
feed_timeout = {FEED_TIMEOUT_S}
max_download_mb = {CAP_MB}
"""
REFRESH_BOUND_S = 15
"""The hostile refresh (two feeds) must end within this, whatever the server does."""
MEMORY_BOUND = 4 * CAP_MB * 1024 * 1024
"""Peak memory of one bomb fetch (tracemalloc): a few times the cap, never the bomb."""
FEED = rss("Hostile", [("h1", "Hostile one"), ("h2", "Hostile two")])
PASSWD_MARK = "root:x:0:0"


@pytest.fixture
def net(paths: Paths, server: FeedServer) -> Iterator[HostileServer]:
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(CONFIG)
    with HostileServer(server) as hostile:
        yield hostile


def path_of(case_id: str) -> str:
    return f"/hostile/{case_id}.xml"  # as the harness names it (ids here are slugs)


def run(tmp_path: Path, net: HostileServer, case_id: str, behaviour, *, tui: bool = True
        ) -> Outcome:
    net.behave(path_of(case_id), behaviour)
    started = time.monotonic()
    outcome = run_case(tmp_path, net.proxy, Case(case_id, body=b""), tui=tui)
    outcome.refresh_seconds = time.monotonic() - started  # type: ignore[attr-defined]
    assert outcome.refresh_seconds < REFRESH_BOUND_S + 10, outcome.refresh_seconds
    if tui:
        outcome.check_common()
    return outcome


# -- behaviours ------------------------------------------------------------------------------
async def silent(request: Request, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(3600)  # accepts, reads the request, never answers


async def slow_loris(request: Request, writer: asyncio.StreamWriter) -> None:
    """Headers at once, then one byte every 0.3 s: each read is well inside the read timeout."""
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Content-Length: 100000\r\n\r\n")
    await writer.drain()
    for byte in FEED * 100:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.3)


async def closed_mid_body(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(FEED) + FEED[:len(FEED) // 2])
    await writer.drain()
    writer.close()


async def length_too_long(request: Request, writer: asyncio.StreamWriter) -> None:
    await send(writer, 200, FEED, length=len(FEED) + 500)
    writer.close()


async def length_too_short(request: Request, writer: asyncio.StreamWriter) -> None:
    await send(writer, 200, FEED + b"<!-- TRAILING-GARBAGE -->", length=len(FEED))


async def two_gigabytes(request: Request, writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                 b"Content-Length: 2147483648\r\n\r\n")
    await writer.drain()
    chunk = b"x" * 65536
    for _ in range(2147483648 // len(chunk)):  # it would send it all if asked to
        writer.write(chunk)
        await writer.drain()


_BOMB_SIZE = 64 * 1024 * 1024  # inflated: 32 times the cap
_GZIP_BOMB = gzip.compress(b"\0" * _BOMB_SIZE, 9)
_DEFLATE_BOMB = zlib.compress(b"<" * _BOMB_SIZE, 9)


def encoded(body: bytes, encoding: str):
    async def behaviour(request: Request, writer: asyncio.StreamWriter) -> None:
        await send(writer, 200, body, {"Content-Encoding": encoding})
    return behaviour


def redirect(location: str, status: int = 302):
    async def behaviour(request: Request, writer: asyncio.StreamWriter) -> None:
        await send(writer, status, b"", {"Location": location})
    return behaviour


def answer(status: int, body: bytes = b"", **headers: str):
    async def behaviour(request: Request, writer: asyncio.StreamWriter) -> None:
        await send(writer, status, body, {k.replace("_", "-"): v for k, v in headers.items()})
    return behaviour


def failed(o: Outcome, *reasons: str) -> None:
    o.check_failed(*reasons)
    assert o.feed is not None and any(r.lower() in o.feed.last_error.lower() for r in reasons)


# -- cases -----------------------------------------------------------------------------------
def test_no_answer_at_all_times_out(tmp_path: Path, net: HostileServer) -> None:
    o = run(tmp_path, net, "silent", silent)
    failed(o, "timed out")
    assert o.refresh_seconds < REFRESH_BOUND_S


def test_one_byte_at_a_time_gives_up_at_the_feed_deadline(tmp_path: Path,
                                                          net: HostileServer) -> None:
    """Every read comes well inside read_timeout: only the whole-fetch deadline stops it."""
    o = run(tmp_path, net, "slow-loris", slow_loris)
    failed(o, f"gave up after {FEED_TIMEOUT_S} s")
    assert o.refresh_seconds < REFRESH_BOUND_S


def test_connection_closed_mid_body(tmp_path: Path, net: HostileServer) -> None:
    failed(run(tmp_path, net, "mid-body", closed_mid_body), "broke the HTTP protocol",
           "incomplete", "closed")


def test_content_length_longer_than_the_body(tmp_path: Path, net: HostileServer) -> None:
    failed(run(tmp_path, net, "length-long", length_too_long), "broke the HTTP protocol",
           "incomplete", "closed")


def test_content_length_shorter_than_the_body(tmp_path: Path, net: HostileServer) -> None:
    o = run(tmp_path, net, "length-short", length_too_short)
    # Exactly Content-Length bytes are read: the feed is whole, the extra bytes are dropped.
    assert [a.title for a in o.articles] == ["Hostile one", "Hostile two"]
    assert "TRAILING-GARBAGE" not in o.everything()


def test_two_gigabyte_content_length_refused_before_reading(tmp_path: Path,
                                                            net: HostileServer) -> None:
    o = run(tmp_path, net, "two-gb", two_gigabytes)
    failed(o, f"larger than the {CAP_MB} MB cap")
    assert o.refresh_seconds < REFRESH_BOUND_S


@pytest.mark.parametrize("case_id", ["gzip-bomb", "deflate-bomb"])
def test_compression_bombs_stop_at_the_cap(tmp_path: Path, net: HostileServer,
                                           case_id: str) -> None:
    body, encoding = {"gzip-bomb": (_GZIP_BOMB, "gzip"),
                      "deflate-bomb": (_DEFLATE_BOMB, "deflate")}[case_id]
    assert len(body) < 200_000  # small compressed...
    o = run(tmp_path, net, case_id, encoded(body, encoding))
    failed(o, f"larger than the {CAP_MB} MB cap")
    # ...and the fetch itself never holds much more than the cap.
    peak = _fetch_peak(net.url(path_of(case_id)))
    assert peak < MEMORY_BOUND, peak


def _fetch_peak(url: str) -> int:
    async def fetch() -> str:
        async with Fetcher(max_bytes=CAP_MB * 1024 * 1024) as fetcher:
            return (await fetcher.fetch(url)).error

    tracemalloc.start()
    try:
        error = asyncio.run(fetch())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "cap" in error, error
    return peak


def test_corrupt_gzip(tmp_path: Path, net: HostileServer) -> None:
    body = gzip.compress(FEED)
    body = body[:20] + bytes(b ^ 0x55 for b in body[20:60]) + body[60:]
    failed(run(tmp_path, net, "corrupt-gzip", encoded(body, "gzip")), "corrupt compressed")


def test_gzip_that_ends_early(tmp_path: Path, net: HostileServer) -> None:
    body = gzip.compress(FEED)[:-30]
    o = run(tmp_path, net, "short-gzip", encoded(body, "gzip"))
    failed(o, "corrupt compressed", "truncated", "not a feed", "incomplete")


# -- redirects -------------------------------------------------------------------------------
def test_redirect_loop_between_two_urls(tmp_path: Path, net: HostileServer) -> None:
    net.behave("/hostile/loop-b.xml", redirect(net.url(path_of("loop-a"))))
    failed(run(tmp_path, net, "loop-a", redirect(net.url("/hostile/loop-b.xml"))),
           "too many redirects")


def test_redirect_to_itself(tmp_path: Path, net: HostileServer) -> None:
    failed(run(tmp_path, net, "self", redirect(path_of("self"), 301)), "too many redirects")


def test_thirty_hop_redirect_chain(tmp_path: Path, net: HostileServer) -> None:
    for hop in range(1, 30):
        net.behave(f"/hostile/hop{hop}.xml", redirect(f"/hostile/hop{hop + 1}.xml"))
    net.behave("/hostile/hop30.xml", answer(200, FEED))
    o = run(tmp_path, net, "hop0", redirect("/hostile/hop1.xml"))
    failed(o, "too many redirects")
    assert net.hits("/hostile/hop30.xml") == 0


@pytest.mark.parametrize("case_id, location, reason", [
    ("to-file", "file:///etc/passwd", "redirected to a file: URL, which is never followed"),
    ("to-file-upper", "FILE:///etc/passwd", "a file: URL"),
    ("to-file-bare", "file:/etc/passwd", "a file: URL"),
    ("to-file-spaced", "  file:///etc/passwd", "a file: URL"),
    ("to-ftp", "ftp://127.0.0.1/etc/passwd", "a ftp: URL"),
    ("to-javascript", "javascript:alert(document.cookie)", "a javascript: URL"),
    ("to-data", "data:application/rss+xml;base64,"
                + __import__("base64").b64encode(FEED).decode(), "a data: URL"),
    ("to-relative-trick", "/../../../../etc/passwd", "HTTP 404"),  # stays on the server
    ("to-scheme-relative", "//127.0.0.1:1/etc/passwd", "cannot connect"),
])
def test_redirect_to_another_scheme_is_never_followed(tmp_path: Path, net: HostileServer,
                                                      case_id: str, location: str,
                                                      reason: str) -> None:
    assert Path("/etc/passwd").read_text().startswith(PASSWD_MARK)  # the check can fail
    o = run(tmp_path, net, case_id, redirect(location, 301))
    failed(o, reason)
    assert PASSWD_MARK not in o.everything()
    assert not o.articles
    feeds = json.loads(cli(o, "feeds", "--json").out)
    assert o.url in [f["url"] for f in feeds]  # a 301 to elsewhere did not move the feed
