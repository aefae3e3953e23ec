"""Parsing off the event loop: in threads, and in worker processes when parsing is heavy.

A `FeedParser` is the seam: the real one is `reader.parse.parse_feed`; tests and the bench
hand the library a fake one (`tests/fakeparser.py`), which always runs in threads."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import Any

from reader.errors import ParseError
from reader.models import ParsedFeed

FeedParser = Callable[[bytes, str, str], ParsedFeed]
"""parse(data, url, content_type) -> ParsedFeed; raises ParseError for what is no feed."""

PROCESS_POOL_MIN_FEEDS = 8
"""Fewer feeds parse faster in a thread than worker processes start."""

PROCESS_POOL_AFTER_S = 5.0
"""Parsing starts in threads, with no extra process: a refresh of 200 ordinary feeds
(reader.fastparse reads them) peaked at 57 MB in one process against 120 MB with two workers
and their resource tracker, in the same time on two busy cores. Worker processes start once
parsing in threads has cost this much CPU (feeds that need feedparser: 1.3 ms an item) and
at least PROCESS_POOL_MIN_FEEDS feeds are still to parse."""


def start_process_pool() -> Executor:
    """A process pool of lean spawned workers (reader.core.leanspawn), the first started.

    multiprocessing hands `sys.stderr.fileno()` to its resource-tracker process. Under
    Textual `sys.stderr` is a capture object whose fileno() is -1, and starting the pool failed
    with "bad value(s) in fds_to_keep" for every feed; the pool and its workers are started
    here, with /dev/null lent as stderr when the real one has no descriptor."""
    from concurrent.futures import ProcessPoolExecutor

    from reader.core.leanspawn import LeanSpawnContext

    ctx = LeanSpawnContext()
    with _stderr_with_descriptor():
        executor = ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=ctx)
        try:
            # starts the resource tracker and a first worker; later workers (started one per
            # submission) find the tracker running
            executor.submit(int)
        except BaseException:
            _stop_pool(executor)
            raise
    return executor


def _stop_pool(executor: Executor) -> None:
    """Shut a broken process pool down without waiting: its remaining workers are killed
    (Python 3.11 leaves them waiting for work, and the interpreter then hangs at exit
    joining them)."""
    for process in list((getattr(executor, "_processes", None) or {}).values()):
        try:
            process.kill()
        except (OSError, ValueError, AttributeError):
            pass
    executor.shutdown(wait=False, cancel_futures=True)


@contextlib.contextmanager
def _stderr_with_descriptor() -> Iterator[None]:
    """`sys.stderr` as it is when it has a file descriptor, else /dev/null for the block."""
    try:
        usable = sys.stderr is not None and sys.stderr.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if usable:
        yield
        return
    saved = sys.stderr
    with open(os.devnull, "w") as null:
        sys.stderr = null
        try:
            yield
        finally:
            sys.stderr = saved


def parse_or_reason(data: bytes, url: str, content_type: str,
                    parser: FeedParser | None = None, screen: Any = None) -> ParsedFeed | str:
    """Runs in an executor: parse, or return the error text (exceptions may not pickle).
    `screen` (reader.core.filters.FeedScreen): test the feed's filter rules on each entry
    here, in parallel, rather than on the writer thread."""
    if parser is None:
        from reader.parse import parse_feed as parser
    try:
        parsed = parser(data, url, content_type)
        if screen is not None:
            screen.mark(parsed)
        return parsed
    except ParseError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a hostile feed must not take the refresh down
        return f"cannot parse: {type(exc).__name__}: {exc}"


def _timed_parse(*args: object) -> tuple[ParsedFeed | str, float]:
    """parse_or_reason in a thread, with the CPU time it took there."""
    start = time.thread_time()
    result = parse_or_reason(*args)  # type: ignore[arg-type]
    return result, time.thread_time() - start


class ParsePool:
    """Parses off the event loop: in threads, then in worker processes once parsing proves
    heavy (PROCESS_POOL_AFTER_S).

    Worker processes that cannot be started (or that die) never fail a feed: the pool falls
    back to threads and the feed is parsed there."""

    def __init__(self, feed_count: int, parser: FeedParser | None = None) -> None:
        self._threads: Executor | None = None
        self._processes: Executor | None = None
        self._parser = parser
        self._may_use_processes = (parser is None and feed_count >= PROCESS_POOL_MIN_FEEDS
                                   and (os.cpu_count() or 1) > 1)
        self._to_parse = feed_count
        self._thread_seconds = 0.0

    def _process_pool(self) -> Executor | None:
        """The worker processes, started once parsing in threads has proved heavy."""
        if self._processes is None and self._may_use_processes and \
                self._thread_seconds >= PROCESS_POOL_AFTER_S and \
                self._to_parse >= PROCESS_POOL_MIN_FEEDS:
            try:
                self._processes = start_process_pool()
            except (OSError, ValueError, RuntimeError):
                self._may_use_processes = False
        return self._processes

    def _thread_pool(self) -> Executor:
        if self._threads is None:
            from concurrent.futures import ThreadPoolExecutor

            self._threads = ThreadPoolExecutor(max_workers=2)
        return self._threads

    async def parse(self, data: bytes, url: str, content_type: str, screen: Any = None
                    ) -> ParsedFeed | str:
        """The parsed feed, or why it could not be parsed; `screen`: see parse_or_reason."""
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        args = (data, url, content_type, self._parser, screen)
        self._to_parse -= 1
        processes = self._process_pool()
        if processes is not None:
            try:
                return await loop.run_in_executor(processes, parse_or_reason, *args)
            except BrokenProcessPool:  # a worker died (killed, out of memory): threads
                self._may_use_processes = False
                broken, self._processes = self._processes, None
                if broken is not None:
                    _stop_pool(broken)
        result, seconds = await loop.run_in_executor(self._thread_pool(), _timed_parse, *args)
        self._thread_seconds += seconds
        return result

    def shutdown(self) -> None:
        """Stop the workers (waiting for running parses)."""
        for executor in (self._processes, self._threads):
            if executor is not None:
                executor.shutdown(wait=True, cancel_futures=True)
        self._processes = self._threads = None
