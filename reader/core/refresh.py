"""The refresh pipeline: fetch -> parse -> decide -> store, for many feeds at once.

This module does the I/O and keeps the feeds' status; what a parsed feed changes in the cache
is decided by the pure `merge.decide`, and stored by `Articles.apply_merge` on the writer
thread. Offline, network feeds are not fetched; when no network feed answers at all the
refresh says "offline" and records no errors."""

from __future__ import annotations

import asyncio
import hashlib
import time
import urllib.parse
from collections.abc import Callable, Iterable
from typing import Any

from reader.core.articles import Articles, OverArticles
from reader.core.filters import FeedScreen, apply_filters, names_of
from reader.core.marks import Marks
from reader.core.merge import decide
from reader.core.parsepool import FeedParser, ParsePool
from reader.core.runner import StopOthers, run_all
from reader.core.schedule import heed_server
from reader.core.session import Session
from reader.core.subscriptions import Subscriptions
from reader.errors import StoreError
from reader.models import Feed, FeedResult, ParsedFeed
from reader.storage.documents import CacheSummary, FeedMeta
from reader.textutil import one_line, when_text

ProgressCallback = Callable[[int, int, FeedResult], None]

_DOWN_FEEDS, _DOWN_HOSTS = 8, 3
"""This many feeds on this many hosts unreachable, and nothing answered: the network is down."""


def offline_reason(results: Iterable[FeedResult]) -> str:
    """Why a refresh found no network (the first "offline" result's reason), for messages."""
    for result in results:
        if result.status == "offline":
            return result.error.removeprefix("offline (").removesuffix(")")
    return ""


def _follow_move(feed: Feed, fetched: Any, result: FeedResult) -> FeedResult:
    """A feed that answered well after permanent redirects (301/308 only) is stored at its new
    URL; an error answer, or a body that is no feed, moves nothing. The URL the user
    subscribed to is kept: it alone says whether the feed is local (`Feed.origin_url`)."""
    if fetched.moved_permanently and fetched.final_url and fetched.final_url != feed.url:
        result.new_url = fetched.final_url
        feed.subscribed_url, feed.url = feed.origin_url, fetched.final_url
    return result


def record_status(feed: Feed, result: FeedResult, now: float) -> None:
    """What a refresh result says about a feed's health, kept on the feed."""
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


