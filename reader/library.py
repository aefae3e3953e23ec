"""The core API the CLI and the app both use: subscribe, refresh, list, read, bookmark, notes.

One Library is the one writer. It holds the subscription list and the refresh status in
memory, loads per-feed metadata on demand and article bodies only when an article is shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import re
import secrets
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.config import Settings, load_settings
from reader.locations import Paths
from reader.models import (
    Article,
    ArticleText,
    Enclosure,
    Feed,
    FeedResult,
    FullTextResult,
    Note,
    ParsedFeed,
)
from reader.opml import ImportedList, Subscription, read_subscriptions, write_opml
from reader.store import InstanceLock, Store, StoreError
from reader.textutil import one_line, strip_control

SEED_FILES = ("amn.xml", "atom.xml", "summary.xml", "jsonfeed.json")
SEED_TAG = "samples"

ProgressCallback = Callable[[int, int, FeedResult], None]


class LibraryError(Exception):
    """A request the library cannot carry out; the message is for the user."""


@dataclass
class ImportReport:
    """What an import did."""

    kind: str
    added: list[Feed] = field(default_factory=list)
    updated: list[Feed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def article_id(feed_key: str, guid: str) -> str:
    """Stable short id of an article: survives feed URL changes (the key does not change)."""
    return hashlib.sha1(f"{feed_key}\n{guid}".encode()).hexdigest()[:12]


def body_hash(content_html: str, summary_html: str) -> str:
    """Fingerprint of an article's bodies, to tell an updated article from an unchanged one."""
    return hashlib.sha1(f"{content_html}\x00{summary_html}".encode()).hexdigest()[:16]


def normalise_feed_url(url: str) -> str:
    """Clean a feed location given by a user: URLs kept, local paths made absolute file paths."""
    url = one_line(url)
    if not url:
        raise LibraryError("empty feed URL")
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError as exc:  # "http://[::1" (an unclosed IPv6 address) and the like
        raise LibraryError(f"{url}: not a valid URL ({exc})") from None
    if scheme in ("http", "https"):
        return url
    if scheme == "file":  # file:///x and /x are one feed: stored as the path
        parts = urllib.parse.urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise LibraryError(f"{url}: a file URL on another host")
        url = urllib.request.url2pathname(parts.path)
    elif scheme == "feed":  # feed://example.com/rss -> https://example.com/rss
        rest = url.split(":", 1)[1].lstrip("/")
        return rest if rest.startswith(("http://", "https://")) else "https://" + rest
    elif scheme and len(scheme) > 1:
        raise LibraryError(f"{url}: unsupported URL scheme {scheme!r} (use http, https or a file)")
    try:
        return str(Path(url).expanduser().resolve())
    except (OSError, RuntimeError) as exc:  # a symlink loop: RuntimeError before Python 3.13
        raise LibraryError(f"{url}: cannot use this path ({exc})") from None


_HOST_PATH_RE = re.compile(r"^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(:\d+)?(/|$)")


def new_feed_location(url: str) -> str:
    """A location the user typed to subscribe to, checked and normalised: an http(s) URL with
    a host, or an existing file (path or file: URL). `example.com/feed.xml` that is no file
    here is read as https://example.com/feed.xml. LibraryError, one line, for anything else."""
    typed = one_line(url)
    try:
        located = normalise_feed_url(typed)
        parts = urllib.parse.urlsplit(located)
    except ValueError as exc:  # "http://[::1"
        raise LibraryError(f"{typed}: not a valid URL ({exc})") from None
    if parts.scheme in ("http", "https"):
        if not parts.hostname:
            raise LibraryError(f"{typed}: not a valid URL (no host name)")
        return located
    try:
        exists = Path(located).exists()
        regular = Path(located).is_file()
    except OSError:  # a symlink loop, a name too long
        exists = regular = False
    if regular:
        return located
    if exists:
        raise LibraryError(f"{typed}: not a regular file (a pipe, device, socket or folder "
                           "is never read as a feed)")
    if not parts.scheme and _HOST_PATH_RE.match(typed):
        return "https://" + typed
    if typed.lower().startswith("file:") or "/" in typed or typed.startswith(("~", ".")):
        raise LibraryError(f"{typed}: no such file")
    raise LibraryError(f"{typed}: not a feed URL (http://, https://) nor an existing file")


def seed_dir() -> Path:
    """Folder holding the bundled sample feeds: the installed `reader.seeds`, or `seeds/`
    beside `reader/` when Python imports the package from a source checkout (`python3 -m
    reader` run from the checkout's root imports the `reader/` there, which has no `seeds`)."""
    try:
        import reader.seeds
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parent.parent / "seeds"
        if not (checkout / SEED_FILES[0]).is_file():
            raise LibraryError("the sample feeds are missing from this installation of reader; "
                               "reinstall it (pip install .)") from None
        return checkout
    return Path(reader.seeds.__file__).parent


_PROCESS_POOL_MIN_FEEDS = 8  # fewer feeds parse faster in a thread than workers start


