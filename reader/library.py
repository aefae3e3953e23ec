"""The API the CLI and the app both use: subscribe, refresh, list, read, bookmark, notes.

`Library` is a facade: each public method checks its arguments and delegates to a service of
`reader.core` in a line or two. Every method that changes something holds the write lock
while it does (`_writes`), after reading again what another reader (the app, a cron
refresh) changed; the subscription list and the refresh status are held in memory,
per-feed metadata is loaded on demand and article bodies only when an article is shown.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from reader.config import Settings, load_settings
from reader.core import schedule
from reader.core.articles import Articles
from reader.core.cache import CacheHygiene
from reader.core.commands import (
    CommandResult,
    PreparedCommand,
    article_document,
    article_values,
    build_argv,
)
from reader.core.exporting import export_notes
from reader.core.fulltext import FullText, FullTextProgress
from reader.core.marks import Marks
from reader.core.merge import article_id, body_hash
from reader.core.parsepool import FeedParser
from reader.core.reading import Reading
from reader.core.refresh import ProgressCallback, Refresher, offline_reason
from reader.core.searching import Searching
from reader.core.session import Session
from reader.core.subscriptions import (
    SEED_FILES,
    SEED_TAG,
    ImportReport,
    Subscriptions,
    clean_tags,
    new_feed_location,
    normalise_feed_url,
    seed_dir,
)
from reader.core.views import Views
from reader.errors import LibraryError, StoreError
from reader.locations import Paths
from reader.models import (
    Article,
    ArticleText,
    Enclosure,
    Feed,
    FeedResult,
    FullTextResult,
    Note,
    View,
)
from reader.storage.documents import BodyDoc, FullTextDoc, KeptCopy
from reader.storage.store import Store

__all__ = ["SEED_FILES", "SEED_TAG", "ImportReport", "Library", "LibraryError",
           "ProgressCallback", "article_id", "body_hash", "clean_tags", "new_feed_location",
           "normalise_feed_url", "offline_reason", "seed_dir"]

T = TypeVar("T")
M = TypeVar("M", bound=Callable[..., Any])


def _writes(method: M) -> M:
    """The method changes the library: it runs holding the write lock (see Session.writing)."""
    @functools.wraps(method)
    def locked(self: Library, *args: Any, **kwargs: Any) -> Any:
        with self._session.writing():
            return method(self, *args, **kwargs)
    return locked  # type: ignore[return-value]


class Library:
    """Everything the reader knows, behind a small API."""

    def __init__(self, paths: Paths, settings: Settings | None = None, *, transport: Any = None,
                 offline: bool = False, parser: FeedParser | None = None) -> None:
        """`transport`: an httpx transport for every fetch (tests); `parser`: parses fetched
        feeds instead of `reader.parse.parse_feed` (tests and the bench: tests/fakeparser.py)."""
        self._session = session = Session(
            paths, settings if settings is not None else load_settings(paths.config_file),
            transport=transport, offline=offline)
        self._subscriptions = Subscriptions(session)
        self._marks = Marks(session)
        self._articles = Articles(session, self._subscriptions, self._marks)
        self._searching = Searching(session, self._subscriptions, self._articles, self._marks)
        self._views = Views(self._subscriptions, self._articles, self._marks, self._searching)
        self._reading = Reading(session, self._articles)
        self._refresher = Refresher(session, self._subscriptions, self._articles, self._marks,
                                    parser)
        self._full_text = FullText(session, self._subscriptions, self._articles, self._marks)
        self._cache = CacheHygiene(session, self._subscriptions, self._articles, self._marks)

    @property
    def paths(self) -> Paths:
        """Where config, data and cache live."""
        return self._session.paths

    @property
    def settings(self) -> Settings:
        """The settings (config.toml)."""
        return self._session.settings

    @property
    def store(self) -> Store:
        """The files (the CLI shows their folders)."""
        return self._session.store

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking library call on the one writer thread (keeps writes in order and
        off the event loop); the app uses this for every change it makes."""
        return await self._session.write(fn, *args)

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking library call that only reads (an article's text) off the event
        loop; it waits for the write under way, never behind a refresh's queue of writes."""
        return await self._session.read(fn, *args)

    # -- lifecycle ------------------------------------------------------------------------
    def acquire(self) -> None:
        """Allow this library to write (each write takes the write lock for a moment);
        StoreError when the data folder cannot be written."""
        self._session.acquire()

    def changed_elsewhere(self) -> bool:
        """Another reader (a cron `reader refresh`, a second app) wrote since this one last
        looked: call `catch_up` and list again."""
        return self._session.changed_elsewhere()

    async def catch_up(self) -> bool:
        """Read again what another reader changed; True when something had changed."""
        return await self._session.catch_up_async()

    def release(self) -> None:
        """Stop writing (after finishing queued writes)."""
        self._session.drain()
        if self._articles.unsaved:
            try:
                self.save_conversions()
            except StoreError:
                pass  # only a cache of converted text: it is made again when needed
        self._searching.close()
        self._session.release()

    @property
    def offline(self) -> bool:
        """Never touch the network (`--offline` or `offline = true` in the config)."""
        return self._session.offline

    @offline.setter
    def offline(self, on: bool) -> None:
        self._session.offline_flag = on

    @property
    def network_down(self) -> bool:
        """The last refresh reached no network feed at all (the reader is offline)."""
        return self._refresher.network_down

    @network_down.setter
    def network_down(self, down: bool) -> None:
        self._refresher.network_down = down

    @property
    def writable(self) -> bool:
        """True once `acquire` allowed this library to write."""
        return self._session.writable

    def ui_state(self) -> dict[str, str]:
        """The app's remembered choices (the palette's theme), from data/ui.json."""
        return self._session.store.load_ui_state()

    @_writes
    def save_ui_state(self, state: dict[str, str]) -> None:
        """Remember the app's choices for the next run."""
        self._session.store.save_ui_state(state)

    @property
    def problems(self) -> list[str]:
        """Corrupt files found and set aside (the UI/CLI shows these)."""
        return self._session.store.problems

    # -- feeds ----------------------------------------------------------------------------
    def feeds(self) -> list[Feed]:
        """Subscriptions in the user's order."""
        return self._subscriptions.feeds()

    def find_feed(self, ref: str) -> Feed:
        """A feed by URL, key, or (unique) title; LibraryError if none or ambiguous."""
        return self._subscriptions.find(ref)

    @_writes
    def add_feed(self, url: str, title: str = "", tags: Iterable[str] = ()) -> Feed:
        """Subscribe. LibraryError if already subscribed or the URL is unusable."""
        return self._subscriptions.add(url, title, tags)

    @_writes
    def edit_feed(self, ref: str, *, title: str | None = None, tags: Iterable[str] | None = None
                  ) -> Feed:
        """Change a feed's custom title and/or tags."""
        return self._subscriptions.edit(ref, title=title, tags=tags)

    @_writes
    def remove_feed(self, ref: str) -> Feed:
        """Unsubscribe. Bookmarked (and annotated) articles stay: they live in their own store."""
        self._session.need_lock()
        feed = self._subscriptions.find(ref)
        self._subscriptions.remove(feed)
        had_status = feed.last_checked or feed.key in self._session.summaries
        self._articles.forget_feed(feed.key)
        if had_status:
            self._subscriptions.save_status()
        return feed

    def export_opml(self) -> str:
        """All subscriptions as OPML 2.0 (tags as `category`)."""
        return self._subscriptions.export_opml()

    @_writes
    def import_subscriptions(self, data: bytes, name: str = "", *,
                             allow_local_files: bool = False) -> ImportReport:
        """Import OPML or a newsboat urls file; existing feeds gain the imported tags/title.
        Local files in the list are skipped with a warning each unless `allow_local_files`."""
        return self._subscriptions.import_list(data, name, allow_local_files=allow_local_files)

    @_writes
    def seed_if_new(self) -> bool:
        """First run (no subscription file yet): subscribe to the bundled sample feeds."""
        return self._subscriptions.seed_if_new()

    # -- refresh --------------------------------------------------------------------------
    def refresh_blocking(self, refs: Iterable[str] | None = None,
                         on_progress: ProgressCallback | None = None) -> list[FeedResult]:
        """`refresh` for callers without an event loop (the CLI)."""
        return asyncio.run(self.refresh(refs, on_progress))

    async def refresh(self, refs: Iterable[str] | None = None,
                      on_progress: ProgressCallback | None = None) -> list[FeedResult]:
        """Fetch, parse and store the given feeds (all by default). One failure stops nothing.
        Offline, network feeds are not fetched: their result says "offline". When no network
        feed could be reached at all, the refresh says "offline" too and records no errors:
        `network_down` is set until a refresh reaches the network again."""
        return await self._refresher.refresh(refs, on_progress)

    def due_feeds(self, *, scheduled_only: bool = False) -> list[Feed]:
        """Feeds due for a refresh now (reader.core.schedule); `scheduled_only`: only those
        with an interval (what the app refreshes by itself)."""
        return schedule.due_feeds(self.feeds(), self.settings, scheduled_only=scheduled_only)

    def next_due(self, feed: Feed) -> float:
        """When the feed is next due (epoch seconds; 0 or past: now)."""
        return schedule.next_due(feed, self.settings)

    def schedule_text(self, feed: Feed) -> str:
        """The feed's refresh schedule in words ("" when it has none)."""
        return schedule.describe(feed, self.settings)

    def refresh_tick(self) -> float:
        """Seconds between the app's looks for due feeds; 0: no feed has an interval."""
        return schedule.tick_seconds(self.feeds(), self.settings)

    # -- cache hygiene ----------------------------------------------------------------------
    def cache_info(self) -> dict[str, Any]:
        """Disk use of the cache per feed, of orphan files, and of the user's data."""
        return self._cache.info()

    def cleanup(self) -> dict[str, int]:
        """Apply the cache limits now and compact the cache (user data is not touched); not
        while another reader refreshes (LockedError)."""
        with self._session.refreshing(), self._session.writing():
            return self._cache.cleanup()

    # -- articles -------------------------------------------------------------------------
    def articles(self, feed: str | None = None, *, unread: bool = False,
                 bookmarked: bool = False, search: str | None = None,
                 annotated: bool = False, limit: int = 0) -> list[Article]:
        """Articles, newest first, filtered; `annotated`: only articles with notes; `limit`:
        at most that many (0: all). Kept articles the cache no longer holds come from their
        kept copies."""
        return self._views.articles(feed, unread=unread, bookmarked=bookmarked, search=search,
                                    annotated=annotated, limit=limit)

    def view_articles(self, view: View, limit: int = 0) -> list[Article]:
        """What a view of the app lists, in its order (see reader.core.views); `limit`: the
        first that many only (the newest screen of "all" is read from the article index)."""
        return self._views.for_view(view, limit)

    def newest_articles(self, limit: int) -> list[Article] | None:
        """The newest `limit` articles (at most reader.core.index.HEAD_SIZE) from the article
        index, in one small file's read; None when it is not up to date (then `articles`
        reads the feeds and writes it again)."""
        return self._views.newest(limit)

    def article(self, ref: str) -> Article:
        """One article by id or unique id prefix (at least 4 characters)."""
        return self._views.article(ref)

    def body(self, article: Article) -> BodyDoc:
        """{content_html, summary_html, base_url, ...} from the cache or the kept copy."""
        return self._articles.body(article)

    def enclosures(self, article: Article) -> list[Enclosure]:
        """The files the feed attached to the article (podcast audio, video, images)."""
        found = self._articles.body(article).get("enclosures") or []
        return [Enclosure.from_dict(e) for e in found if isinstance(e, dict) and e.get("url")]

    def converted(self, article: Article, *, defer_save: bool = False) -> Any:
        """The feed's text as clean Markdown (reader.content.convert.Converted), cached."""
        return self._reading.converted(article, defer_save=defer_save)

    def text(self, article: Article, *, prefer: str = "auto", defer_save: bool = False
             ) -> ArticleText:
        """What to show for an article: the fetched full text when there is one (`prefer`
        "auto" or "full"), else the feed's own text (`prefer` "feed"), as Markdown."""
        return self._reading.text(article, prefer=prefer, defer_save=defer_save)

    def article_document(self, article: Article, *, feed_text: bool = False,
                         defer_save: bool = False) -> str:
        """The article as one Markdown document (title, header fields, text, enclosures): what
        `reader show` prints and commands read on stdin."""
        text = self.text(article, prefer="feed" if feed_text else "auto", defer_save=defer_save)
        return article_document(article, text, self.enclosures(article))

    def prepare_command(self, name: str, article: Article) -> PreparedCommand:
        """The [commands] entry `name` made ready for an article: argv from the user's
        template with the article's values, its Markdown for stdin. LibraryError when there
        is no such command; `error` set when it cannot run on this article."""
        command = self.settings.commands.get(name)
        if command is None:
            known = ", ".join(self.settings.commands) or "none configured"
            raise LibraryError(f"no command {name!r} in config.toml's [commands] ({known})")
        try:
            argv = build_argv(command.run, article_values(article))
        except ValueError as exc:
            return PreparedCommand(name, [], b"", command.timeout, error=f"not run: {exc}")
        document = self.article_document(article, defer_save=True)
        return PreparedCommand(name, argv, document.encode("utf-8", "replace"), command.timeout)

    def run_command(self, name: str, article: Article) -> CommandResult:
        """`prepare_command`, then run it (blocking, up to its timeout)."""
        return self.prepare_command(name, article).run()

    def warm_up(self) -> None:
        """Import what reading an article needs (the converter), so the first article
        opens as fast as the next; call it from a thread at start-up."""
        self._reading.warm_up()

    def save_conversions(self) -> None:
        """Write converted Markdown still held in memory (one rewrite per feed touched);
        there is none unless this library may write."""
        if self._session.writable and self._articles.unsaved:
            self._reading.save_conversions()

    def counts(self) -> dict[str, tuple[int, int]]:
        """feed key -> (unread, total)."""
        return self._views.counts()

    # -- full text ----------------------------------------------------------------------------
    def full_text(self, article: Article) -> FullTextDoc | None:
        """The fetched full text {url, final_url, fetched_at, html, title, error, error_at}
        from the cache, else from the article's kept copy; None when never fetched."""
        return self._articles.full_text(article)

    def full_text_targets(self, ids: Iterable[str] | None = None, *, retry: bool = False
                          ) -> list[Article]:
        """Articles whose full text should be fetched and is not here yet (see FullText)."""
        return self._full_text.targets(ids, retry=retry)

    def fetch_full_blocking(self, articles: list[Article],
                            on_progress: FullTextProgress | None = None,
                            *, force: bool = False) -> list[FullTextResult]:
        """`fetch_full` for callers without an event loop (the CLI)."""
        return asyncio.run(self.fetch_full(articles, on_progress, force=force))

    async def fetch_full(self, articles: list[Article],
                         on_progress: FullTextProgress | None = None,
                         *, force: bool = False) -> list[FullTextResult]:
        """Fetch the web pages of `articles`, extract their main text and store it; a
        failure keeps what was there and the reason is stored and shown."""
        return await self._full_text.fetch(articles, on_progress, force=force)

    # -- read state -----------------------------------------------------------------------
    @_writes
    def set_read(self, ids: Iterable[str], read: bool = True) -> int:
        """Mark articles read/unread; returns how many changed feeds were written."""
        self._session.need_lock()
        wanted = set(ids)
        by_feed: dict[str, set[str]] = {}
        for feed in self._subscriptions.feeds():
            found = wanted.intersection(self._articles.ids(feed.key))
            if found:
                by_feed[feed.key] = found
        return sum(self._marks.set_read(k, v, read) for k, v in by_feed.items())

    @_writes
    def mark_read(self, article: Article, read: bool = True) -> None:
        """Mark one article read/unread (rewrites one small per-feed file)."""
        self._marks.set_read(article.feed_key, [article.id], read)

    @_writes
    def mark_feed_read(self, ref: str) -> int:
        """Mark every article of a feed read; returns how many were unread."""
        self._session.need_lock()
        feed = self._subscriptions.find(ref)
        ids = {d["id"] for d in self._articles.docs(feed.key)}
        unread = len(ids - self._marks.read_ids(feed.key))
        self._marks.set_read(feed.key, ids, True)
        return unread

    # -- bookmarks --------------------------------------------------------------------------
    def bookmarks(self) -> dict[str, KeptCopy]:
        """article id -> kept copy {id, at, article, body}."""
        return self._marks.bookmarks()

    def kept_ids(self) -> set[str]:
        """Articles cache clean-up must never remove: bookmarked and annotated ones."""
        return self._marks.kept_ids()

    @_writes
    def set_bookmark(self, article: Article, on: bool = True) -> bool:
        """Bookmark (keeping a full copy, safe from cache clean-up) or unbookmark."""
        return self._marks.set_bookmark(article, on, self._articles.make_copy)

    def kept_copy(self, aid: str) -> KeptCopy | None:
        """The kept copy {id, at, article, body} of a bookmarked or annotated article."""
        return self._marks.kept_copy(aid)

    # -- notes ------------------------------------------------------------------------------
    def _titles(self) -> dict[str, str]:
        return {f.key: f.title for f in self._subscriptions.feeds()}

    def notes(self, article_id: str | None = None) -> list[Note]:
        """One article's notes, oldest first; with no id, every note, newest edited first."""
        return self._marks.notes(self._titles(), article_id)

    def annotated(self) -> dict[str, int]:
        """article id -> how many notes it carries."""
        return self._marks.annotated()

    def find_note(self, ref: str) -> Note:
        """A note by id or unique id prefix (at least 4 characters); LibraryError otherwise."""
        return self._marks.to_note(self._marks.note_doc(ref), self._titles())

    @_writes
    def add_note(self, article: Article, text: str, quote: str = "") -> Note:
        """Write a note on an article. Keeps a full copy of the article (not a bookmark), so the
        note and the article outlive cache clean-up and the feed's removal."""
        doc = self._marks.add_note(article, text, quote, self._articles.make_copy)
        return self._marks.to_note(doc, self._titles())

    @_writes
    def edit_note(self, note_id: str, text: str, quote: str | None = None) -> Note:
        """Change a note's text (and its quote, unless None); sets its edited time."""
        return self._marks.to_note(self._marks.edit_note(note_id, text, quote), self._titles())

    @_writes
    def delete_note(self, note_id: str) -> None:
        """Delete a note; the article's copy goes with its last note (a bookmark keeps its own)."""
        self._marks.delete_note(note_id)

    def export_notes(self, folder: Path, *, with_article: bool = False) -> list[Path]:
        """Write one Markdown file per annotated or bookmarked article into `folder` (see
        reader.export); returns their paths. Files of articles no longer annotated or
        bookmarked are left alone."""
        return export_notes(self._subscriptions, self._marks, self._views, self._reading,
                            Path(folder), with_article=with_article)