class Refresher(OverArticles):
    """Refreshes feeds: the I/O around the merge decision."""

    def __init__(self, session: Session, subscriptions: Subscriptions, articles: Articles,
                 marks: Marks, parser: FeedParser | None = None) -> None:
        super().__init__(session, subscriptions, articles, marks)
        self._parser = parser
        self._rule_read: dict[str, set[str]] = {}
        """feed key -> ids filter rules marked read, not yet written (store_rule_read)."""
        self.network_down = False
        """The last refresh reached no network feed at all (the reader is offline)."""

    async def refresh(self, refs: Iterable[str] | None = None,
                      on_progress: ProgressCallback | None = None) -> list[FeedResult]:
        """Fetch, parse and store the given feeds (all by default). One failure stops nothing.

        Fetching is async with bounded concurrency; parsing runs in worker processes; storing
        runs on the writer thread, one feed at a time, each store under the write lock. The
        refresh lock is held throughout: LockedError at once when another reader refreshes."""
        session = self._session
        session.need_writable()
        with session.refreshing():
            await session.catch_up_async()  # validators and feeds as another refresh left them
            results = await self._refresh(refs, on_progress)
            self._say_rules_for_no_feed()  # after: a new feed has its title only now
            return results

    def _say_rules_for_no_feed(self) -> None:
        """A [[filters]] rule limited to a feed no subscription is (a typo, a feed removed)
        does nothing: say so once, as the other problems of the config are said."""
        names = set().union(*map(names_of, self._subscriptions.feeds()))
        problems = self._session.store.problems
        for rule in self._session.settings.filters:
            if rule.feed and rule.feed.casefold() not in names:
                said = (f"{rule.name or 'a [[filters]] rule'}: feed = {rule.feed!r} is no "
                        "subscribed feed (URL, key or title); the rule does nothing")
                if said not in problems:
                    problems.append(said)

    async def _refresh(self, refs: Iterable[str] | None,
                       on_progress: ProgressCallback | None) -> list[FeedResult]:
        from reader.fetch import is_local

        session, subscriptions = self._session, self._subscriptions
        feeds = subscriptions.find_all(refs) if refs else subscriptions.feeds()
        feeds = [f for f in feeds if not f.account]  # a sync brings a server feed's articles
        total = len(feeds)
        results: list[FeedResult] = []
        pending_down: list[tuple[Feed, FeedResult]] = []  # recorded once we know the network
        down_hosts: set[str] = set()
        remote = [f for f in feeds if not is_local(f.url)]
        answers = [0]  # network fetches that got any answer (even an HTTP error)

        def report(result: FeedResult) -> None:
            results.append(result)
            if on_progress is not None:
                on_progress(len(results), total, result)

        if session.offline:
            for feed in remote:
                report(FeedResult(feed.key, feed.url, "offline", error="offline"))
            feeds, remote = [f for f in feeds if is_local(f.url)], []
        waiting = [f for f in remote if f.retry_after > time.time()]
        if waiting:  # the server said when to come back (Retry-After): not before
            for feed in waiting:
                report(FeedResult(feed.key, feed.url, "waiting", error=(
                    "not refreshed: the server asked to wait until "
                    f"{when_text(feed.retry_after)}")))
            skip = {f.key for f in waiting}
            feeds = [f for f in feeds if f.key not in skip]
            remote = [f for f in remote if f.key not in skip]
        pool = ParsePool(len(feeds), self._parser)
        # At most this many feeds between the start of their fetch and the end of their
        # write: without a bound, 1,000 fetched bodies waited for the parse workers and
        # their parsed results for the writer (210 MB at the peak of a 1,000-feed refresh).
        in_flight = asyncio.Semaphore(max(session.settings.concurrency, 2))
        await session.write(session.store.dir_batch.start)
        try:
            async with session.fetcher(session.settings.concurrency) as fetcher:

                async def one(feed: Feed, stop_others: StopOthers) -> None:
                    try:
                        async with in_flight:
                            result = await self._refresh_one(feed, fetcher, pool, answers)
                    except StoreError as exc:
                        result = FeedResult(feed.key, feed.url, "error", error=str(exc))
                    except Exception as exc:  # noqa: BLE001 - report it, refresh the rest
                        result = FeedResult(feed.key, feed.url, "error",
                                            error=f"internal error: {type(exc).__name__}: {exc}")
                    if result.network_down and not answers[0]:
                        pending_down.append((feed, result))
                        down_hosts.add(urllib.parse.urlsplit(feed.url).hostname or "")
                        if len(pending_down) >= _DOWN_FEEDS and len(down_hosts) >= _DOWN_HOSTS:
                            stop_others()  # nothing answers: stop waiting on timeouts
                    else:
                        record_status(feed, result, time.time())
                    report(result)

                await run_all(feeds, one)
        finally:
            pool.shutdown()
            try:
                await session.write(session.store.dir_batch.finish)  # one fsync per folder
            except BaseException:  # cancelled (the app quits): never leave them batched
                session.store.dir_batch.finish()
                raise
        finished = {r.feed_key for r in results}
        for feed in feeds:
            if feed.key not in finished:  # cancelled: the network is down
                result = FeedResult(feed.key, feed.url, "error", network_down=True,
                                    error="not fetched: no network")
                pending_down.append((feed, result))
                report(result)
        every_remote = [f for f in subscriptions.feeds() if not is_local(f.url) and not f.account]
        offline = bool(remote) and not answers[0] and len(pending_down) == len(remote) \
            and (len(remote) > 1 or len(remote) == len(every_remote))
        for feed, result in pending_down:
            if offline:
                result.status = "offline"
                result.error = f"offline ({result.error})"
            else:
                record_status(feed, result, time.time())
        if remote:
            self.network_down = offline
        if subscriptions.dirty or any(r.new_url for r in results):
            await session.write(subscriptions.save)
        await session.write(self.store_rule_read)
        await session.write(subscriptions.save_status)
        order = {f.key: i for i, f in enumerate(subscriptions.feeds())}
        results.sort(key=lambda r: order.get(r.feed_key, 0))
        return results

    async def _refresh_one(self, feed: Feed, fetcher: Any, pool: ParsePool, answers: list[int]
                           ) -> FeedResult:
        store = self._session.store
        meta = self._articles.summary(feed.key)  # one stat(); the file is read only if changed
        if meta is None:
            meta = (await asyncio.to_thread(store.load_feed_cache, feed.key))[0]
        if meta and not store.has_bodies(feed.key):
            meta = {}  # the bodies file was lost (corrupt, deleted): fetch in full to restore it
        fetched = await fetcher.fetch(feed.url, meta.get("etag", ""), meta.get("last_modified", ""),
                                      subscribed=feed.origin_url)
        from reader.fetch import is_local  # loaded by the refresh already

        if not fetched.network_down and not is_local(feed.url):
            answers[0] += 1  # a local file read says nothing about the network
        result = FeedResult(feed.key, feed.url, "unchanged")
        if fetched.status == "error":
            result.status, result.error = "error", fetched.error
            result.network_down = fetched.network_down
            result.retry_after, result.gone = fetched.retry_after, fetched.http_status == 410
            return result
        settings = self._session.settings
        if fetched.status == "not_modified":
            heed_server(feed, fetched.freshness, None, settings)  # the schedule: when next
            return _follow_move(feed, fetched, result)
        digest = hashlib.sha1(fetched.body).hexdigest()
        if digest == meta.get("content_hash"):
            heed_server(feed, fetched.freshness, None, settings)
            return _follow_move(feed, fetched, result)
        parsed = await pool.parse(fetched.body, fetched.final_url or feed.url,
                                  fetched.content_type, self._screen(feed))
        if isinstance(parsed, str):
            found = await self._discover(feed, fetched, meta, fetcher, pool)
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
        heed_server(feed, fetched.freshness, parsed.refresh_hints, settings)
        validators = FeedMeta(etag=fetched.etag, last_modified=fetched.last_modified,
                              content_hash=digest)
        new_ids, updated = await self._session.write(self.store_parsed, feed, parsed, validators)
        result.status, result.new, result.updated = "new", len(new_ids), updated
        result.new_ids = new_ids
        return result

    async def _discover(self, feed: Feed, fetched: Any, meta: FeedMeta | CacheSummary,
                        fetcher: Any, pool: ParsePool) -> tuple[Any, ParsedFeed] | None:
        """A feed never fetched before that turns out to be a web page linking to a feed
        (`<link rel="alternate">`): subscribe to the first linked feed that parses instead,
        as feed readers do (the result says it moved). None when there is none."""
        from reader.discover import feed_links, looks_like_html

        if feed.last_success or meta or not looks_like_html(fetched.body, fetched.content_type):
            return None
        taken = {f.url for f in self._subscriptions.feeds()}
        for link in feed_links(fetched.body, fetched.final_url or feed.url)[:2]:
            if link in taken:
                continue
            found = await fetcher.fetch(link, subscribed=feed.origin_url)
            if found.status != "ok":
                continue
            parsed = await pool.parse(found.body, found.final_url or link, found.content_type,
                                      self._screen(feed))
            if not isinstance(parsed, str):
                feed.subscribed_url, feed.url = feed.origin_url, link
                self._subscriptions.dirty = True
                return found, parsed
        return None

    def store_parsed(self, feed: Feed, parsed: ParsedFeed, validators: FeedMeta
                     ) -> tuple[list[str], int]:
        """Store a parsed feed (writer thread): new articles added, changed ones updated, user
        state kept. Returns (new article ids, how many were updated)."""
        store = self._session.store
        meta, docs = store.load_feed_cache(feed.key)
        decision = decide(feed.key, parsed, docs, had_meta=bool(meta),
                          bodies_lost=bool(docs) and not store.has_bodies(feed.key),
                          kept=self._marks.kept_ids(), limits=self._session.limits(feed),
                          now=time.time())
        if feed.feed_title != parsed.title or feed.site_url != parsed.site_url:
            feed.feed_title, feed.site_url = parsed.title, parsed.site_url
            self._subscriptions.dirty = True  # saved once at the end of the refresh
        mark_read = apply_filters(feed, decision, self._session.settings.filters, time.time())
        self._articles.apply_merge(feed, parsed, decision, validators)
        if mark_read:  # written once for the whole refresh (store_rule_read)
            self._rule_read[feed.key] = mark_read
        return decision.new_ids, decision.updated

    def _screen(self, feed: Feed) -> FeedScreen | None:
        """Every filter rule, to be tested where the feed is parsed (None: there are none).
        Every one: the feed's title, which a rule may name, may change with this parse."""
        rules = self._session.settings.filters
        if not rules:
            return None
        summary = self._session.summaries.get(feed.key)  # ids known: no rule tested on them
        return FeedScreen(tuple(r.query.source for r in rules), feed.custom_title, feed.url,
                          tuple(feed.tags), time.time(), feed.key,
                          frozenset(summary["ids"]) if summary else frozenset())

    def store_rule_read(self) -> None:
        """Write the read marks filter rules gave during the refresh (writer thread)."""
        marked, self._rule_read = self._rule_read, {}
        if marked:
            self._marks.add_rule_read(marked, self._subscriptions.keys(), {
                key: set(self._articles.ids(key)) for key in marked})
