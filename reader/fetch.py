"""Async HTTP for feeds: one shared client, bounded concurrency, conditional GET, size caps.

Responses are read raw and decompressed here, chunk by chunk with a bound, so a small gzip
bomb cannot inflate past the cap (httpx's own decoder inflates each chunk in full).
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import os
import re
import stat
import threading
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx

from reader import DISTRIBUTION, __version__
from reader.httptime import parse_retry_after
from reader.inflate import Inflater, TooLarge
from reader.textutil import when_text

USER_AGENT = (f"{DISTRIBUTION}/{__version__} (terminal feed reader; "
              f"+https://pypi.org/project/{DISTRIBUTION}/)")
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_PERMANENT = {301, 308}
PUBLIC_ONLY = "reader.public_only"
"""Request extension: refuse any hop into this computer or the local network (but to
TRUSTED_ORIGIN)."""
TRUSTED_ORIGIN = "reader.trusted_origin"
"""Request extension: host:port (`origin_of`) of the URL the user subscribed to, which may
resolve anywhere: the user chose it. Every other hop of a PUBLIC_ONLY request is guarded."""
_freshness = lambda r: {k: v[:200] for k, v in r.headers.items() if k in _FRESH}  # noqa: E731
_FRESH = ("cache-control", "expires", "date")
_STATUS_WORDS = {401: "the feed needs a login (authentication)",
                 403: "the server refuses to give this feed",
                 410: "the server says this feed is gone for good",
                 503: "the server is unavailable for now"}


def http_error(status: int, retry_after: float) -> str:
    """Words for an HTTP error status (the server's reason phrase is not trusted)."""
    import http

    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    text = f"HTTP {status} {phrase}".strip()
    words = _STATUS_WORDS.get(status, "")
    if words:
        text += f": {words}"
    if retry_after:
        text += f"; the server asked to wait until {when_text(retry_after)}"
    return text


@dataclass
class FetchResult:
    """The outcome of fetching one feed."""

    url: str
    """The URL asked for."""
    status: str
    """"ok", "not_modified" or "error"."""
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    final_url: str = ""
    """Where the content came from after redirects."""
    moved_permanently: bool = False
    """True when every redirect on the way was permanent (301/308): store final_url."""
    error: str = ""
    """Why it failed, in words for the user (HTTP status or reason)."""
    network_down: bool = False
    """The failure looks like no network at all (cannot connect, DNS, timeout), as opposed
    to a server that answered badly; a refresh where every feed says so means "offline"."""
    http_status: int = 0
    """The final HTTP status, when the server answered."""
    retry_after: float = 0.0
    """Epoch seconds before which the server asked not to be asked again (429/503
    Retry-After, capped at httptime.MAX_RETRY_AFTER_S); 0 when it did not ask."""
    freshness: dict[str, str] = field(default_factory=dict)
    """The answer's cache-control, expires and date headers (read by core.schedule)."""


class RedirectRefused(ValueError):
    """A request the reader will not make: a redirect to something other than http or https,
    or a page for an internet feed that would reach the local network; the message says why."""


_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".lan", ".home.arpa",
                   ".intranet", ".corp", ".home")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_private_url(url: str) -> bool:
    """True for a URL naming this computer or a private network by address (any spelling the
    system accepts: 127.1, 2130706433, 0x7f000001, 0177.0.0.1, [::ffff:127.0.0.1], 6to4 ...)
    or by a name that only means a local machine (localhost, *.local, a name without a dot).
    Other names are not looked up here: what they resolve to is checked when connecting."""
    try:
        host = urllib.parse.urlsplit(url).hostname or ""
    except ValueError:
        return False
    return is_private_host(host)


