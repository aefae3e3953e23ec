"""Shared fixtures: isolated XDG folders and a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from reader.locations import Paths

_LOOPBACK = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}
_real_getaddrinfo = socket.getaddrinfo


def _loopback_only(host: object, *args: object, **kwargs: object) -> object:
    name = host.decode() if isinstance(host, bytes) else str(host)
    if name not in _LOOPBACK and not name.startswith("127."):
        raise socket.gaierror(socket.EAI_NONAME, f"tests never touch the internet ({name})")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the internet: names other than loopback do not resolve in-process
    (sample feeds link to real sites; an automatic full-text fetch must not reach them)."""
    monkeypatch.setattr(socket, "getaddrinfo", _loopback_only)


@pytest.fixture
def paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Paths:
    """Config, data and cache under tmp_path, via the XDG variables the app honours."""
    for name in ("CONFIG", "DATA", "CACHE"):
        monkeypatch.setenv(f"XDG_{name}_HOME", str(tmp_path / name.lower()))
    return Paths.from_env()


@dataclass
class Route:
    """What the test server answers for one path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    etag: str = ""
    last_modified: str = ""
    delay: float = 0.0
    gzip: bool = False
    location: str = ""


@dataclass
class Hit:
    """One request the server saw."""

    path: str
    headers: dict[str, str]
    client_port: int = 0
    """The client's port: one per connection (a reused connection keeps its port)."""


class FeedServer:
    """A threaded HTTP server on 127.0.0.1 with routes the test sets up."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: list[Hit] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()},
                                       self.client_address[1]))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {})
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.location:
                    self._send(route.status, b"", {"Location": route.location})
                    return
                inm = self.headers.get("If-None-Match")
                ims = self.headers.get("If-Modified-Since")
                if (route.etag and inm == route.etag) or (
                    route.last_modified and not route.etag and ims == route.last_modified
                ):
                    self._send(304, b"", {"ETag": route.etag} if route.etag else {})
                    return
                headers = dict(route.headers)
                if route.etag:
                    headers["ETag"] = route.etag
                if route.last_modified:
                    headers["Last-Modified"] = route.last_modified
                body = route.body
                if route.gzip:
                    body = gzip.compress(body) if not headers.get("X-Raw") else body
                    headers["Content-Encoding"] = "gzip"
                self._send(route.status, body, headers)

            def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
                try:
                    self.send_response(status)
                    headers.setdefault("Content-Type", "application/rss+xml; charset=utf-8")
                    for key, value in headers.items():
                        if key != "X-Raw":
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if body:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        # A client that hangs up early (a timeout test) is not a server error worth printing.
        self.httpd.handle_error = lambda request, client_address: None
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """Absolute URL of a path on this server."""
        return f"http://127.0.0.1:{self.httpd.server_port}{path}"

    def hits_for(self, path: str) -> list[Hit]:
        return [h for h in self.hits if h.path == path]


@pytest.fixture
def server() -> Iterator[FeedServer]:
    """A live HTTP server on 127.0.0.1, stopped after the test."""
    srv = FeedServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()


def rss(title: str, items: list[tuple[str, str]], *, link: str = "https://example.com/") -> bytes:
    """A small RSS 2.0 feed: items are (guid, title)."""
    parts = [f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
             f"<title>{title}</title><link>{link}</link>"]
    for guid, item_title in items:
        parts.append(
            f"<item><guid>{guid}</guid><title>{item_title}</title>"
            f"<link>https://example.com/{guid}</link>"
            f"<pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate>"
            f"<description>&lt;p&gt;Body of {item_title}&lt;/p&gt;</description></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


@pytest.fixture
def make_rss() -> Callable[..., bytes]:
    return rss


# -- article pages for full-text tests --------------------------------------------------------
PAGES = Path(__file__).parent / "data" / "pages"
HTML = {"Content-Type": "text/html; charset=utf-8"}
AMN_SENTENCE = "Founding Act on Mutual Relations"  # in the AMN-like page's article body


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def summary_feed(server: FeedServer, items: list[tuple[str, str]], *, content: bool = False
                 ) -> bytes:
    """RSS whose items (slug, title) link to /article/<slug> on the server; summary only
    unless `content`."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" '
             'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
             f"<title>Summaries</title><link>{server.url('/')}</link>"]
    for slug, title in items:
        body = f"<content:encoded>&lt;p&gt;Full feed text of {title}&lt;/p&gt;</content:encoded>"
        parts.append(f"<item><guid>{slug}</guid><title>{title}</title>"
                     f"<link>{server.url('/article/' + slug)}</link>"
                     f"<description>Teaser of {title}</description>"
                     + (body if content else "") + "</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode()


@pytest.fixture
def amn_site(server: FeedServer) -> FeedServer:
    """A summary-only feed with two articles whose pages are realistic article pages."""
    server.routes["/feed"] = Route(summary_feed(server, [("amn", "Army advances"),
                                                         ("blog", "A blog post")]))
    server.routes["/article/amn"] = Route(page("amn_wordpress.html"), headers=HTML)
    server.routes["/article/blog"] = Route(page("blog_ghost.html"), headers=HTML)
    return server
