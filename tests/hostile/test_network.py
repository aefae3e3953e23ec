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
MEMORY_BOUND = 8 * CAP_MB * 1024 * 1024
"""Peak memory of one bomb fetch (tracemalloc, client set-up included): a few times the cap,
a quarter of the 64 MB the bomb inflates to (measured: 4-10 MB)."""
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


# -- HTTP errors -----------------------------------------------------------------------------
def feeds_json(o: Outcome) -> dict:
    return {f["url"]: f for f in json.loads(cli(o, "feeds", "--json").out)}


@pytest.mark.parametrize("case_id, status, reason", [
    ("http-401", 401, "HTTP 401 Unauthorized: the feed needs a login (authentication)"),
    ("http-403", 403, "HTTP 403 Forbidden: the server refuses"),
    ("http-404", 404, "HTTP 404 Not Found"),
    ("http-500", 500, "HTTP 500 Internal Server Error"),
    ("http-503", 503, "HTTP 503 Service Unavailable"),
])
def test_http_errors_say_what_the_status_means(tmp_path: Path, net: HostileServer,
                                               case_id: str, status: int, reason: str) -> None:
    o = run(tmp_path, net, case_id, answer(status, b"<html>\x1b[31mno</html>",
                                           Content_Type="text/html"))
    failed(o, reason)
    flags = feeds_json(o)[o.url]
    assert flags["failures"] == 1 and not flags["gone"] and not flags["retry_after"]


def test_gone_is_flagged_in_feeds_and_the_app(tmp_path: Path, net: HostileServer) -> None:
    o = run(tmp_path, net, "http-410", answer(410, b"gone"))
    failed(o, "HTTP 410 Gone: the server says this feed is gone for good")
    flags = feeds_json(o)[o.url]
    assert flags["gone"] is True
    assert flags["flag"] == ("the server says this feed is gone for good; remove it with "
                             f"reader remove {o.url}")
    text = cli(o, "feeds").out
    assert f"GONE: the server says this feed is gone for good; remove it with reader remove " \
           f"{o.url}" in text
    assert any(f"│ GONE {o.url[:12]}" in screen for screen in o.screens), o.screens[0]
    rows = [p for p in _feed_rows(o) if "gone for good (D unsubscribes)" in p]
    assert len(rows) == 1 and rows[0].startswith(f"GONE {o.url}"), rows
    assert not feeds_json(o)[net.proxy.url("/good.xml")]["gone"]


def _feed_rows(o: Outcome) -> list[str]:
    """The TUI feed list's rows as text (the whole row; the screen shows its start)."""
    from reader.library import Library
    from reader.ui.widgets.lists import FeedList

    library = Library(o.paths)
    try:
        feeds, counts = library.feeds(), library.counts()
    finally:
        library.release()
    _views, options = FeedList()._rows(feeds, counts, 0, 0)
    return [option.prompt.plain for option in options]


def test_long_failing_feed_is_flagged(tmp_path: Path, net: HostileServer) -> None:
    from reader.models import FAILING_REFRESHES
    from tests.hostile.harness import _drive_tui

    o = run(tmp_path, net, "always-500", answer(500))
    assert not feeds_json(o)[o.url]["long_failing"]
    for _ in range(FAILING_REFRESHES - 1):
        assert cli(o, "refresh", "--no-full-text", o.url).code == 1
    flags = feeds_json(o)[o.url]
    assert flags["long_failing"] is True and flags["failures"] == FAILING_REFRESHES
    assert flags["failing_since"] and flags["flag"].startswith("failing")
    assert f"FAILING: failing: {FAILING_REFRESHES} refreshes in a row failed" \
        in cli(o, "feeds").out
    o.screens.clear()
    asyncio.run(_drive_tui(o, o.paths))
    assert any(f"│ FAILING {o.url[:12]}" in s for s in o.screens)
    rows = [p for p in _feed_rows(o) if p.startswith("FAILING ")]
    assert rows == [f"FAILING {o.url}  {FAILING_REFRESHES} refreshes in a row failed  "
                    "HTTP 500 Internal Server Error"], rows
    # One success clears it.
    net.behave(path_of("always-500"), answer(200, FEED))
    assert cli(o, "refresh", "--no-full-text", o.url).code == 0
    flags = feeds_json(o)[o.url]
    assert (flags["long_failing"], flags["failures"], flags["failing_since"]) == (False, 0, None)