def is_private_host(host: str) -> bool:
    """`is_private_url` for a bare host name or address (IPv6 without brackets)."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return False
    names = {host}
    try:  # IDNA folds what the resolver would (full-width letters, digits and dots)
        names.add(host.encode("idna").decode("ascii").rstrip(".").lower())
    except UnicodeError:
        pass
    for name in names:
        if name in _LOCAL_NAMES or name.endswith(_LOCAL_SUFFIXES):
            return True
        if "." not in name and ":" not in name and not name.isdigit() \
                and not name.startswith("0x"):
            return True  # a single label: the local search domain (http://nas/, http://router/)
        address = _address_of(name)
        if address is not None and not is_public_address(address):
            return True
    return False


def _address_of(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host written as one stands for, as the system reads it (inet_aton
    also takes 127.1, 2130706433, 0x7f.1, 0177.0.0.1), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host) and not host.endswith(".") and ".." not in host:
        import socket

        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public_address(address: str | ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True only for a globally routable unicast address (`ipaddress` is_global), judged by the
    IPv4 address inside an IPv4-mapped, IPv4-compatible, 6to4, NAT64 or Teredo address:
    anything else (loopback, private, link-local, CGNAT 100.64.0.0/10 with cloud metadata at
    100.100.100.200, 192.0.0.0/24, documentation, multicast ...) is local."""
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return False
    if address.is_multicast:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        inner: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address in _V4_COMPATIBLE:
            return False  # ::a.b.c.d is deprecated; nothing public hides there
        if address.sixtofour is not None:
            inner.append(address.sixtofour)
        if address in _NAT64:
            inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        if address.teredo is not None:
            inner.extend(address.teredo)
        if any(not is_public_address(v4) for v4 in inner):
            return False
    return address.is_global


async def resolve_public(host: str, port: int) -> list[str]:
    """The addresses of `host`, resolved once, every one of them public; RedirectRefused when
    any is on this computer or the local network (a name may hide a private address among
    public ones), httpx.ConnectError when the name does not resolve."""
    import socket

    literal = _address_of(host.strip("[]").lower())
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(
                host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc.strerror or exc}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses or not all(is_public_address(a) for a in addresses) \
            or is_private_host(host):
        raise RedirectRefused(f"{host} is an address on this computer or the local network; "
                              "pages there are fetched only for feeds from there")
    return addresses


def is_trusted_source(url: str) -> bool:
    """True for a subscription the user made to this computer or the local network (a file, or
    a URL naming a local address or name): only such a feed's pages, redirects and linked feeds
    may reach there. Decided from the URL as the user subscribed it, never from where the feed
    later points."""
    return is_local(url) or is_private_url(url)


def origin_of(url: str | httpx.URL) -> str:
    """host:port of a URL (the scheme's default port filled in), "" when it has none."""
    try:
        parsed = httpx.URL(str(url))
    except (httpx.InvalidURL, ValueError, TypeError):
        return ""
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme, 0)
    return f"{parsed.host.rstrip('.').lower()}:{port}" if parsed.host else ""


def _guarded_hop(request: httpx.Request) -> bool:
    """True when this request (one hop) may only reach public addresses: PUBLIC_ONLY is set and
    it does not go to the host the user subscribed to (TRUSTED_ORIGIN), on its port or the
    web's own (an http -> https upgrade of an intranet feed still works; another port of a
    host whose name now points at this computer does not)."""
    if not request.extensions.get(PUBLIC_ONLY):
        return False
    trusted = request.extensions.get(TRUSTED_ORIGIN, "")
    hop = origin_of(request.url)
    if not trusted or not hop:
        return True
    host, port = hop.rsplit(":", 1)
    return host != trusted.rsplit(":", 1)[0] or (hop != trusted and port not in ("80", "443"))


async def _check_address(request: httpx.Request) -> None:
    """Request hook (every hop): a request for a feed from the internet must not name this
    computer or the local network (the address it resolves to is checked by the transport,
    which connects to the very address it checked)."""
    if _guarded_hop(request) and is_private_url(str(request.url)):
        raise RedirectRefused("redirected into this computer or the local network, which is "
                              "never followed for a feed or page from the internet")


async def _check_redirect(response: httpx.Response) -> None:
    """Response hook: a redirect is followed only to http and https (never file:, data:,
    javascript:, ftp: ...), whatever httpx would make of the Location."""
    if not response.is_redirect:
        return
    location = response.headers.get("Location", "").strip()
    try:
        target = urllib.parse.urljoin(str(response.url), location)
        scheme = urllib.parse.urlsplit(target).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in ("http", "https"):
        what = f"a {scheme}: URL" if scheme else "an invalid URL"
        raise RedirectRefused(f"redirected to {what}, which is never followed "
                              "(only http and https)")


