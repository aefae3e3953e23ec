"""Async HTTP for feeds: one shared client, bounded concurrency, conditional GET, size caps.

Responses are read raw and decompressed here, chunk by chunk with a bound, so a small gzip
bomb cannot inflate past the cap (httpx's own decoder inflates each chunk in full).
"""

from __future__ import annotations

import asyncio
import ipaddress
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import httpx

from reader import DISTRIBUTION, __version__

USER_AGENT = (f"{DISTRIBUTION}/{__version__} (terminal feed reader; "
              f"+https://pypi.org/project/{DISTRIBUTION}/)")
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
_PERMANENT = {301, 308}
PUBLIC_ONLY = "reader.public_only"
"""Request extension: refuse any hop into this computer or the local network."""
MAX_RETRY_AFTER_S = 24 * 3600
"""A Retry-After further away than this is taken as this (a server cannot mute a feed)."""
_STATUS_WORDS = {
    401: "the feed needs a login (authentication)",
    403: "the server refuses to give this feed",
    410: "the server says this feed is gone for good",
    503: "the server is unavailable for now",
}


def parse_retry_after(value: str, now: float) -> float:
    """Retry-After (seconds or an HTTP date) as epoch seconds, capped; 0 when absent/bad."""
    value = value.strip()
    if not value:
        return 0.0
    if value.isdigit():
        delay = float(value[:12])
    else:
        import email.utils

        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return 0.0
        if when is None or when.tzinfo is None:
            return 0.0
        delay = when.timestamp() - now
    if delay <= 0:
        return 0.0
    return now + min(delay, MAX_RETRY_AFTER_S)


def when_text(stamp: float) -> str:
    """A time for a message: HH:MM today, else the date too (local time)."""
    import time

    same_day = time.strftime("%Y-%m-%d", time.localtime(stamp)) == time.strftime("%Y-%m-%d")
    return time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M", time.localtime(stamp))


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
    Retry-After, capped at MAX_RETRY_AFTER_S); 0 when it did not ask."""


class TooLarge(Exception):
    """The body grew past the cap."""


class RedirectRefused(ValueError):
    """A request the reader will not make: a redirect to something other than http or https,
    or a page for an internet feed that would reach the local network; the message says why."""


def is_private_url(url: str) -> bool:
    """True for a URL naming this computer or a private network by address or as localhost
    (names that resolve there are not looked up: a feed cannot be trusted to say)."""
    try:
        host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return False
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        return True
    return _private_address(host)


def _private_address(address: str) -> bool:
    """True for an IP address (text) on this computer or a private network."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved \
        or ip.is_unspecified


async def _check_address(request: httpx.Request) -> None:
    """Request hook (every hop): a page fetched for a feed from the internet must not reach
    this computer or the local network, whatever its name resolves to."""
    if not request.extensions.get(PUBLIC_ONLY):
        return
    if is_private_url(str(request.url)):
        raise RedirectRefused("redirected into this computer or the local network, which is "
                              "never followed for a page from the internet")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(request.url.host, None)
    except OSError:
        return  # the connection attempt fails and says why
    if any(_private_address(str(info[4][0])) for info in infos):
        raise RedirectRefused(f"{request.url.host} is an address on this computer or the local "
                              "network; pages there are fetched only for feeds from there")


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


class _Inflater:
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


def is_network_down(exc: Exception) -> bool:
    """True for failures that say nothing answered: refused, DNS, unreachable, timeouts."""
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
        self.client = httpx.AsyncClient(
            follow_redirects=True,
            max_redirects=10,
            timeout=timeout,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers={"User-Agent": USER_AGENT, "Accept": ACCEPT,
                     "Accept-Encoding": "gzip, deflate"},
            transport=transport,
            trust_env=False,
            event_hooks={"request": [_check_address], "response": [_check_redirect]},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.client.aclose()

    async def fetch(self, url: str, etag: str = "", last_modified: str = "") -> FetchResult:
        """Fetch one feed; never raises for network or HTTP trouble (see `error`)."""
        async with self._semaphore:
            if is_local(url):
                return await asyncio.to_thread(self._read_local, url)
            return await self._guarded(url, etag, last_modified, ACCEPT)

    async def fetch_page(self, url: str, *, public_only: bool = False) -> FetchResult:
        """Fetch an article's web page (http and https only, as every request here: a feed's
        link to a local file is never read). Same caps and errors as `fetch`. `public_only`:
        no request, redirects included, may reach this computer or the local network."""
        async with self._semaphore:
            return await self._guarded(url, "", "", PAGE_ACCEPT, public_only)

    async def _guarded(self, url: str, etag: str, last_modified: str, accept: str,
                       public_only: bool = False) -> FetchResult:
        try:
            async with asyncio.timeout(self.feed_timeout or None):
                return await self._fetch_http(url, etag, last_modified, accept, public_only)
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

    def _read_local(self, url: str) -> FetchResult:
        path = local_path(url)
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.max_bytes + 1)
        except FileNotFoundError:
            return FetchResult(url, "error", error=f"no such file: {path}")
        except IsADirectoryError:
            return FetchResult(url, "error", error=f"is a folder, not a feed file: {path}")
        except OSError as exc:
            return FetchResult(url, "error", error=f"cannot read {path}: {exc.strerror or exc}")
        if len(data) > self.max_bytes:
            return self._too_large(url)
        return FetchResult(url, "ok", body=data, final_url=url)

    async def _fetch_http(self, url: str, etag: str, last_modified: str, accept: str,
                          public_only: bool = False) -> FetchResult:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            return FetchResult(url, "error", error=f"unsupported URL scheme {scheme!r}")
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        extensions = {PUBLIC_ONLY: True} if public_only else None
        async with self.client.stream("GET", url, headers=headers,
                                      extensions=extensions) as response:
            moved = bool(response.history) and all(
                r.status_code in _PERMANENT for r in response.history
            )
            final_url = str(response.url)
            if response.status_code == 304:
                return FetchResult(url, "not_modified", etag=etag, last_modified=last_modified,
                                   final_url=final_url, moved_permanently=moved)
            if response.status_code >= 400 or response.status_code < 200:
                import time

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
            inflater = _Inflater(encoding, self.max_bytes)
            async for chunk in response.aiter_raw():
                inflater.feed(chunk)
            body = inflater.finish()
            return FetchResult(
                url,
                "ok",
                body=body,
                content_type=response.headers.get("Content-Type", ""),
                etag=response.headers.get("ETag", ""),
                last_modified=response.headers.get("Last-Modified", ""),
                final_url=final_url,
                moved_permanently=moved,
            )
