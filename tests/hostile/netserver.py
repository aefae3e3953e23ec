"""A misbehaving HTTP server on 127.0.0.1 for the network cases: byte-level control.

    with HostileServer(feeds) as hostile:        # feeds: the harness's FeedServer
        hostile.behave("/hostile/x.xml", silent)
        run_case(tmp_path, hostile.proxy, Case(...))

`proxy` looks like the harness's server: `routes` is the FeedServer's (the stored feed and the
good neighbour stay there), `url(path)` gives this server's URL for paths under /hostile/.
A behaviour is `async def fn(request, writer)`; `request` holds the path and the headers.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import FeedServer


@dataclass
class Request:
    path: str
    headers: dict[str, str]


Behaviour = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class HostileServer:
    feeds: FeedServer
    behaviours: dict[str, Behaviour] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server: asyncio.base_events.Server | None = None

    # -- life ------------------------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    def __enter__(self) -> HostileServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    # -- routes ----------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def behave(self, path: str, behaviour: Behaviour) -> None:
        self.behaviours[path] = behaviour

    def hits(self, path: str) -> int:
        return sum(r.path == path for r in self.requests)

    @property
    def proxy(self) -> Any:
        hostile = self

        class Proxy:
            routes = hostile.feeds.routes

            @staticmethod
            def url(path: str) -> str:
                if path.startswith("/hostile/"):
                    return hostile.url(path)
                return hostile.feeds.url(path)

        return Proxy()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:  # keep-alive: one request after another on the connection
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                        ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else "/"
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        key, value = line.split(":", 1)
                        headers[key.strip().lower()] = value.strip()
                request = Request(path, headers)
                self.requests.append(request)
                behaviour = self.behaviours.get(path.split("?")[0])
                if behaviour is None:
                    await send(writer, 404, b"not found")
                else:
                    await behaviour(request, writer)
                if writer.is_closing():
                    return
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def send(writer: asyncio.StreamWriter, status: int, body: bytes = b"",
               headers: dict[str, str] | None = None, *, length: int | None = None,
               reason: str = "") -> None:
    """One whole response; `length` overrides the Content-Length header (a lie)."""
    head = [f"HTTP/1.1 {status} {reason or REASONS.get(status, 'Whatever')}"]
    all_headers = {"Content-Type": "application/rss+xml; charset=utf-8", **(headers or {})}
    all_headers.setdefault("Content-Length", str(len(body) if length is None else length))
    head += [f"{k}: {v}" for k, v in all_headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 307: "Temporary Redirect",
           308: "Permanent Redirect", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}