def test_long_failing_by_days() -> None:
    from reader.models import FAILING_DAYS, Feed

    old = time.time() - (FAILING_DAYS + 1) * 86400
    assert Feed("k", "http://x/", failures=2, failing_since=old).long_failing
    assert "failing for 8 days" in Feed("k", "http://x/", failures=2, failing_since=old).flag
    assert not Feed("k", "http://x/", failures=1, failing_since=old).long_failing
    assert not Feed("k", "http://x/", failures=2, failing_since=time.time()).long_failing


def _http_date(stamp: float) -> str:
    import email.utils

    return email.utils.formatdate(stamp, usegmt=True)


@pytest.mark.parametrize("case_id, status, header, wait_s", [
    ("429-seconds", 429, "3600", 3600),
    ("429-date", 429, "date+7200", 7200),
    ("503-seconds", 503, "120", 120),
    ("429-ten-years", 429, str(10 * 365 * 86400), 24 * 3600),  # capped at a day
])
def test_retry_after_is_honoured(tmp_path: Path, net: HostileServer, case_id: str,
                                 status: int, header: str, wait_s: int) -> None:
    if header.startswith("date+"):
        header = _http_date(time.time() + int(header[5:]))
    path = path_of(case_id)
    o = run(tmp_path, net, case_id, answer(status, b"slow down", Retry_After=header))
    failed(o, "the server asked to wait until")
    retry = feeds_json(o)[o.url]["retry_after"]
    assert retry is not None and abs(retry - (time.time() + wait_s)) < 60, retry
    assert net.hits(path) == 1
    again = cli(o, "refresh", "--no-full-text")
    assert net.hits(path) == 1  # not asked again before the time
    assert again.code == 0, again
    lines = [ln for ln in again.err.splitlines() if o.url in ln]
    assert len(lines) == 1 and lines[0].startswith("waiting: ")
    assert "not refreshed: the server asked to wait until" in lines[0]
    assert "1 waiting" in again.out
    waiting = json.loads(cli(o, "refresh", "--no-full-text", "--json").out)
    assert {f["url"]: f["status"] for f in waiting["feeds"]}[o.url] == "waiting"


@pytest.mark.parametrize("case_id, header", [
    ("429-past", "date-60"), ("429-garbage", "soon, really"), ("429-none", ""),
    ("429-negative", "-5"),
])
def test_bad_or_past_retry_after_does_not_mute_the_feed(tmp_path: Path, net: HostileServer,
                                                        case_id: str, header: str) -> None:
    if header.startswith("date-"):
        header = _http_date(time.time() - int(header[5:]))
    headers = {"Retry_After": header} if header else {}
    o = run(tmp_path, net, case_id, answer(429, b"", **headers), tui=False)
    o.check_failed("HTTP 429 Too Many Requests")
    assert feeds_json(o)[o.url]["retry_after"] is None
    cli(o, "refresh", "--no-full-text")
    assert net.hits(path_of(case_id)) == 2


def test_retry_after_that_has_passed_fetches_again(tmp_path: Path, net: HostileServer) -> None:
    o = run(tmp_path, net, "429-short", answer(429, b"", Retry_After="1"), tui=False)
    o.check_failed("the server asked to wait until")
    net.behave(path_of("429-short"), answer(200, FEED))
    time.sleep(1.2)
    assert cli(o, "refresh", "--no-full-text").code == 0
    assert net.hits(path_of("429-short")) == 2
    assert feeds_json(o)[o.url]["retry_after"] is None