_PINNED: contextvars.ContextVar[tuple[str, list[str]]] = contextvars.ContextVar(
    "reader_pinned_addresses", default=("", []))
"""The host a guarded request is connecting to and the public addresses checked for it."""


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects only to the addresses checked for the request (`_PINNED`), never resolving the
    name again (DNS rebinding: a second answer could name this computer). TLS still verifies
    the name and sends it as SNI: httpcore passes the origin's host to start_tls."""

    def __init__(self) -> None:
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        pinned_host, addresses = _PINNED.get()
        if pinned_host != host or not addresses:
            raise RedirectRefused(f"{host}: not connecting to an address that was not checked")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address,
                                                      socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        raise RedirectRefused("unix sockets are never used")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardTransport(httpx.AsyncBaseTransport):
    """Sends a guarded hop (`_guarded_hop`) through its own pool, after resolving its host once
    and checking every address is public, pinned to those addresses; other hops through the
    plain pool. Two pools, so a connection opened for a local feed is never reused by a
    request that must stay on the internet."""

    def __init__(self, plain: httpx.AsyncBaseTransport, guarded: httpx.AsyncBaseTransport,
                 pinned: bool = True):
        self._plain = plain
        self._guarded = guarded
        self._pinned = pinned
        """False for a transport given by the caller (tests): it connects (or not) on its own,
        so a name that does not resolve here is its business."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not _guarded_hop(request):
            return await self._plain.handle_async_request(request)
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        try:
            addresses = await resolve_public(host, port)
        except httpx.ConnectError:
            if self._pinned:
                raise
            addresses = []
        token = _PINNED.set((host, addresses))
        try:
            return await self._guarded.handle_async_request(request)
        finally:
            _PINNED.reset(token)

    async def aclose(self) -> None:
        await self._plain.aclose()
        if self._guarded is not self._plain:
            await self._guarded.aclose()


def _http_transport(limits: httpx.Limits, pinned: bool) -> httpx.AsyncHTTPTransport:
    transport = httpx.AsyncHTTPTransport(limits=limits, trust_env=False)
    if pinned:  # httpx takes no network backend; its pool (httpcore) does
        pool = transport._pool
        if not hasattr(pool, "_network_backend"):
            raise RuntimeError("this httpcore cannot pin addresses (no _network_backend)")
        pool._network_backend = _PinnedBackend()
    return transport


def is_local(url: str) -> bool:
    """True for file:// URLs and plain paths."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    return scheme == "file" or scheme == "" or (len(scheme) == 1 and url[1:3] in (":\\", ":/"))


def local_path(url: str) -> Path:
    """The filesystem path of a file:// URL or plain path."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() == "file":
        return Path(urllib.request.url2pathname(parts.path))
    return Path(url).expanduser()


def _tls_failure(exc: BaseException) -> BaseException | None:
    """The TLS error (a certificate not valid for the name ...) behind a connect error."""
    import ssl

    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None or isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def is_network_down(exc: Exception) -> bool:
    """True for failures that say nothing answered: refused, DNS, unreachable, timeouts (a
    server that answered with a certificate that is not valid did answer)."""
    if isinstance(exc, httpx.ConnectError) and _tls_failure(exc) is not None:
        return False
    return isinstance(exc, (httpx.ConnectError, httpx.TimeoutException))


def describe_http_error(exc: Exception) -> str:
    """Words for the user about a transport failure."""
    if isinstance(exc, RedirectRefused):
        return str(exc)
    if isinstance(exc, zlib.error):
        return f"corrupt compressed response: {exc}"
    if isinstance(exc, httpx.TooManyRedirects):
        return "too many redirects (a redirect loop?)"
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out while connecting"
    if isinstance(exc, httpx.ReadTimeout):
        return "timed out while reading the response"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        tls = _tls_failure(exc)
        if tls is not None:
            return f"secure connection failed: {getattr(tls, 'verify_message', '') or tls}"
        reason = str(exc) or "connection failed"
        return f"cannot connect: {reason}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol: {exc}"
    if isinstance(exc, httpx.DecodingError):
        return f"cannot decode the response: {exc}"
    if isinstance(exc, httpx.UnsupportedProtocol):
        return "unsupported URL (only http, https and local files)"
    if isinstance(exc, httpx.InvalidURL):
        return f"invalid URL: {exc}"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read what is left of an answer we do not use (304, an error page), up to `limit`, so
    its connection carries the next request (an unread one is closed: a warm refresh of 200
    feeds opened 200 connections where the cold one used 16)."""
    seen = 0
    try:
        async for chunk in response.aiter_raw():
            seen += len(chunk)
            if seen > limit:
                return
    except (httpx.HTTPError, OSError):
        pass  # the answer (304, the error) stands; only its connection is dropped


