"""The session every core service is handed: paths, settings, the store, the write lock and
the one writer thread. Services share it instead of reaching into each other.

Several readers may run at once (the app, and `reader refresh` from cron): each write takes
the write lock for a moment, first reading again whatever another reader changed since
(`writing`), so every write is read-modify-write on the files as they are. A refresh holds
the refresh lock throughout: two refreshes never fetch at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, TypeVar

from reader.config import Settings
from reader.core.merge import Limits
from reader.errors import LibraryError, LockedError
from reader.locations import Paths
from reader.models import Feed
from reader.storage import store as files
from reader.storage.documents import CacheSummary
from reader.storage.store import Store

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
        self._write_lock = self.store.write_lock()
        self._seen_generation = self._write_lock.peek()  # before anything is read
        self._may_write = False
        self._mutex = threading.RLock()
        self._depth = 0
        self.on_change: list[Callable[[set[Path]], None]] = []
        """Called (holding the write lock) with the files another reader changed, after the
        store dropped what it held of them: each service drops what it made of them."""
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

    # -- the locks -------------------------------------------------------------------------
    def acquire(self) -> None:
        """Allow this session to write (each write then takes the write lock for a moment).
        Raises StoreError when the data folder cannot hold the lock (read-only, full)."""
        if self._may_write:
            return
        try:
            self._write_lock.acquire()
        except LockedError:  # another reader is saving this moment: its temp files are live
            self._may_write = True
            return
        try:
            self.store.remove_stale_temp_files()  # nobody else writes now: none is in use
        finally:
            self._write_lock.release()
        self._may_write = True

    def drain(self) -> None:
        """Finish the queued reads and writes."""
        for pool in (self._reader, self._writer):
            if pool is not None:
                pool.shutdown(wait=True)
        self._reader = self._writer = None

    def release(self) -> None:
        """Finish queued writes and stop writing."""
        self.drain()
        self._may_write = False

    @property
    def writable(self) -> bool:
        """True once `acquire` allowed this session to write."""
        return self._may_write

    def need_lock(self) -> None:
        """Refuse a write outside `writing` (a bug in the caller, said as such)."""
        self.need_writable()
        if not self._depth:
            raise LibraryError("internal: a write was attempted without holding the lock")

    def need_writable(self) -> None:
        """Refuse work that will write (a refresh) when `acquire` was not called."""
        if not self._may_write:
            raise LibraryError("internal: a write was attempted without holding the lock")

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the write lock (nested calls share it): on taking it, what another reader
        wrote since is read again; on letting go, the generation changes so others know.
        LockedError when another reader holds it longer than WRITE_WAIT seconds."""
        self.need_writable()
        with self._mutex:
            if not self._depth:
                generation = self._write_lock.acquire(files.WRITE_WAIT)
                try:
                    self._catch_up(generation)
                except BaseException:
                    self._write_lock.release()
                    raise
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if not self._depth:
                    self._seen_generation = files.new_generation()
                    self._write_lock.release(self._seen_generation)

    def changed_elsewhere(self) -> bool:
        """Another reader wrote since this one last looked (one small read, no lock)."""
        return self._write_lock.peek() != self._seen_generation

    def catch_up(self) -> bool:
        """Read again what another reader changed (taking the write lock for a moment, not
        changing its generation). True when something had changed."""
        if not self.changed_elsewhere():
            return False
        with self._mutex:
            if self._depth:
                return False  # a write of ours under way caught up when it began
            generation = self._write_lock.acquire(files.WRITE_WAIT)
            try:
                return self._catch_up(generation)
            finally:
                self._write_lock.release()

    def _catch_up(self, generation: str) -> bool:
        if generation == self._seen_generation:
            return False
        self._seen_generation = generation
        changed = self.store.changed_on_disk()
        for listener in self.on_change:
            listener(changed)
        return True

    @contextlib.contextmanager
    def refreshing(self) -> Iterator[None]:
        """Hold the refresh lock for a whole refresh; LockedError at once when another reader
        is refreshing (its articles will show; fetching them twice helps nobody)."""
        lock = self.store.refresh_lock()
        lock.acquire()
        try:
            yield
        finally:
            lock.release()

    # -- the writer thread and reads beside it ------------------------------------------------
    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call that changes the library on the one writer thread, holding
        the write lock (keeps writes in order and off the event loop)."""
        return await self._turn("_writer", False, self._locked, fn, *args)

    def _locked(self, fn: Callable[..., T], *args: Any) -> T:
        with self.writing():
            return fn(*args)

    async def catch_up_async(self) -> bool:
        """`catch_up` in the writer's turn (never in the middle of one of our writes)."""
        if not self.changed_elsewhere():
            return False
        return await self._turn("_writer", False, self.catch_up)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking call that reads the library (an article's text) off the event loop,
        between two writes: it waits for the write under way, not for the queue of writes
        behind it (a refresh queues one per feed)."""
        return await self._turn("_reader", True, fn, *args)

    async def _turn(self, thread: str, read: bool, fn: Callable[..., T], *args: Any) -> T:
        pool = getattr(self, thread)
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(max_workers=1,
                                      thread_name_prefix="reader-" + thread.strip("_"))
            setattr(self, thread, pool)
        return await asyncio.get_running_loop().run_in_executor(
            pool, self._turns.take, read, fn, *args)

    def fetcher(self, concurrency: int) -> Any:
        """A Fetcher with the configured timeouts and size cap."""
        from reader.fetch import Fetcher  # httpx costs 70 ms to import; only fetching needs it

        s = self.settings
        return Fetcher(concurrency=concurrency, connect_timeout=s.connect_timeout,
                       read_timeout=s.read_timeout, feed_timeout=s.feed_timeout,
                       max_bytes=int(s.max_download_mb * 1024 * 1024), transport=self.transport)