# -- HTML instead of a feed ------------------------------------------------------------------
def page(*links: str) -> bytes:
    head = "".join(f'<link rel="alternate" type="{t}" title="x" href="{h}">' for t, h in links)
    return (f"<!DOCTYPE html><html><head><title>A site</title>{head}</head>"
            "<body><p>Hello</p></body></html>").encode()


def test_html_page_offers_the_feed_it_links_to(tmp_path: Path, net: HostileServer) -> None:
    # The linked feed does not answer (404), so it cannot be subscribed to in its place.
    o = run(tmp_path, net, "page", answer(200, page(
        ("application/rss+xml", "/hostile/missing-feed.xml")), Content_Type="text/html"))
    linked = net.url("/hostile/missing-feed.xml")
    failed(o, f"this is a web page, not a feed; it links to the feed {linked}: subscribe to "
              "that instead")
    assert net.hits("/hostile/missing-feed.xml") == 1  # it was tried


def test_html_page_with_several_feeds_offers_them_all(tmp_path: Path,
                                                      net: HostileServer) -> None:
    o = run(tmp_path, net, "page-many", answer(200, page(
        ("application/atom+xml", "/a.atom"), ("application/feed+json", "https://x.test/j"),
        ("text/css", "/style.css"), ("application/rss+xml", "javascript:alert(1)"),
        ("application/rss+xml", "file:///etc/passwd")), Content_Type="text/html"), tui=False)
    o.check_failed(f"it links to the feeds {net.url('/a.atom')}, https://x.test/j: subscribe "
                   "to one of those instead")
    assert "javascript" not in o.errors and "passwd" not in o.errors


@pytest.mark.parametrize("case_id, content_type", [
    ("page-none", "text/html; charset=utf-8"),
    ("page-as-rss", "application/rss+xml"),  # an HTML page that says it is a feed
])
def test_html_page_without_feeds(tmp_path: Path, net: HostileServer, case_id: str,
                                 content_type: str) -> None:
    o = run(tmp_path, net, case_id, answer(200, page(), Content_Type=content_type))
    failed(o, "this is a web page, not a feed (it links to no feed)")


def test_adding_a_page_subscribes_to_the_feed_it_links_to(paths: Paths,
                                                          net: HostileServer) -> None:
    net.behave("/hostile/site.html", answer(200, page(
        ("application/rss+xml", "/hostile/feed.xml")), Content_Type="text/html"))
    net.behave("/hostile/feed.xml", answer(200, FEED))
    site, feed_url = net.url("/hostile/site.html"), net.url("/hostile/feed.xml")
    o = Outcome(url=site, paths=paths)
    assert cli(o, "add", site).code == 0
    done = cli(o, "refresh", "--no-full-text")
    assert done.code == 0, done
    assert f"is now at {feed_url}" in done.out
    feeds = json.loads(cli(o, "feeds", "--json").out)
    assert [f["url"] for f in feeds] == [feed_url]
    titles = [a["title"] for a in json.loads(cli(o, "articles", "--json").out)]
    assert sorted(titles) == ["Hostile one", "Hostile two"]


def test_a_working_feed_that_turns_into_a_page_is_not_moved(paths: Paths,
                                                            net: HostileServer) -> None:
    net.behave("/hostile/was-feed.xml", answer(200, FEED))
    url = net.url("/hostile/was-feed.xml")
    o = Outcome(url=url, paths=paths)
    assert cli(o, "add", url).code == 0
    assert cli(o, "refresh", "--no-full-text").code == 0
    net.behave("/hostile/was-feed.xml", answer(200, page(
        ("application/rss+xml", "/hostile/elsewhere.xml")), Content_Type="text/html"))
    net.behave("/hostile/elsewhere.xml", answer(200, FEED))
    again = cli(o, "refresh", "--no-full-text")
    assert again.code == 1 and "it links to the feed" in again.err
    assert [f["url"] for f in json.loads(cli(o, "feeds", "--json").out)] == [url]
    assert net.hits("/hostile/elsewhere.xml") == 0
