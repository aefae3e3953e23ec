"""Fetching against a real HTTP server on 127.0.0.1 (plus MockTransport for odd cases)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import httpx
import pytest

from reader import __version__
from reader.fetch import Fetcher
from tests.conftest import FeedServer, Route

FEED = b'<rss version="2.0"><channel><title>t</title></channel></rss>'


async def fetch(url: str, **kwargs: object) -> object:
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in ("etag", "last_modified")}
    async with Fetcher(**kwargs) as fetcher:
        return await fetcher.fetch(url, **options)


async def test_ok_sends_user_agent_and_keeps_validators(server: FeedServer) -> None:
    server.routes["/f"] = Route(FEED, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    result = await fetch(server.url("/f"))
    assert result.status == "ok" and result.body == FEED
    assert result.etag == '"v1"' and result.last_modified.startswith("Mon, 01 Jan 2024")
    hit = server.hits_for("/f")[0]
    assert hit.headers["user-agent"].startswith(f"reader-tui/{__version__}")
    assert "if-none-match" not in hit.headers


async def test_conditional_get_gives_304(server: FeedServer) -> None:
    server.routes["/f"] = Route(FEED, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    result = await fetch(server.url("/f"), etag='"v1"',
                         last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert result.status == "not_modified" and result.body == b""
    hit = server.hits_for("/f")[0]
    assert hit.headers["if-none-match"] == '"v1"'
    assert hit.headers["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


async def test_last_modified_alone_gives_304(server: FeedServer) -> None:
    server.routes["/f"] = Route(FEED, last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    result = await fetch(server.url("/f"), last_modified="Tue, 02 Jan 2024 00:00:00 GMT")
    assert result.status == "not_modified"


@pytest.mark.parametrize("code", [301, 308])
async def test_permanent_redirect_is_reported(server: FeedServer, code: int) -> None:
    server.routes["/old"] = Route(status=code, location=server.url("/new"))
    server.routes["/new"] = Route(FEED)
    result = await fetch(server.url("/old"))
    assert result.status == "ok" and result.moved_permanently
    assert result.final_url == server.url("/new")


@pytest.mark.parametrize("code", [302, 307])
async def test_temporary_redirect_is_followed_not_stored(server: FeedServer, code: int) -> None:
    server.routes["/old"] = Route(status=code, location=server.url("/new"))
    server.routes["/new"] = Route(FEED)
    result = await fetch(server.url("/old"))
    assert result.status == "ok" and not result.moved_permanently


async def test_mixed_redirect_chain_is_not_permanent(server: FeedServer) -> None:
    server.routes["/a"] = Route(status=301, location=server.url("/b"))
    server.routes["/b"] = Route(status=302, location=server.url("/c"))
    server.routes["/c"] = Route(FEED)
    result = await fetch(server.url("/a"))
    assert result.status == "ok" and not result.moved_permanently


async def test_redirect_loop_is_a_clear_error(server: FeedServer) -> None:
    server.routes["/a"] = Route(status=302, location=server.url("/b"))
    server.routes["/b"] = Route(status=302, location=server.url("/a"))
    result = await fetch(server.url("/a"))
    assert result.status == "error" and "redirect loop" in result.error


@pytest.mark.parametrize(("code", "words"), [(404, "HTTP 404 Not Found"),
                                             (500, "HTTP 500 Internal Server Error"),
                                             (410, "HTTP 410 Gone: the server says this "
                                                   "feed is gone for good")])
async def test_http_errors(server: FeedServer, code: int, words: str) -> None:
    server.routes["/f"] = Route(b"nope", status=code)
    result = await fetch(server.url("/f"))
    assert result.status == "error" and result.error == words


async def test_read_timeout(server: FeedServer) -> None:
    server.routes["/slow"] = Route(FEED, delay=2.0)
    result = await fetch(server.url("/slow"), read_timeout=0.3)
    assert result.status == "error" and "timed out" in result.error


async def test_connection_refused() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = await fetch(f"http://127.0.0.1:{port}/feed")
    assert result.status == "error" and result.error.startswith("cannot connect")


async def test_gzip_is_decoded(server: FeedServer) -> None:
    server.routes["/gz"] = Route(FEED * 100, gzip=True)
    result = await fetch(server.url("/gz"))
    assert result.status == "ok" and result.body == FEED * 100
    assert "gzip" in server.hits_for("/gz")[0].headers["accept-encoding"]


async def test_gzip_bomb_is_capped_after_decompression(server: FeedServer) -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 200 * 1024
    server.routes["/bomb"] = Route(bomb, gzip=True, headers={"X-Raw": "1"})
    result = await fetch(server.url("/bomb"), max_bytes=1024 * 1024)
    assert result.status == "error" and "larger than the 1 MB cap" in result.error


async def test_plain_body_over_the_cap(server: FeedServer) -> None:
    server.routes["/big"] = Route(b"x" * (2 * 1024 * 1024))
    result = await fetch(server.url("/big"), max_bytes=1024 * 1024)
    assert result.status == "error" and "cap" in result.error


async def test_body_exactly_at_the_cap_is_fine(server: FeedServer) -> None:
    server.routes["/f"] = Route(b"x" * 1000, gzip=True)
    result = await fetch(server.url("/f"), max_bytes=1000)
    assert result.status == "ok" and len(result.body) == 1000


async def test_concurrency_is_bounded(server: FeedServer) -> None:
    import asyncio
    import threading

    active = 0
    peak = 0
    guard = threading.Lock()
    original = server.httpd.RequestHandlerClass.do_GET

    def counting(handler: object) -> None:
        nonlocal active, peak
        with guard:
            active += 1
            peak = max(peak, active)
        try:
            original(handler)
        finally:
            with guard:
                active -= 1

    server.httpd.RequestHandlerClass.do_GET = counting
    for i in range(12):
        server.routes[f"/f{i}"] = Route(FEED, delay=0.1)
    async with Fetcher(concurrency=3) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(server.url(f"/f{i}")) for i in range(12)))
    assert all(r.status == "ok" for r in results)
    assert peak <= 3


async def test_local_files(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    assert (await fetch(str(path))).body == FEED
    assert (await fetch(path.as_uri())).body == FEED
    missing = await fetch(str(tmp_path / "gone.xml"))
    assert missing.status == "error" and "no such file" in missing.error
    big = tmp_path / "big.xml"
    big.write_bytes(b"x" * 2000)
    assert "cap" in (await fetch(str(big), max_bytes=1000)).error


async def test_unsupported_scheme() -> None:
    result = await fetch("ftp://example.com/feed")
    assert result.status == "error" and "unsupported URL scheme" in result.error


def _mock(handler: object) -> httpx.MockTransport:
    return httpx.MockTransport(handler)


async def test_raw_deflate_and_zlib_deflate() -> None:
    body = FEED * 10
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_bytes = raw.compress(body) + raw.flush()
    for payload in (zlib.compress(body), raw_bytes):
        transport = _mock(lambda req, p=payload: httpx.Response(
            200, stream=httpx.ByteStream(p), headers={"Content-Encoding": "deflate"}))
        result = await fetch("https://x.example/f", transport=transport)
        assert result.status == "ok" and result.body == body


async def test_unknown_encoding_and_corrupt_gzip_are_errors() -> None:
    transport = _mock(lambda req: httpx.Response(200, stream=httpx.ByteStream(b"abc"),
                                                 headers={"Content-Encoding": "zstd"}))
    result = await fetch("https://x.example/f", transport=transport)
    assert result.status == "error" and "Content-Encoding" in result.error
    transport = _mock(lambda req: httpx.Response(200, stream=httpx.ByteStream(b"not gzip at all"),
                                                 headers={"Content-Encoding": "gzip"}))
    result = await fetch("https://x.example/f", transport=transport)
    assert result.status == "error" and "corrupt compressed" in result.error


async def test_transport_error_is_reported() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    result = await fetch("https://x.example/f", transport=_mock(boom))
    assert result.status == "error" and "broke the HTTP protocol" in result.error