class Fetcher:
    """Fetches many feeds over one shared AsyncClient, at most `concurrency` at once."""

    def __init__(
        self,
        *,
        concurrency: int = 16,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        feed_timeout: float = 120.0,
        max_bytes: int = 20 * 1024 * 1024,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self.max_bytes = max_bytes
        self.feed_timeout = feed_timeout
        """Seconds for one whole fetch, redirects and body included: a server that sends one
        byte at a time keeps every read under `read_timeout` but never gets past this."""
        self._semaphore = asyncio.Semaphore(concurrency)
        timeout = httpx.Timeout(connect=connect_timeout, read=read_timeout, write=read_timeout,
                                pool=None)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        if transport is None:
            guard = _GuardTransport(_http_transport(limits, pinned=False),
                                    _http_transport(limits, pinned=True))
        else:
            guard = _GuardTransport(transport, transport, pinned=False)
        self.client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=10,
            timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT,
                     "Accept-Encoding": "gzip, deflate"},
            transport=guard,
            trust_env=False,
            event_hooks={"request": [_check_address], "response": [_check_redirect]},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def fetch(self, url: str, etag: str = "", last_modified: str = "", *,
                    subscribed: str = "") -> FetchResult:
        """Fetch one feed; never raises for network or HTTP trouble (see `error`).
        `subscribed`: the URL the user subscribed to, when not `url` (the feed moved): unless
        it is on this computer or the local network (`is_trusted_source`), no redirect, and
        no request but to the subscribed origin, may reach there."""
        subscribed = subscribed or url
        trusted = is_trusted_source(subscribed)
        async with self._semaphore:
            if is_local(url):
                if not is_local(subscribed):
                    return FetchResult(url, "error", error="a feed from the internet never "
                                                           "reads a local file")
                return await self._read_local(url)
            return await self._guarded(url, etag, last_modified, ACCEPT, not trusted,
                                       "" if trusted else origin_of(subscribed))

    async def fetch_page(self, url: str, *, public_only: bool = False) -> FetchResult:
        """Fetch an article's web page (http and https only, as every request here: a feed's
        link to a local file is never read). Same caps and errors as `fetch`. `public_only`:
        no request, redirects included, may reach this computer or the local network."""
        async with self._semaphore:
            return await self._guarded(url, "", "", PAGE_ACCEPT, public_only)

    async def _guarded(self, url: str, etag: str, last_modified: str, accept: str,
                       public_only: bool = False, trusted_origin: str = "") -> FetchResult:
        try:
            async with asyncio.timeout(self.feed_timeout or None):
                return await self._fetch_http(url, etag, last_modified, accept, public_only,
                                              trusted_origin)
        except TimeoutError:
            return FetchResult(url, "error", error=f"gave up after {self.feed_timeout:g} s: the "
                                                   "server answers too slowly")
        except TooLarge:
            return self._too_large(url)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, OSError, zlib.error) as exc:
            return FetchResult(url, "error", error=describe_http_error(exc),
                               network_down=is_network_down(exc))

    def _too_large(self, url: str) -> FetchResult:
        cap = self.max_bytes / (1024 * 1024)
        return FetchResult(url, "error", error=f"larger than the {cap:g} MB cap")

    async def _read_local(self, url: str) -> FetchResult:
        """A local feed file, read in a daemon thread under the same deadline as a fetch: a
        hung mount cannot hold the refresh, nor keep the process alive after it."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[FetchResult] = loop.create_future()

        def work() -> None:
            try:
                result = self._read_file(url)
            except Exception as exc:  # noqa: BLE001 - handed to the waiting refresh
                result = FetchResult(url, "error", error=f"cannot read: {exc}")
            try:
                loop.call_soon_threadsafe(lambda: done.done() or done.set_result(result))
            except RuntimeError:  # the refresh gave up on this read and its loop has ended
                pass

        threading.Thread(target=work, name="reader-local-feed", daemon=True).start()
        try:
            async with asyncio.timeout(self.feed_timeout or None):
                return await asyncio.shield(done)
        except TimeoutError:
            return FetchResult(url, "error", error=f"gave up after {self.feed_timeout:g} s: "
                                                   f"reading {local_path(url)} does not finish")

    def _read_file(self, url: str) -> FetchResult:
        """Read a regular file only: a FIFO, a terminal or a device would block or never end.
        Opened without blocking (a FIFO's open waits for a writer) and without becoming the
        controlling terminal."""
        path = local_path(url)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        try:
            fd = os.open(path, flags)
        except FileNotFoundError:
            return FetchResult(url, "error", error=f"no such file: {path}")
        except OSError as exc:
            return FetchResult(url, "error", error=f"cannot read {path}: {exc.strerror or exc}")
        with open(fd, "rb", closefd=True) as handle:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                return FetchResult(url, "error", error=f"is a folder, not a feed file: {path}")
            if not stat.S_ISREG(mode):
                return FetchResult(url, "error", error=f"not a regular file (a pipe, device or "
                                                       f"socket is never read): {path}")
            try:
                data = handle.read(self.max_bytes + 1)
            except OSError as exc:
                return FetchResult(url, "error",
                                   error=f"cannot read {path}: {exc.strerror or exc}")
        if len(data) > self.max_bytes:
            return self._too_large(url)
        return FetchResult(url, "ok", body=data, final_url=url)

    async def _fetch_http(self, url: str, etag: str, last_modified: str, accept: str,
                          public_only: bool = False, trusted_origin: str = "") -> FetchResult:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            return FetchResult(url, "error", error=f"unsupported URL scheme {scheme!r}")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        extensions = {PUBLIC_ONLY: True, TRUSTED_ORIGIN: trusted_origin} if public_only \
            else None
        async with self.client.stream("GET", url, headers=headers,
                                      extensions=extensions) as response:
            moved = bool(response.history) and all(r.status_code in _PERMANENT
                                                   for r in response.history)
            final_url = str(response.url)
            if response.status_code == 304:
                await _drain(response)  # read to its end, the connection goes back to the pool
                return FetchResult(url, "not_modified", etag=etag, last_modified=last_modified,
                                   final_url=final_url, moved_permanently=moved,
                                   freshness=_freshness(response))
            if response.status_code >= 400 or response.status_code < 200:
                import time
                await _drain(response)
                retry = 0.0
                if response.status_code in (429, 503):
                    retry = parse_retry_after(response.headers.get("Retry-After", ""),
                                              time.time())
                return FetchResult(url, "error", final_url=final_url,
                                   http_status=response.status_code, retry_after=retry,
                                   error=http_error(response.status_code, retry))
            length = response.headers.get("Content-Length", "")
            encoding = response.headers.get("Content-Encoding", "")
            if length.isdigit() and not encoding and int(length) > self.max_bytes:
                return self._too_large(url)
            inflater = Inflater(encoding, self.max_bytes)
            async for chunk in response.aiter_raw():
                inflater.feed(chunk)
            body = inflater.finish()
            headers = response.headers
            return FetchResult(url, "ok", body=body, content_type=headers.get("Content-Type", ""),
                               etag=headers.get("ETag", ""), final_url=final_url,
                               last_modified=headers.get("Last-Modified", ""),
                               moved_permanently=moved, freshness=_freshness(response))
