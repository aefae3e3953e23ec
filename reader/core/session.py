"""The session every core service is handed: paths, settings, the store, the lock and the
one writer thread. Services share it instead of reaching into each other."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from reader.config import Settings
from reader.core.merge import Limits
from reader.errors import LibraryError
from reader.locations import Paths
from reader.models import Feed
from reader.storage.documents import CacheSummary
from reader.storage.store import InstanceLock, Store

T = TypeVar("T")


class _Turns:
    """One call at a time on the library's state, a waiting read before the next write."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = False
        self._reads_waiting = 0

    def take(self, read: bool, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` in this thread when it is its turn."""
        with self._cond:
            self._reads_waiting += read
            while self._busy or (not read and self._reads_waiting):
                self._cond.wait()
            self._reads_waiting -= read
            self._busy = True
        try:
            return fn(*args)
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()


class Session:
    """One library's shared state: where its files are, its settings, whether it may write."""

    def __init__(self, paths: Paths, settings: Settings, *, transport: Any = None,
                 offline: bool = False) -> None:
        self.paths = paths
        """Where config, data and cache live."""
        self.settings = settings
        """The one settings object (config.toml)."""
        self.store = Store(paths.data_dir, paths.cache_dir)
        """Every file the reader reads and writes."""
        self.transport = transport
        """An httpx transport for the fetcher (tests hand in their own); None: the network."""
        self.offline_flag = offline
        """`--offline` was given (the config's `offline` counts too: see `offline`)."""
        self.summaries: dict[str, CacheSummary] = {}
        """feed key -> the summary of its cache file kept in status.json (validators, ids)."""
        self._lock: InstanceLock | None = None
        self._writer: Executor | None = None
        self._reader: Executor | None = None
        self._turns = _Turns()

    @property
    def offline(self) -> bool:
        """Never touch the network (`--offline` or `offline = true` in the config)."""
        return self.offline_flag or self.settings.offline

    def limits(self, feed: Feed) -> Limits:
        """How much of a feed the cache keeps: its own options, else the global ones."""
        s = self.settings
        return Limits(
            max_articles=int(s.feed_option(feed.url, "max_articles", s.max_articles_per_feed)
                             or 0),
            max_age_days=float(s.feed_option(feed.url, "max_age_days", s.max_age_days) or 0))

    # -- the lock ---------------------------------------------------------------------------
    def acquire(self) -> None:
        """Become the one writer; raises LockedError when another reader runs."""
        if self._lock is None:
            lock = self.store.lock()
            lock.acquire()
            self._lock = lock
            self.store.remove_stale_temp_files()  # the one writer now: none is in use

    def drain(self) -> None:
        """Finish the queued reads and writes."""
        for pool in (self._reader, self._writer):
            if pool is not None:
                pool.shutdown(wait=True)
        self._reader = self._writer = None

    def release(self) -> None:
        """Finish queued writes and stop being the writer."""
        self.drain()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def writable(self) -> bool:
        """True while this session holds the lock."""
        return self._lock is not None

    def need_lock(self) -> None:
        """Refuse a write without the lock (a bug in the caller, said as such)."""
        if self._lock is None:
            raise LibraryError("internal: a write was attempted without holding the lock")

    # -- the writer thread and reads beside it ------------------------------------------------
    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call that changes the library on the one writer thread (keeps
        writes in order and off the event loop)."""
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader-writer")
        return await asyncio.get_running_loop().run_in_executor(
            self._writer, self._turns.take, False, fn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call that reads the library (an article's text) off the event loop,
        between two writes: it waits for the write under way, not for the queue of writes
        behind it (a refresh queues one per feed)."""
        if self._reader is None:
            from concurrent.futures import ThreadPoolExecutor

            self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader-read")
        return await asyncio.get_running_loop().run_in_executor(
            self._reader, self._turns.take, True, fn, *args)

    def fetcher(self, concurrency: int) -> Any:
        """A Fetcher with the configured timeouts and size cap."""
        from reader.fetch import Fetcher  # httpx costs 70 ms to import; only fetching needs it

        s = self.settings
        return Fetcher(concurrency=concurrency, connect_timeout=s.connect_timeout,
                       read_timeout=s.read_timeout, feed_timeout=s.feed_timeout,
                       max_bytes=int(s.max_download_mb * 1024 * 1024), transport=self.transport)