def _start_process_pool() -> Executor:
    """A forkserver process pool with its workers already started.

    multiprocessing hands `sys.stderr.fileno()` to its resource-tracker process. Under
    Textual `sys.stderr` is a capture object whose fileno() is -1, and starting the pool failed
    with "bad value(s) in fds_to_keep" for every feed; the pool and its workers are started
    here, with /dev/null lent as stderr when the real one has no descriptor."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["reader.parse", "feedparser"])
    with _stderr_with_descriptor():
        executor = ProcessPoolExecutor(max_workers=os.cpu_count(), mp_context=ctx)
        try:
            # starts the tracker, the fork server and a first worker; later workers (started
            # one per submission) find the tracker and the fork server running
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


def _parse_in_worker(data: bytes, url: str, content_type: str) -> ParsedFeed | str:
    """Runs in an executor: parse, or return the error text (exceptions may not pickle)."""
    from reader.parse import ParseError, parse_feed

    try:
        return parse_feed(data, url, content_type)
    except ParseError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - a hostile feed must not take the refresh down
        return f"cannot parse: {type(exc).__name__}: {exc}"


class Library:
    """Everything the reader knows, behind a small API."""

    def __init__(self, paths: Paths, settings: Settings | None = None, *, transport: Any = None,
                 offline: bool = False):
        self.paths = paths
        self.settings = settings if settings is not None else load_settings(paths.config_file)
        self.store = Store(paths.data_dir, paths.cache_dir)
        self._transport = transport
        self._lock: InstanceLock | None = None
        self._feeds: list[Feed] = [Feed.from_dict(d) for d in self.store.load_feeds()]
        self._status = self.store.load_status()
        for feed in self._feeds:
            feed.__dict__.update(
                {k: v for k, v in self._status.get(feed.key, {}).items() if k in _STATUS_FIELDS}
            )
        self._articles: dict[str, list[dict[str, Any]]] = {}
        self._bookmarks: dict[str, dict[str, Any]] | None = None
        self._notes: dict[str, dict[str, Any]] | None = None
        self._kept: dict[str, dict[str, Any]] | None = None
        self._writer: Executor | None = None
        self._feeds_dirty = False
        self._bodies_memo: dict[str, dict[str, dict[str, Any]]] = {}
        self._unsaved_bodies: set[str] = set()
        self._offline = offline
        self.network_down = False
        """The last refresh reached no network feed at all (the reader is offline)."""
        self._net_answers = 0
        self._full_memo: dict[str, tuple[str, Any]] = {}  # article id -> (key, Converted)
        self._index: Any = None  # reader.search.SearchIndex, opened at the first search
        self._copy_words: dict[str, tuple[Any, str]] = {}  # kept copy id -> (key, words)

    async def write(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a blocking library call on the one writer thread (keeps writes in order and
        off the event loop); the app uses this for every change it makes."""
        if self._writer is None:
            from concurrent.futures import ThreadPoolExecutor

            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader-writer")
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    # -- lifecycle ------------------------------------------------------------------------
    def acquire(self) -> None:
        """Become the one writer; raises store.LockedError when another reader runs."""
        if self._lock is None:
            lock = self.store.lock()
            lock.acquire()
            self._lock = lock

    def release(self) -> None:
        """Stop being the writer (after finishing queued writes)."""
        if self._lock is not None and self._unsaved_bodies:
            try:
                self.save_conversions()
            except StoreError:
                pass  # only a cache of converted text: it is made again when needed
        if self._writer is not None:
            self._writer.shutdown(wait=True)
            self._writer = None
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @property
    def offline(self) -> bool:
        """Never touch the network (`--offline` or `offline = true` in the config)."""
        return self._offline or self.settings.offline

    @offline.setter
    def offline(self, on: bool) -> None:
        self._offline = on

    @property
    def writable(self) -> bool:
        """True while this library holds the lock."""
        return self._lock is not None

    def _need_lock(self) -> None:
        if self._lock is None:
            raise LibraryError("internal: a write was attempted without holding the lock")

    def ui_state(self) -> dict[str, str]:
        """The app's remembered choices (the palette's theme), from data/ui.json."""
        return self.store.load_ui_state()

    def save_ui_state(self, state: dict[str, str]) -> None:
        """Remember the app's choices for the next run."""
        self.store.save_ui_state(state)

    @property
    def problems(self) -> list[str]:
        """Corrupt files found and set aside (the UI/CLI shows these)."""
        return self.store.problems

    # -- feeds ----------------------------------------------------------------------------
    def feeds(self) -> list[Feed]:
        """Subscriptions in the user's order."""
        return list(self._feeds)

    def find_feed(self, ref: str) -> Feed:
        """A feed by URL, key, or (unique) title; LibraryError if none or ambiguous."""
        ref = ref.strip()
        for feed in self._feeds:
            if ref in (feed.url, feed.key):
                return feed
        try:
            norm = normalise_feed_url(ref)
        except LibraryError:
            norm = ref
        for feed in self._feeds:
            if feed.url == norm:
                return feed
        by_title = [f for f in self._feeds if f.title.casefold() == ref.casefold()]
        if len(by_title) == 1:
            return by_title[0]
        if len(by_title) > 1:
            raise LibraryError(f"{ref}: several feeds have this title; use the URL")
        raise LibraryError(f"{ref}: no such feed (see `reader feeds`)")

    def _save_feeds(self) -> None:
        self._need_lock()
        self.store.save_feeds([{k: getattr(f, k) for k in _SUBSCRIPTION_FIELDS}
                               for f in self._feeds])
        self._feeds_dirty = False

    def add_feed(self, url: str, title: str = "", tags: Iterable[str] = ()) -> Feed:
        """Subscribe. LibraryError if already subscribed or the URL is unusable."""
        self._need_lock()
        url = new_feed_location(url)
        if any(f.url == url for f in self._feeds):
            raise LibraryError(f"{url}: already subscribed")
        feed = Feed(
            key=secrets.token_hex(6),
            url=url,
            subscribed_url=url,
            custom_title=one_line(title),
            tags=clean_tags(tags),
            added_at=time.time(),
        )
        self._feeds.append(feed)
        self._save_feeds()
        return feed

    def edit_feed(self, ref: str, *, title: str | None = None, tags: Iterable[str] | None = None
                  ) -> Feed:
        """Change a feed's custom title and/or tags."""
        self._need_lock()
        feed = self.find_feed(ref)
        if title is not None:
            feed.custom_title = one_line(title)
        if tags is not None:
            feed.tags = clean_tags(tags)
        self._save_feeds()
        return feed

    def remove_feed(self, ref: str) -> Feed:
        """Unsubscribe. Bookmarked (and annotated) articles stay: they live in their own store."""
        self._need_lock()
        feed = self.find_feed(ref)
        self._feeds = [f for f in self._feeds if f.key != feed.key]
        self._save_feeds()
        self.store.delete_feed_cache(feed.key)
        self._bodies_memo.pop(feed.key, None)
        self._unsaved_bodies.discard(feed.key)
        self.store.delete_read(feed.key)
        self._articles.pop(feed.key, None)
        if self._status.pop(feed.key, None) is not None:
            self.store.save_status(self._status)
        return feed

    def export_opml(self) -> str:
        """All subscriptions as OPML 2.0 (tags as `category`)."""
        return write_opml([Subscription(f.url, f.custom_title or f.feed_title, list(f.tags),
                                        f.site_url) for f in self._feeds])

    def import_subscriptions(self, data: bytes, name: str = "", *,
                             allow_local_files: bool = False) -> ImportReport:
        """Import OPML or a newsboat urls file; existing feeds gain the imported tags/title.
        Local files in the list (a shared list may name ~/.ssh/id_rsa) are skipped with a
        warning each unless `allow_local_files`."""
        from reader.fetch import is_local

        self._need_lock()
        listing: ImportedList = read_subscriptions(data, name)  # raises opml.ImportError_
        report = ImportReport(listing.kind, warnings=list(listing.warnings))
        by_url = {f.url: f for f in self._feeds}
        spelled = {t.casefold(): t for f in self._feeds for t in f.tags}  # Tech = tech
        for sub in listing.subscriptions:
            try:
                url = normalise_feed_url(sub.url)
            except LibraryError as exc:
                report.warnings.append(str(exc))
                continue
            if is_local(url) and not allow_local_files:
                report.warnings.append(f"{url}: skipped, a local file (import with "
                                       "--allow-local-files to subscribe to local files)")
                continue
            sub.tags = [spelled.setdefault(t.casefold(), t) for t in clean_tags(sub.tags)]
            title = "" if sub.title == sub.url else sub.title
            existing = by_url.get(url)
            if existing is not None:
                merged = clean_tags(list(existing.tags) + list(sub.tags))
                if merged != existing.tags or (title and title != existing.custom_title):
                    existing.tags = merged
                    existing.custom_title = title or existing.custom_title
                    report.updated.append(existing)
                continue
            feed = Feed(key=secrets.token_hex(6), url=url, subscribed_url=url,
                        custom_title=one_line(title),
                        tags=clean_tags(sub.tags), site_url=sub.site_url, added_at=time.time())
            self._feeds.append(feed)
            by_url[url] = feed
            report.added.append(feed)
        if report.added or report.updated:
            self._save_feeds()
        return report

    def seed_if_new(self) -> bool:
        """First run (no subscription file yet): subscribe to the bundled sample feeds."""
        if self.store.exists or self._feeds:
            return False
        self._need_lock()
        folder = seed_dir()
        for name in SEED_FILES:
            path = folder / name
            if path.exists():
                self._feeds.append(Feed(key=secrets.token_hex(6), url=str(path), tags=[SEED_TAG],
                                        added_at=time.time()))
        self._save_feeds()
        return True

    # -- refresh --------------------------------------------------------------------------
    def refresh_blocking(self, refs: Iterable[str] | None = None,
                         on_progress: ProgressCallback | None = None) -> list[FeedResult]:
        """`refresh` for callers without an event loop (the CLI)."""
        return asyncio.run(self.refresh(refs, on_progress))

    async def refresh(self, refs: Iterable[str] | None = None,
                      on_progress: ProgressCallback | None = None) -> list[FeedResult]:
        """Fetch, parse and store the given feeds (all by default). One failure stops nothing.

        Fetching is async with bounded concurrency; parsing runs in worker processes; storing
        runs in a thread, one feed at a time (one writer). Offline (`self.offline`), network
        feeds are not fetched: their result says "offline". When no network feed could be
        reached at all (refused, DNS, timeouts), the refresh says "offline" too and records no
        errors: `network_down` is set until a refresh reaches the network again.
        """
        self._need_lock()
        from reader.fetch import is_local

        feeds = [self.find_feed(r) for r in refs] if refs else list(self._feeds)
        total = len(feeds)
        done = 0
        results: list[FeedResult] = []
        pending_down: list[tuple[Feed, FeedResult]] = []  # recorded once we know the network
        down_hosts: set[str] = set()
        remote = [f for f in feeds if not is_local(f.url)]
        self._net_answers = 0  # network fetches that got any answer (even an HTTP error)

        def report(feed: Feed, result: FeedResult) -> None:
            nonlocal done
            results.append(result)
            done += 1
            if on_progress is not None:
                on_progress(done, total, result)

        if self.offline:
            for feed in remote:
                report(feed, FeedResult(feed.key, feed.url, "offline", error="offline"))
            feeds = [f for f in feeds if is_local(f.url)]
            remote = []
        now = time.time()
        waiting = [f for f in remote if f.retry_after > now]
        if waiting:  # the server said when to come back (Retry-After): not before
            from reader.fetch import when_text

            for feed in waiting:
                report(feed, FeedResult(feed.key, feed.url, "waiting", error=(
                    "not refreshed: the server asked to wait until "
                    f"{when_text(feed.retry_after)}")))
            skip = {f.key for f in waiting}
            feeds = [f for f in feeds if f.key not in skip]
            remote = [f for f in remote if f.key not in skip]
        executor = _ParsePool(len(feeds))
        tasks: list[asyncio.Task[None]] = []
        try:
            async with self._fetcher(self.settings.concurrency) as fetcher:

                async def one(feed: Feed) -> None:
                    try:
                        result = await self._refresh_one(feed, fetcher, executor)
                    except StoreError as exc:
                        result = FeedResult(feed.key, feed.url, "error", error=str(exc))
                    except Exception as exc:  # noqa: BLE001 - report it, refresh the rest
                        result = FeedResult(feed.key, feed.url, "error",
                                            error=f"internal error: {type(exc).__name__}: {exc}")
                    if result.network_down and not self._net_answers:
                        pending_down.append((feed, result))
                        down_hosts.add(urllib.parse.urlsplit(feed.url).hostname or "")
                        if len(pending_down) >= 8 and len(down_hosts) >= 3:
                            _cancel_others(tasks)  # nothing answers: stop waiting on timeouts
                    else:
                        self._record_status(feed, result)
                    report(feed, result)

                tasks.extend(asyncio.ensure_future(one(f)) for f in feeds)
                await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            executor.shutdown()
        finished = {r.feed_key for r in results}
        for feed in feeds:
            if feed.key not in finished:  # cancelled: the network is down
                result = FeedResult(feed.key, feed.url, "error", network_down=True,
                                    error="not fetched: no network")
                pending_down.append((feed, result))
                report(feed, result)
        offline = bool(remote) and not self._net_answers and len(pending_down) == len(remote) \
            and (len(remote) > 1 or len(remote) == len([f for f in self._feeds
                                                        if not is_local(f.url)]))
        for feed, result in pending_down:
            if offline:
                result.status = "offline"
                result.error = f"offline ({result.error})"
            else:
                self._record_status(feed, result)
        if remote:
            self.network_down = offline
        if self._feeds_dirty or any(r.new_url for r in results):
            await self.write(self._save_feeds)
        await self.write(self.store.save_status, self._status)
        order = {f.key: i for i, f in enumerate(self._feeds)}
        results.sort(key=lambda r: order.get(r.feed_key, 0))
        return results

    def _fetcher(self, concurrency: int) -> Any:
        """A Fetcher with the configured timeouts and size cap."""
        from reader.fetch import Fetcher  # httpx costs 70 ms to import; only fetching needs it

        s = self.settings
        return Fetcher(concurrency=concurrency, connect_timeout=s.connect_timeout,
                       read_timeout=s.read_timeout, feed_timeout=s.feed_timeout,
                       max_bytes=int(s.max_download_mb * 1024 * 1024), transport=self._transport)

    def _record_status(self, feed: Feed, result: FeedResult) -> None:
        now = time.time()
        feed.last_checked = now
        if result.status == "error":
            feed.last_error = result.error = one_line(result.error)
            feed.failures += 1
            feed.failing_since = feed.failing_since or now
            feed.retry_after, feed.gone = result.retry_after, result.gone
        else:
            feed.last_error = ""
            feed.last_success = now
            feed.failures, feed.failing_since, feed.retry_after, feed.gone = 0, 0.0, 0.0, False
            if result.status == "new":
                feed.last_warning = result.warning
        self._status.setdefault(feed.key, {}).update({k: getattr(feed, k) for k in _STATUS_FIELDS})

    async def _refresh_one(self, feed: Feed, fetcher: Any, executor: _ParsePool) -> FeedResult:
        meta = self._summary(feed.key)  # one stat(); the file is read only when it changed
        if meta is None:
            meta = (await asyncio.to_thread(self.store.load_feed_cache, feed.key))[0]
        if meta and not self.store.has_bodies(feed.key):
            meta = {}  # the bodies file was lost (corrupt, deleted): fetch in full to restore it
        fetched = await fetcher.fetch(feed.url, meta.get("etag", ""), meta.get("last_modified", ""),
                                      subscribed=feed.origin_url)
        from reader.fetch import is_local  # loaded by the refresh already

        if not fetched.network_down and not is_local(feed.url):
            self._net_answers += 1  # a local file read says nothing about the network
        result = FeedResult(feed.key, feed.url, "unchanged")
        if fetched.status == "error":
            result.status, result.error = "error", fetched.error
            result.network_down = fetched.network_down
            result.retry_after, result.gone = fetched.retry_after, fetched.http_status == 410
            return result
        if fetched.status == "not_modified":
            return _follow_move(feed, fetched, result)
        digest = hashlib.sha1(fetched.body).hexdigest()
        if digest == meta.get("content_hash"):
            return _follow_move(feed, fetched, result)
        parsed = await executor.parse(fetched.body, fetched.final_url or feed.url,
                                      fetched.content_type)
        if isinstance(parsed, str):
            found = await self._discover(feed, fetched, meta, fetcher, executor)
            if found is None:
                from reader.discover import looks_like_html, not_a_feed

                if looks_like_html(fetched.body, fetched.content_type):
                    parsed = not_a_feed(fetched.body, fetched.final_url or feed.url)
                result.status, result.error = "error", parsed
                return result
            fetched, parsed = found
            digest = hashlib.sha1(fetched.body).hexdigest()
            result.new_url = feed.url
        else:
            _follow_move(feed, fetched, result)
        result.warning = parsed.warning
        validators = {"etag": fetched.etag, "last_modified": fetched.last_modified,
                      "content_hash": digest}
        new_ids, updated = await self.write(self._merge, feed, parsed, validators)
        result.status, result.new, result.updated = "new", len(new_ids), updated
        result.new_ids = new_ids
        return result

    async def _discover(self, feed: Feed, fetched: Any, meta: dict[str, Any], fetcher: Any,
                        executor: _ParsePool) -> tuple[Any, ParsedFeed] | None:
        """A feed never fetched before that turns out to be a web page linking to a feed
        (`<link rel="alternate">`): subscribe to the first linked feed that parses instead,
        as feed readers do (the result says it moved). None when there is none."""
        from reader.discover import feed_links, looks_like_html

        if feed.last_success or meta or not looks_like_html(fetched.body, fetched.content_type):
            return None
        taken = {f.url for f in self._feeds}
        for link in feed_links(fetched.body, fetched.final_url or feed.url)[:2]:
            if link in taken:
                continue
            found = await fetcher.fetch(link, subscribed=feed.origin_url)
            if found.status != "ok":
                continue
            parsed = await executor.parse(found.body, found.final_url or link, found.content_type)
            if not isinstance(parsed, str):
                feed.subscribed_url, feed.url = feed.origin_url, link
                self._feeds_dirty = True
                return found, parsed
        return None

    def _summary(self, feed_key: str) -> dict[str, Any] | None:
        """The cache summary kept in status.json (validators and article ids), if it still
        describes the feed's cache file (same mtime); saves reading 200 files per refresh."""
        summary = self._status.get(feed_key, {}).get("cache")
        if summary and summary.get("mtime") == self.store.feed_cache_mtime(feed_key):
            return summary
        return None

    def _remember_summary(self, feed_key: str, meta: dict[str, Any], ids: list[str]) -> None:
        self._status.setdefault(feed_key, {})["cache"] = {
            "mtime": self.store.feed_cache_mtime(feed_key), "ids": ids,
            **{k: meta.get(k, "") for k in ("etag", "last_modified", "content_hash")}}

    def _merge(self, feed: Feed, parsed: ParsedFeed, validators: dict[str, str]
               ) -> tuple[list[str], int]:
        """Store a parsed feed: new articles added, changed ones updated, user state kept."""
        now = time.time()
        meta, docs = self.store.load_feed_cache(feed.key)
        existing = {d["id"]: d for d in docs}
        restore = bool(existing) and not self.store.has_bodies(feed.key)
        kept = self.kept_ids()
        new: list[str] = []
        updated = 0
        present: set[str] = set()
        merged: dict[str, dict[str, Any]] = {}
        changed_bodies: dict[str, dict[str, Any]] = {}
        for entry in parsed.entries:
            aid = article_id(feed.key, entry.guid)
            if aid in present:
                continue
            present.add(aid)
            old = existing.get(aid)
            files = [e.to_dict() for e in entry.enclosures]
            # enclosures count only where there are some: other articles keep their hash
            bhash = body_hash(entry.content_html, entry.summary_html +
                              (json.dumps(files, sort_keys=True) if files else ""))
            doc = {
                "id": aid,
                "guid": entry.guid,
                "title": entry.title,
                "link": entry.link,
                "author": entry.author,
                "published": entry.published,
                "updated": entry.updated,
                "fetched_at": old["fetched_at"] if old else now,
                "has_content": bool(entry.content_html.strip()),
                "body_hash": bhash,
                "in_feed": True,
            }
            if old is None:
                new.append(aid)
            elif any(old.get(k) != doc[k] for k in ("title", "link", "author", "body_hash")):
                updated += 1
            merged[aid] = doc
            if restore or old is None or old.get("body_hash") != bhash:
                changed_bodies[aid] = {"id": aid, "content_html": entry.content_html,
                                       "summary_html": entry.summary_html,
                                       "base_url": entry.base_url}
                if files:
                    changed_bodies[aid]["enclosures"] = files
        for aid, old in existing.items():
            if aid not in merged:
                merged[aid] = dict(old, in_feed=False)
        merged = self._apply_limits(feed, merged, kept, now)
        meta_changed = (feed.feed_title != parsed.title or feed.site_url != parsed.site_url)
        feed.feed_title, feed.site_url = parsed.title, parsed.site_url
        dropped = set(existing) - set(merged)
        if changed_bodies or dropped or new or updated or not meta:
            self._rewrite_bodies(feed.key, dropped, changed_bodies)
        meta = dict(validators, title=parsed.title, site_url=parsed.site_url, kind=parsed.kind)
        self._save_docs(feed.key, meta, sorted(merged.values(), key=_doc_date, reverse=True),
                        dropped)
        if meta_changed:
            self._feeds_dirty = True  # saved once at the end of the refresh
        self._refresh_copies(feed, changed_bodies, merged)
        return new, updated

    def _rewrite_bodies(self, feed_key: str, drop: set[str],
                        add: dict[str, dict[str, Any]] | None = None) -> None:
        """Write a feed's bodies file without `drop` and with `add` (one rewrite)."""
        bodies = self._bodies_of(feed_key)
        for aid in drop:
            bodies.pop(aid, None)
        bodies.update(add or {})
        self.store.save_bodies(feed_key, bodies)
        self._unsaved_bodies.discard(feed_key)

    def _save_docs(self, feed_key: str, meta: dict[str, Any], ordered: list[dict[str, Any]],
                   dropped: set[str]) -> None:
        """Write a feed's article metadata, newest first; the read marks and full texts of
        the `dropped` articles go with them."""
        self.store.save_feed_cache(feed_key, meta, ordered)
        self._articles[feed_key] = ordered
        self._remember_summary(feed_key, meta, [d["id"] for d in ordered])
        if dropped:
            self.store.forget_read(feed_key, {d["id"] for d in ordered})
            self.store.delete_full(feed_key, dropped)

    def _apply_limits(self, feed: Feed, merged: dict[str, dict[str, Any]], kept: set[str],
                      now: float) -> dict[str, dict[str, Any]]:
        """Cache clean-up: drop old articles that left the feed, never kept (bookmarked or
        annotated) ones.

        Articles still in the feed are never dropped: they would come back as new and unread.
        """
        limit = int(self.settings.feed_option(feed.url, "max_articles",
                                              self.settings.max_articles_per_feed) or 0)
        max_age = float(self.settings.feed_option(feed.url, "max_age_days",
                                                  self.settings.max_age_days) or 0)
        removable = sorted((d for d in merged.values() if not d["in_feed"] and d["id"] not in kept),
                           key=_doc_date)
        drop: set[str] = set()
        if max_age:
            cutoff = now - max_age * 86400
            drop |= {d["id"] for d in removable if _doc_date(d) < cutoff}
        if limit and len(merged) - len(drop) > limit:
            excess = len(merged) - len(drop) - limit
            for d in removable:
                if excess <= 0:
                    break
                if d["id"] not in drop:
                    drop.add(d["id"])
                    excess -= 1
        return {k: v for k, v in merged.items() if k not in drop}

    # -- cache hygiene ----------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Disk use of the disposable cache per feed, of files left by removed feeds, and of
        the user's own data: {"feeds": [{key, title, url, articles, full_texts, bytes}],
        "orphans": bytes, "cache": bytes, "data": bytes}."""
        cache = self.store.cache_dir
        feeds = []
        for feed in self._feeds:
            sizes = [_size(cache / "feeds" / f"{feed.key}.json"),
                     _size(cache / "bodies" / f"{feed.key}.json"),
                     _tree_size(cache / "full" / feed.key)]
            feeds.append({"key": feed.key, "title": feed.title, "url": feed.url,
                          "articles": len(self._feed_docs(feed.key)),
                          "full_texts": len(self.store.full_ids(feed.key)),
                          "bytes": sum(sizes)})
        orphans = sum(_size(path) for path in self._orphan_files())
        total = _tree_size(cache)
        return {"feeds": feeds, "orphans": orphans, "cache": total,
                "data": _tree_size(self.store.data_dir)}

    def _orphan_files(self) -> list[Path]:
        """Cache files no subscription owns: feeds removed while a file was held elsewhere,
        full texts of articles that left the cache, temp files of an interrupted write."""
        cache = self.store.cache_dir
        keys = {f.key for f in self._feeds}
        out: list[Path] = []
        for sub in ("feeds", "bodies"):
            folder = cache / sub
            if folder.is_dir():
                out += [p for p in folder.iterdir() if p.is_file() and (
                    p.name.endswith(".tmp") or (p.suffix == ".json" and p.stem not in keys))]
        full = cache / "full"
        if full.is_dir():
            for folder in full.iterdir():
                if not folder.is_dir():
                    continue
                if folder.name not in keys:
                    out += [p for p in folder.iterdir() if p.is_file()]
                    continue
                ids = {d["id"] for d in self._feed_docs(folder.name)}
                out += [p for p in folder.iterdir() if p.is_file() and (
                    p.name.endswith(".tmp") or p.stem not in ids)]
        out += [p for p in cache.glob(".*.tmp") if p.is_file()]
        return out

    def cleanup(self) -> dict[str, int]:
        """Apply the cache limits now and compact the cache: drop articles past the limits
        (never bookmarked or annotated ones, never ones still in their feed), their bodies
        and full texts, and files no subscription owns. User data is not touched.
        Returns {"articles": removed, "files": removed, "before": bytes, "after": bytes}."""
        self._need_lock()
        before = _tree_size(self.store.cache_dir)
        kept = self.kept_ids()
        removed = 0
        now = time.time()
        for feed in self._feeds:
            docs = self._feed_docs(feed.key)
            if not docs:
                continue
            merged = {d["id"]: d for d in docs}
            limited = self._apply_limits(feed, merged, kept, now)
            dropped = set(merged) - set(limited)
            stale = set(self._bodies_of(feed.key)) - set(limited)
            if dropped or stale:
                self._rewrite_bodies(feed.key, dropped | stale)
            if dropped:
                meta = self.store.load_feed_cache(feed.key)[0]
                self._save_docs(feed.key, meta, [d for d in docs if d["id"] in limited], dropped)
                removed += len(dropped)
        orphans = self._orphan_files()
        for path in orphans:
            path.unlink(missing_ok=True)
        full = self.store.cache_dir / "full"
        if full.is_dir():
            for folder in full.iterdir():
                if folder.is_dir() and not any(folder.iterdir()):
                    folder.rmdir()
        self.store.save_status(self._status)
        return {"articles": removed, "files": len(orphans), "before": before,
                "after": _tree_size(self.store.cache_dir)}

    # -- articles -------------------------------------------------------------------------
    def _feed_docs(self, feed_key: str) -> list[dict[str, Any]]:
        docs = self._articles.get(feed_key)
        if docs is None:
            docs = self._articles[feed_key] = self.store.load_feed_cache(feed_key)[1]
        return docs

    def _to_article(self, doc: dict[str, Any], feed: Feed, read: set[str],
                    bookmarks: dict[str, Any], annotated: dict[str, int]) -> Article:
        return Article(
            id=doc["id"], feed_key=feed.key, guid=doc["guid"], title=doc.get("title", ""),
            link=doc.get("link", ""), author=doc.get("author", ""),
            published=doc.get("published"), updated=doc.get("updated"),
            fetched_at=doc.get("fetched_at", 0.0), has_content=doc.get("has_content", False),
            feed_title=feed.title, read=doc["id"] in read, bookmarked=doc["id"] in bookmarks,
            notes=annotated.get(doc["id"], 0),
        )

    def articles(self, feed: str | None = None, *, unread: bool = False,
                 bookmarked: bool = False, search: str | None = None,
                 annotated: bool = False) -> list[Article]:
        """Articles, newest first, filtered; `annotated`: only articles with notes. Bookmarked
        and annotated articles the cache no longer holds (their feed was removed, or the cache
        deleted) come from their kept copies."""
        feeds = [self.find_feed(feed)] if feed else self._feeds
        bookmarks = self.bookmarks()
        counts = self.annotated()
        wanted = self._search_ids(search) if search else None
        out: list[Article] = []
        for f in feeds:
            read = self.store.read_ids(f.key)
            for doc in self._feed_docs(f.key):
                if wanted is not None and doc["id"] not in wanted:
                    continue
                if unread and doc["id"] in read:
                    continue
                if bookmarked and doc["id"] not in bookmarks:
                    continue
                if annotated and doc["id"] not in counts:
                    continue
                out.append(self._to_article(doc, f, read, bookmarks, counts))
        subscribed = {f.key for f in self._feeds}
        cached: dict[str, set[str]] = {}  # feed key -> ids in its cache, for feeds with copies
        for aid, copy in self._copies().items():
            if unread and not (bookmarked or annotated):
                continue
            if wanted is not None and aid not in wanted:
                continue
            if (bookmarked and aid not in bookmarks) or (annotated and aid not in counts):
                continue
            key = copy["article"].get("feed_key", "")
            if feed and key != feeds[0].key:
                continue
            if key in subscribed:
                if key not in cached:
                    cached[key] = {d["id"] for d in self._feed_docs(key)}
                if aid in cached[key]:
                    continue
            out.append(_article_from_copy(copy, bookmarked=aid in bookmarks,
                                          notes=counts.get(aid, 0)))
        out.sort(key=lambda a: a.date, reverse=True)
        return out

    def _search_ids(self, query: str) -> set[str]:
        """Ids of the articles whose shown text, title, author, notes or quotes have every
        word of `query` (each word the start of a word there). Cached articles come from the
        search index, brought up to date first; notes and kept copies are read directly."""
        from reader.search import has_words, query_words

        words = query_words(query)
        if not words:
            return set()
        found = set(self._current_index().search(query))
        noted: dict[str, list[str]] = {}
        for note in self._note_docs().values():
            noted.setdefault(note["article_id"], []).extend((note["text"], note["quote"]))
        found.update(aid for aid, texts in noted.items()
                     if has_words("\n".join(texts), words))
        subscribed = {f.key for f in self._feeds}
        cached: dict[str, set[str]] = {}
        for aid, copy in self._copies().items():
            key = copy["article"].get("feed_key", "")
            if key in subscribed and key not in cached:
                cached[key] = {d["id"] for d in self._feed_docs(key)}
            if aid in found or aid in cached.get(key, ()):
                continue  # indexed with its feed
            if has_words(self._copy_search_text(aid, copy), words):
                found.add(aid)
        return found

    def _copy_search_text(self, aid: str, copy: dict[str, Any]) -> str:
        """A kept copy's words (its feed is gone or no longer holds it), remembered."""
        memo = self._copy_words.get(aid)
        body = copy.get("body") or {}
        key = (body.get("full_fetched_at"), copy["article"].get("title"))
        if memo is None or memo[0] != key:
            from reader import convert

            article = copy["article"]
            html = body.get("full_html") or body.get("content_html") or body.get(
                "summary_html", "")
            text = convert.search_text(html, base_url=body.get("full_url") or body.get(
                "base_url") or article.get("link", ""),
                extra_rules=self.settings.site_rules or None)
            memo = self._copy_words[aid] = (key, "\n".join(
                (article.get("title", ""), article.get("author", ""), text)))
        return memo[1]

    def _current_index(self) -> Any:
        """The search index, with every feed whose cache files changed indexed again (only
        its articles whose words may have changed are read and converted to words)."""
        from reader import convert
        from reader.search import SearchIndex

        if self._index is None:
            self._index = SearchIndex(self.paths.cache_dir / "search.sqlite")
        index = self._index
        rules = self.settings.site_rules or None
        # what turns HTML into words: a new rule or converter indexes every article again
        words_from = (f"{hashlib.sha1(repr(rules).encode()).hexdigest()[:12]}."
                      f"{convert.CONVERTER_VERSION}")
        indexed = index.feed_signatures()
        written = 0
        for feed in self._feeds:
            signature = f"{self.store.feed_files_signature(feed.key)}:{words_from}"
            if indexed.get(feed.key) == signature:
                continue
            written += index.update_feed(feed.key, signature,
                                         self._index_items(feed.key, rules, words_from))
        if indexed.keys() - {f.key for f in self._feeds}:
            index.forget_feeds({f.key for f in self._feeds})
            written += 1
        if written and index.compact():  # emptied to drop stale words: index everything again
            return self._current_index()
        return index

    def _index_items(self, feed_key: str, rules: list[dict[str, Any]] | None, words_from: str
                     ) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """(article id, signature of its words' sources, maker of its IndexDoc) for each
        article the feed's cache holds: the full text's words when one was fetched, else the
        feed's text (content, or the summary), as the converter would show them."""
        from reader import convert
        from reader.search import IndexDoc

        full_ids = self.store.full_ids(feed_key)
        bodies: dict[str, dict[str, Any]] = {}

        def make(doc: dict[str, Any], full: dict[str, Any] | None) -> IndexDoc:
            if full is not None:
                html, base = full["html"], full.get("final_url") or full.get("url", "")
            else:
                if not bodies:
                    bodies.update(self._bodies_of(feed_key))
                body = bodies.get(doc["id"]) or {}
                html = body.get("content_html", "")
                if not html.strip():
                    html = body.get("summary_html", "")
                base = body.get("base_url") or doc.get("link", "")
            return IndexDoc(doc["id"], doc.get("title", ""), doc.get("author", ""),
                            convert.search_text(html, base_url=base, extra_rules=rules))

        for doc in self._feed_docs(feed_key):
            full = self.store.load_full(feed_key, doc["id"]) if doc["id"] in full_ids else None
            full = full if full and full.get("html") else None
            sig = "|".join((words_from, doc.get("body_hash", ""), doc.get("title", ""),
                            doc.get("author", ""), str(full["fetched_at"]) if full else ""))
            yield doc["id"], sig, functools.partial(make, doc, full)

    def article(self, ref: str) -> Article:
        """One article by id or unique id prefix (at least 4 characters)."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise LibraryError(f"{ref!r}: give at least 4 characters of the article id")
        matches = [a for a in self.articles() if a.id.startswith(ref)]
        if not matches:
            raise LibraryError(f"{ref}: no such article (see `reader articles`)")
        if len(matches) > 1 and not any(a.id == ref for a in matches):
            raise LibraryError(f"{ref}: several articles start with this id; give more of it")
        return next((a for a in matches if a.id == ref), matches[0])

    def body(self, article: Article) -> dict[str, Any]:
        """{content_html, summary_html, base_url, ...} from the cache or the kept copy."""
        body = self._bodies_of(article.feed_key).get(article.id)
        return body or self._copy_body(article.id) or {"content_html": "", "summary_html": "",
                                                       "base_url": article.link}

    def enclosures(self, article: Article) -> list[Enclosure]:
        """The files the feed attached to the article (podcast audio, video, images)."""
        found = self.body(article).get("enclosures") or []
        return [Enclosure.from_dict(e) for e in found if isinstance(e, dict) and e.get("url")]

    def converted(self, article: Article, *, defer_save: bool = False) -> Any:
        """The article as clean Markdown (reader.convert.Converted), cached with the body.

        With `defer_save` the new Markdown is kept in memory and written by the next
        `save_conversions()` call, so showing an article never waits on a file rewrite.
        """
        from reader import convert

        bodies = self._bodies_of(article.feed_key)
        body = bodies.get(article.id) or self._copy_body(article.id) or {}
        content = body.get("content_html", "")
        summary_only = not content.strip()
        source = body.get("summary_html", "") if summary_only else content
        base = body.get("base_url") or article.link
        key = convert.cache_key(source + ("\x00summary" if summary_only else ""))
        if body.get("md_key") == key and "markdown" in body and "links" in body:
            return convert.Converted(
                markdown=body["markdown"],
                links=[convert.Link(**link) for link in body["links"]],
                summary_only=summary_only,
            )
        result = convert.convert(source, base_url=base, summary_only=summary_only,
                                 extra_rules=self.settings.site_rules or None)
        if self.writable and article.id in bodies:
            body.update(md_key=key, markdown=result.markdown,
                        links=[vars(link) for link in result.links])
            self._unsaved_bodies.add(article.feed_key)
            if not defer_save:
                self.save_conversions()
        return result

    # -- full text ----------------------------------------------------------------------------
    def _feed_of(self, feed_key: str) -> Feed | None:
        return next((f for f in self._feeds if f.key == feed_key), None)

    def _full_text_rule(self, feed: Feed | None) -> bool | None:
        """True: fetch every article's page; False: none; None: summary-only articles."""
        option = self.settings.feed_option(feed.url, "full_text") if feed else None
        if isinstance(option, bool):
            return option
        mode = self.settings.full_text_feeds
        return True if mode == "all" else None if mode == "summary-only" else False

    def wants_full_text(self, article: Article) -> bool:
        """Whether this article's page is fetched automatically: the feed's `full_text`
        option, else [full_text] feeds ("summary-only" articles, "all" or "none")."""
        rule = self._full_text_rule(self._feed_of(article.feed_key))
        return rule if rule is not None else not article.has_content

    def full_text(self, article: Article) -> dict[str, Any] | None:
        """The fetched full text {url, final_url, fetched_at, html, title, error, error_at}
        from the cache, else from the article's kept copy; None when never fetched."""
        doc = None
        if self._feed_of(article.feed_key) is not None:
            doc = self.store.load_full(article.feed_key, article.id)
        if doc is None or not doc.get("html"):
            copy = self._copy_body(article.id)
            if copy and copy.get("full_html"):
                kept = {"url": copy.get("full_url", ""), "final_url": copy.get("full_url", ""),
                        "fetched_at": copy.get("full_fetched_at", 0.0),
                        "html": copy["full_html"], "title": "", "error": ""}
                doc = kept | ({"error": doc.get("error", ""), "error_at": doc.get("error_at", 0)}
                              if doc else {})
        return doc

    def full_text_targets(self, ids: Iterable[str] | None = None, *, retry: bool = False
                          ) -> list[Article]:
        """Articles whose full text should be fetched and is not here yet: of the given ids
        (a refresh's new articles), else every cached article, plus (with no ids) bookmarked
        and annotated ones whose feed text is only a summary. `retry`: also those whose last
        fetch failed."""
        wanted = set(ids) if ids is not None else None
        if wanted is not None and not wanted:
            return []
        kept = self.kept_ids() if wanted is None else set()
        bookmarks, counts = self.bookmarks(), self.annotated()
        out: list[Article] = []
        for feed in self._feeds:
            rule = self._full_text_rule(feed)
            if rule is False and not kept:
                continue
            docs = self._feed_docs(feed.key)
            chosen = [d for d in docs if (wanted is None or d["id"] in wanted) and (
                rule is True or (rule is None and not d.get("has_content"))
                or (d["id"] in kept and not d.get("has_content")))]
            if not chosen:
                continue
            have = self.store.full_ids(feed.key)
            read = self.store.read_ids(feed.key)
            room = self.settings.full_text_max_per_feed or len(chosen)
            for doc in sorted(chosen, key=_doc_date, reverse=True):
                article = self._to_article(doc, feed, read, bookmarks, counts)
                if self._needs_fetch(article, doc["id"] in have, retry):
                    out.append(article)
                    room -= 1
                    if room <= 0:
                        break
        if wanted is None:  # kept articles whose feed is gone: their copies get the text
            cached = {d["id"] for f in self._feeds for d in self._feed_docs(f.key)}
            for aid, copy in self._copies().items():
                if aid in cached or copy["article"].get("summary_only") is False:
                    continue
                article = _article_from_copy(copy, bookmarked=aid in bookmarks,
                                             notes=counts.get(aid, 0))
                if self._needs_fetch(article, False, retry):
                    out.append(article)
        return out

    def _needs_fetch(self, article: Article, has_file: bool, retry: bool) -> bool:
        if not article.link.lower().startswith(("http://", "https://")):
            return False
        if has_file:
            doc = self.full_text(article) or {}
            return not doc.get("html") and (retry or not doc.get("error"))
        return not (self._copy_body(article.id) or {}).get("full_html")

    def fetch_full_blocking(self, articles: list[Article],
                            on_progress: Callable[[int, int, FullTextResult], None] | None = None,
                            *, force: bool = False) -> list[FullTextResult]:
        """`fetch_full` for callers without an event loop (the CLI)."""
        return asyncio.run(self.fetch_full(articles, on_progress, force=force))

    async def fetch_full(self, articles: list[Article],
                         on_progress: Callable[[int, int, FullTextResult], None] | None = None,
                         *, force: bool = False) -> list[FullTextResult]:
        """Fetch the web pages of `articles`, extract their main text and store it with the
        article (and in its kept copy, if bookmarked or annotated). At most [full_text]
        concurrency pages at once. A failure keeps what was there: the feed text, and any
        full text fetched before; the reason is stored and shown."""
        self._need_lock()
        results: list[FullTextResult] = []
        total = len(articles)

        def report(result: FullTextResult) -> None:
            results.append(result)
            if on_progress is not None:
                on_progress(len(results), total, result)

        if self.offline:
            for article in articles:
                report(FullTextResult(article.id, "offline", error="offline",
                                      title=article.title))
            return results
        async with self._fetcher(self.settings.full_text_concurrency) as fetcher:

            down = 0
            tasks: list[asyncio.Task[None]] = []

            async def one(article: Article) -> None:
                nonlocal down
                try:
                    result = await self._fetch_full_one(article, fetcher, force)
                except StoreError as exc:
                    result = FullTextResult(article.id, "error", error=str(exc))
                except Exception as exc:  # noqa: BLE001 - one page must not stop the rest
                    result = FullTextResult(article.id, "error",
                                            error=f"internal error: {type(exc).__name__}: {exc}")
                result.title = article.title
                report(result)
                down = down + 1 if result.status == "offline" else -len(articles)
                if down >= 8:  # no page answers at all: the network is gone, stop here
                    _cancel_others(tasks)

            tasks.extend(asyncio.ensure_future(one(a)) for a in articles)
            await asyncio.gather(*tasks, return_exceptions=True)
        done = {r.article_id for r in results}
        for article in articles:
            if article.id not in done:
                report(FullTextResult(article.id, "offline", error="offline (no page answered)",
                                      title=article.title))
        order = {a.id: i for i, a in enumerate(articles)}
        results.sort(key=lambda r: order.get(r.article_id, 0))
        return results

    async def _fetch_full_one(self, article: Article, fetcher: Any, force: bool
                              ) -> FullTextResult:
        from reader.fetch import is_private_url, is_trusted_source

        old = self.full_text(article) or {}
        if old.get("html") and not force:
            return FullTextResult(article.id, "skipped")
        link = article.link
        if not link.lower().startswith(("http://", "https://")):
            reason = "the article has no web address" if not link else \
                f"its link is not a web page ({link[:60]})"
            return FullTextResult(article.id, "error", error=reason)
        feed = self._feed_of(article.feed_key)
        trusted = feed is not None and is_trusted_source(feed.origin_url)
        if is_private_url(link) and not trusted:
            return FullTextResult(article.id, "error", error=(
                "its link points into this computer or the local network; pages there are "
                "fetched only for feeds that come from there too"))
        fetched = await fetcher.fetch_page(link, public_only=not trusted)
        if fetched.status == "error" and fetched.network_down:
            return FullTextResult(article.id, "offline", error=f"offline ({fetched.error})")
        error = ""
        extracted = None
        if fetched.status == "error":
            error = fetched.error
        else:
            from reader.extract import ExtractError, extract

            try:
                extracted = await asyncio.to_thread(
                    extract, fetched.body, fetched.final_url or link, fetched.content_type)
            except ExtractError as exc:
                error = str(exc)
        now = time.time()
        if extracted is None:
            doc = dict(old, error=one_line(error), error_at=now)
            doc.setdefault("url", link)
            await self.write(self._save_full, article, doc)
            return FullTextResult(article.id, "error", error=doc["error"])
        doc = {"url": link, "final_url": fetched.final_url or link, "fetched_at": now,
               "html": extracted.html, "title": one_line(extracted.title), "error": ""}
        await self.write(self._save_full, article, doc)
        return FullTextResult(article.id, "ok")

    def _save_full(self, article: Article, doc: dict[str, Any]) -> None:
        """Store a full-text document (writer thread); kept copies get the text too."""
        self._need_lock()
        if self._feed_of(article.feed_key) is not None:
            self.store.save_full(article.feed_key, article.id, doc)
        self._full_memo.pop(article.id, None)
        if doc.get("html"):
            full = _copy_fields(doc)
            self._patch_copies([article.id], lambda aid, copy: dict(
                copy, body=dict(copy["body"], **full)))

    def text(self, article: Article, *, prefer: str = "auto", defer_save: bool = False
             ) -> ArticleText:
        """What to show for an article: the fetched full text when there is one (`prefer`
        "auto" or "full"), else the feed's own text (`prefer` "feed"), as Markdown."""
        full = self.full_text(article) or {}
        has_full = bool(full.get("html"))
        info = {"full_available": has_full, "full_error": full.get("error", ""),
                "full_fetched_at": full.get("fetched_at", 0.0),
                "full_url": full.get("final_url") or full.get("url", "")}
        if has_full and prefer != "feed":
            from reader import convert

            key = convert.cache_key(full["html"], base_url=info["full_url"],
                                    extra_rules=self.settings.site_rules or None)
            memo = self._full_memo.get(article.id)
            if memo is None or memo[0] != key:
                result = convert.convert(full["html"], base_url=info["full_url"],
                                         extra_rules=self.settings.site_rules or None)
                memo = self._full_memo[article.id] = (key, result)
                while len(self._full_memo) > 64:
                    del self._full_memo[next(iter(self._full_memo))]
            return ArticleText(markdown=memo[1].markdown, links=memo[1].links, source="full",
                               **info)
        converted = self.converted(article, defer_save=defer_save)
        return ArticleText(markdown=converted.markdown, links=converted.links,
                           source="summary" if converted.summary_only else "feed", **info)

    def save_conversions(self) -> None:
        """Write converted Markdown still held in memory (one rewrite per feed touched)."""
        for feed_key in sorted(self._unsaved_bodies):
            bodies = self._bodies_memo.get(feed_key)
            if bodies is not None:
                self.store.save_bodies(feed_key, bodies)
        self._unsaved_bodies.clear()

    def _bodies_of(self, feed_key: str) -> dict[str, dict[str, Any]]:
        """A feed's bodies, remembered for the last few feeds read (reading stays in a feed)."""
        bodies = self._bodies_memo.get(feed_key)
        if bodies is None:
            bodies = self.store.load_bodies(feed_key)
            self._bodies_memo[feed_key] = bodies
            for stale in list(self._bodies_memo)[:-3]:
                if stale not in self._unsaved_bodies:
                    del self._bodies_memo[stale]
        return bodies

    def set_read(self, ids: Iterable[str], read: bool = True) -> int:
        """Mark articles read/unread; returns how many changed feeds were written."""
        self._need_lock()
        by_feed: dict[str, set[str]] = {}
        known = {doc["id"]: f.key for f in self._feeds for doc in self._feed_docs(f.key)}
        for aid in ids:
            if aid in known:
                by_feed.setdefault(known[aid], set()).add(aid)
        return sum(self.store.set_read(k, v, read) for k, v in by_feed.items())

    def mark_read(self, article: Article, read: bool = True) -> None:
        """Mark one article read/unread (rewrites one small per-feed file)."""
        self._need_lock()
        self.store.set_read(article.feed_key, [article.id], read)

    def mark_feed_read(self, ref: str) -> int:
        """Mark every article of a feed read; returns how many were unread."""
        self._need_lock()
        feed = self.find_feed(ref)
        ids = {d["id"] for d in self._feed_docs(feed.key)}
        unread = len(ids - self.store.read_ids(feed.key))
        self.store.set_read(feed.key, ids, True)
        return unread

    def counts(self) -> dict[str, tuple[int, int]]:
        """feed key -> (unread, total)."""
        out = {}
        for feed in self._feeds:
            summary = None if feed.key in self._articles else self._summary(feed.key)
            if summary is not None:
                ids = summary["ids"]
            else:
                ids = [d["id"] for d in self._feed_docs(feed.key)]
            read = self.store.read_ids(feed.key)
            out[feed.key] = (sum(1 for i in ids if i not in read), len(ids))
        return out

    # -- bookmarks --------------------------------------------------------------------------
    def bookmarks(self) -> dict[str, dict[str, Any]]:
        """article id -> kept copy {id, at, article, body}."""
        if self._bookmarks is None:
            self._bookmarks = self.store.load_bookmarks()
        return self._bookmarks

    def kept_ids(self) -> set[str]:
        """Articles cache clean-up must never remove: bookmarked and annotated ones."""
        return set(self.bookmarks()) | set(self.annotated())

    def set_bookmark(self, article: Article, on: bool = True) -> bool:
        """Bookmark (keeping a full copy, safe from cache clean-up) or unbookmark."""
        self._need_lock()
        marks = dict(self.bookmarks())
        if on == (article.id in marks):
            return False
        if on:
            marks[article.id] = self._make_copy(article)
        else:
            del marks[article.id]
        self.store.save_bookmarks(marks)
        self._bookmarks = marks
        return True

    def _make_copy(self, article: Article) -> dict[str, Any]:
        """A full copy of an article (metadata and HTML), safe from cache clean-up."""
        body = self.body(article)
        feed = next((f for f in self._feeds if f.key == article.feed_key), None)
        return {
            "id": article.id,
            "at": time.time(),
            "article": article.to_json() | {"fetched_at": article.fetched_at,
                                            "feed_tags": list(feed.tags) if feed else []},
            "body": {k: body.get(k, "") for k in ("content_html", "summary_html", "base_url")}
            | ({"enclosures": body["enclosures"]} if body.get("enclosures") else {})
            | self._full_fields(article),
        }

    def _full_fields(self, article: Article) -> dict[str, Any]:
        """The fetched full text, as kept in a copy's body (empty when there is none)."""
        full = self.full_text(article) or {}
        return _copy_fields(full) if full.get("html") else {}

    def _copies(self) -> dict[str, dict[str, Any]]:
        """Every kept copy, article id -> copy: the annotated ones, then the bookmarked ones."""
        return self._kept_docs() | self.bookmarks()

    def kept_copy(self, aid: str) -> dict[str, Any] | None:
        """The kept copy {id, at, article, body} of a bookmarked or annotated article."""
        return self.bookmarks().get(aid) or self._kept_docs().get(aid)

    def _copy_body(self, aid: str) -> dict[str, Any] | None:
        copy = self.kept_copy(aid)
        return dict(copy["body"]) if copy else None

    def _refresh_copies(self, feed: Feed, changed: dict[str, dict[str, Any]],
                        merged: dict[str, dict[str, Any]]) -> None:
        """A refresh that changed a kept article updates its copies (one write)."""

        def patch(aid: str, copy: dict[str, Any]) -> dict[str, Any]:
            body, doc = changed[aid], merged[aid]
            return dict(copy, body=dict(copy["body"], **{
                k: body[k] for k in ("content_html", "summary_html", "base_url", "enclosures")
                if k in body}),
                article=dict(copy["article"], title=doc["title"], link=doc["link"],
                             author=doc["author"]))

        self._patch_copies(changed, patch)

    def _patch_copies(self, aids: Iterable[str],
                      patch: Callable[[str, dict[str, Any]], dict[str, Any]]) -> None:
        """Replace the bookmark and note copies of `aids` by `patch(aid, copy)`, in one write
        of marks.json (none when no copy is touched)."""
        aids = set(aids)
        tables: dict[str, dict[str, dict[str, Any]]] = {}
        for name, copies in (("bookmarks", self.bookmarks()), ("kept", self._kept_docs())):
            touched = aids & set(copies)
            if touched:
                tables[name] = dict(copies) | {aid: patch(aid, copies[aid]) for aid in touched}
        if tables:
            self.store.save_marks(**tables)
            self._bookmarks = tables.get("bookmarks", self._bookmarks)
            self._kept = tables.get("kept", self._kept)

    # -- notes ------------------------------------------------------------------------------
    def _note_docs(self) -> dict[str, dict[str, Any]]:
        if self._notes is None:
            self._notes = self.store.load_notes()
        return self._notes

    def _kept_docs(self) -> dict[str, dict[str, Any]]:
        if self._kept is None:
            self._kept = self.store.load_kept()
        return self._kept

    def _to_note(self, doc: dict[str, Any], titles: dict[str, str] | None = None) -> Note:
        """A stored note with its article's title, link and feed (from the kept copy)."""
        if titles is None:
            titles = {f.key: f.title for f in self._feeds}
        copy = self.kept_copy(doc["article_id"])
        meta = copy["article"] if copy else {}
        return Note(
            id=doc["id"], article_id=doc["article_id"], text=doc.get("text", ""),
            quote=doc.get("quote", ""), created=doc.get("created", 0.0),
            edited=doc.get("edited", 0.0), article_title=meta.get("title", ""),
            article_link=meta.get("link", ""),
            feed_title=titles.get(meta.get("feed_key", ""), meta.get("feed_title", "")),
        )

    def notes(self, article_id: str | None = None) -> list[Note]:
        """One article's notes, oldest first; with no id, every note, newest edited first."""
        docs = self._note_docs().values()
        titles = {f.key: f.title for f in self._feeds}
        if article_id is not None:
            return sorted((self._to_note(d, titles) for d in docs
                           if d["article_id"] == article_id), key=lambda n: n.created)
        return sorted((self._to_note(d, titles) for d in docs), key=lambda n: n.edited,
                      reverse=True)

    def annotated(self) -> dict[str, int]:
        """article id -> how many notes it carries."""
        counts: dict[str, int] = {}
        for doc in self._note_docs().values():
            counts[doc["article_id"]] = counts.get(doc["article_id"], 0) + 1
        return counts

    def find_note(self, ref: str) -> Note:
        """A note by id or unique id prefix (at least 4 characters); LibraryError otherwise."""
        return self._to_note(self._note_doc(ref))

    def _note_doc(self, ref: str) -> dict[str, Any]:
        ref = ref.strip().lower()
        docs = self._note_docs()
        if ref in docs:
            return docs[ref]
        matches = [d for i, d in docs.items() if len(ref) >= 4 and i.startswith(ref)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise LibraryError(f"{ref}: several notes start with this id; give more of it")
        raise LibraryError(f"{ref}: no such note (see `reader notes`)")

    def add_note(self, article: Article, text: str, quote: str = "") -> Note:
        """Write a note on an article. Keeps a full copy of the article (not a bookmark), so the
        note and the article outlive cache clean-up and the feed's removal."""
        self._need_lock()
        text, quote = _note_text(text), _note_text(quote)
        if not text.strip() and not quote.strip():
            raise LibraryError("a note needs some text or a quote")
        now = time.time()
        doc = {"id": _new_note_id(self._note_docs()), "article_id": article.id, "text": text,
               "quote": quote, "created": now, "edited": now}
        notes = dict(self._note_docs())
        notes[doc["id"]] = doc
        kept = self._kept_docs()
        if article.id not in kept:
            kept = dict(kept)
            kept[article.id] = self._make_copy(article)
        self.store.save_marks(notes=notes, kept=kept)  # note and copy land together
        self._notes, self._kept = notes, kept
        return self._to_note(doc)

    def edit_note(self, note_id: str, text: str, quote: str | None = None) -> Note:
        """Change a note's text (and its quote, unless None); sets its edited time."""
        self._need_lock()
        old = self._note_doc(note_id)
        text = _note_text(text)
        quote = old.get("quote", "") if quote is None else _note_text(quote)
        if not text.strip() and not quote.strip():
            raise LibraryError("a note needs some text or a quote (delete it instead)")
        doc = dict(old, text=text, quote=quote, edited=max(time.time(), old.get("edited", 0.0)))
        notes = dict(self._note_docs())
        notes[doc["id"]] = doc
        self.store.save_marks(notes=notes)
        self._notes = notes
        return self._to_note(doc)

    def delete_note(self, note_id: str) -> None:
        """Delete a note; the article's copy goes with its last note (a bookmark keeps its own)."""
        self._need_lock()
        doc = self._note_doc(note_id)
        notes = {i: d for i, d in self._note_docs().items() if i != doc["id"]}
        kept = self._kept_docs()
        if not any(d["article_id"] == doc["article_id"] for d in notes.values()):
            kept = {i: c for i, c in kept.items() if i != doc["article_id"]}
        self.store.save_marks(notes=notes, kept=kept)
        self._notes, self._kept = notes, kept

    def export_notes(self, folder: Path, *, with_article: bool = False) -> list[Path]:
        """Write one Markdown file per annotated or bookmarked article into `folder` (see
        reader.export); returns their paths. Files of articles no longer annotated or
        bookmarked are left alone."""
        from reader.export import export_notes

        return export_notes(self, Path(folder), with_article=with_article)


_STATUS_FIELDS = ("last_checked", "last_success", "last_error", "last_warning", "retry_after",
                  "failures", "failing_since", "gone")
_SUBSCRIPTION_FIELDS = ("key", "url", "subscribed_url", "custom_title", "feed_title", "site_url",
                        "tags", "added_at")


def _follow_move(feed: Feed, fetched: Any, result: FeedResult) -> FeedResult:
    """A feed that answered well after permanent redirects (301/308 only) is stored at its new
    URL; an error answer, or a body that is no feed, moves nothing. The URL the user
    subscribed to is kept: it alone says whether the feed is local (`Feed.origin_url`)."""
    if fetched.moved_permanently and fetched.final_url and fetched.final_url != feed.url:
        result.new_url = fetched.final_url
        feed.subscribed_url, feed.url = feed.origin_url, fetched.final_url
    return result


def clean_tags(tags: Iterable[str]) -> list[str]:
    """Tags as stored: one line each, no commas (OPML `category` separates with them), unique
    regardless of case (`Tech` and `tech` are one tag: the first spelling is kept)."""
    out: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = one_line(tag.replace(",", " ")).strip("/")
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            out.append(tag)
    return out


def _cancel_others(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel every task of a gather but the one running this."""
    for task in tasks:
        if task is not asyncio.current_task():
            task.cancel()


def offline_reason(results: Iterable[FeedResult]) -> str:
    """Why a refresh found no network (the first "offline" result's reason), for messages."""
    for result in results:
        if result.status == "offline":
            return result.error.removeprefix("offline (").removesuffix(")")
    return ""


def _copy_fields(full: dict[str, Any]) -> dict[str, Any]:
    """A fetched full-text document as the fields a kept copy's body holds."""
    return {"full_html": full["html"], "full_url": full.get("final_url") or full["url"],
            "full_fetched_at": full.get("fetched_at", 0.0)}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _tree_size(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        total += sum(_size(Path(root) / name) for name in files)
    return total


def _doc_date(doc: dict[str, Any]) -> float:
    return doc.get("published") or doc.get("updated") or doc.get("fetched_at") or 0.0


def _note_text(text: str) -> str:
    """The user's text as stored: exactly as given, less control characters (tab and newline
    stay; a carriage return becomes a newline)."""
    return strip_control(text or "")


def _new_note_id(existing: dict[str, Any]) -> str:
    while True:
        nid = secrets.token_hex(6)
        if nid not in existing:
            return nid


def _article_from_copy(mark: dict[str, Any], *, bookmarked: bool = True, notes: int = 0
                       ) -> Article:
    a = mark["article"]
    return Article(
        id=mark["id"], feed_key=a.get("feed_key", ""), guid=a.get("guid", ""),
        title=a.get("title", ""), link=a.get("link", ""), author=a.get("author", ""),
        published=a.get("published"), updated=a.get("updated"),
        fetched_at=a.get("fetched_at", 0.0), has_content=not a.get("summary_only", False),
        feed_title=a.get("feed_title", ""), read=True, bookmarked=bookmarked, notes=notes,
    )


class _ParsePool:
    """Parses off the event loop: worker processes for many feeds, a thread for a few.

    Worker processes that cannot be started (or that die) never fail a feed: the pool falls
    back to threads and the feed is parsed there."""

    def __init__(self, feed_count: int):
        self._executor: Executor | None = None
        self._use_processes = feed_count >= _PROCESS_POOL_MIN_FEEDS and (os.cpu_count() or 1) > 1

    def _get(self) -> Executor:
        if self._executor is None and self._use_processes:
            try:
                self._executor = _start_process_pool()
            except (OSError, ValueError, RuntimeError):
                self._use_processes = False
        if self._executor is None:
            from concurrent.futures import ThreadPoolExecutor

            self._executor = ThreadPoolExecutor(max_workers=2)
        return self._executor

    async def parse(self, data: bytes, url: str, content_type: str) -> ParsedFeed | str:
        from concurrent.futures.process import BrokenProcessPool

        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._get(), _parse_in_worker, data, url,
                                              content_type)
        except BrokenProcessPool:  # a worker died (killed, out of memory): go on in threads
            if self._use_processes:
                self._use_processes = False
                broken, self._executor = self._executor, None
                if broken is not None:
                    _stop_pool(broken)
            return await loop.run_in_executor(self._get(), _parse_in_worker, data, url,
                                              content_type)

    def shutdown(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
