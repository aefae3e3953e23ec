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
from reader.core.images import ImageRef, Images, open_picture
from reader.core.marks import Marks
from reader.core.media import Media
from reader.core.merge import article_id, body_hash
from reader.core.parsepool import FeedParser
from reader.core.querying import SORT_ORDERS, QueryFeed, QueryFeeds
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
from reader.query import Query
from reader.storage.documents import BodyDoc, FullTextDoc, KeptCopy
from reader.storage.store import Store
from reader.sync.accounts import Account, SyncState
from reader.sync.engine import (
    ItemProgress,
    PasswordSource,
    Syncer,
    SyncProgress,
    SyncResult,
    env_password,
)

__all__ = ["SEED_FILES", "SEED_TAG", "SORT_ORDERS", "Account", "ImportReport", "Library",
           "LibraryError", "SyncResult",
           "ProgressCallback", "article_id", "body_hash", "clean_tags", "new_feed_location",
           "normalise_feed_url", "offline_reason", "seed_dir"]

T = TypeVar("T")
M = TypeVar("M", bound=Callable[..., Any])


def _ui_shape(state: dict[str, Any]) -> bool:
    """data/ui.json as the app writes it: names to strings."""
    return all(isinstance(v, str) for v in state.values())


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
        self._queries = QueryFeeds(session)
        self._views = Views(self._subscriptions, self._articles, self._marks, self._searching,
                            self._queries)
        self._reading = Reading(session, self._articles)
        self._refresher = Refresher(session, self._subscriptions, self._articles, self._marks,
                                    parser)
        self._full_text = FullText(session, self._subscriptions, self._articles, self._marks)
        self._cache = CacheHygiene(session, self._subscriptions, self._articles, self._marks)
        self._media = Media(session, self._subscriptions, self._articles, self._marks)
        self._images = Images(session, self._subscriptions, self._articles, self._marks)
        self._syncer = Syncer(session, self._subscriptions, self._articles, self._marks)

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
        return self._session.store.load_small("ui.json", _ui_shape)

    @_writes
    def save_ui_state(self, state: dict[str, str]) -> None:
        """Remember the app's choices for the next run."""
        self._session.store.save_small("ui.json", state)

    @_writes
    def update_ui_state(self, changes: dict[str, str]) -> None:
        """Change some of the app's remembered choices (a "" value forgets one), keeping
        the others (run it on the writer thread: read, change, write in one turn)."""
        state = {**self._session.store.load_small("ui.json", _ui_shape), **changes}
        self._session.store.save_small("ui.json", {k: v for k, v in state.items() if v != ""})

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
        """Change a feed's custom title and/or tags (a server feed's first tag is its folder
        on the server: the change is sent at the next sync)."""
        feed = self._subscriptions.find(ref)
        if feed.account and tags is not None:
            new, old = clean_tags(tags)[:1], feed.tags[:1]
            if new != old:
                self._session.need_lock()
                self._syncer.record_feed(feed, "folder", value="".join(new), old="".join(old))
        return self._subscriptions.edit(ref, title=title, tags=tags)

    @_writes
    def remove_feed(self, ref: str) -> Feed:
        """Unsubscribe. Bookmarked (and annotated) articles stay: they live in their own store."""
        self._session.need_lock()
        feed = self._subscriptions.find(ref)
        if feed.account:  # the server hears of it at the next sync
            self._syncer.record_feed(feed, "unsubscribe")
        self._subscriptions.remove(feed)
        had_status = feed.last_checked or feed.key in self._session.summaries
        self._articles.forget_feed(feed.key)
        if had_status:
            self._subscriptions.save_status()
        return feed

    def export_urls(self) -> tuple[str, list[str]]:
        """Subscriptions and query feeds as a newsboat urls file, and what was left out."""
        query_feeds, left_out = self._queries.as_newsboat()
        return self._subscriptions.export_urls(query_feeds), left_out

    def export_opml(self) -> str:
        """All subscriptions as OPML 2.0 (tags as `category`)."""
        return self._subscriptions.export_opml()

    @_writes
    def import_subscriptions(self, data: bytes, name: str = "", *,
                             allow_local_files: bool = False) -> ImportReport:
        """Import OPML or a newsboat urls file; existing feeds gain the imported tags/title.
        Local files in the list are skipped with a warning each unless `allow_local_files`."""
        report = self._subscriptions.import_list(data, name,
                                                 allow_local_files=allow_local_files)
        report.queries_added = self._queries.add_many(report.query_feeds)
        report.warnings += [f"query feed {title!r}: one of this title exists already; kept"
                            for title, _ in report.query_feeds
                            if title not in report.queries_added]
        return report

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

    # -- server accounts and sync ----------------------------------------------------------------
    def accounts(self) -> list[Account]:
        """The server accounts, in the order they were added."""
        return self._syncer.accounts.load()

    def account_status(self) -> list[tuple[Account, SyncState, int]]:
        """(account, its sync state, changes waiting to be sent) of every account."""
        return self._syncer.status()

    def add_account_blocking(self, kind: str, url: str, user: str, password: str,
                             name: str = "") -> Account:
        """Sign in to a server (checking the password) and keep the account and its token."""
        return asyncio.run(self._syncer.add_account(kind, url, user, password, name))

    def login_account_blocking(self, name: str, password: str) -> None:
        """Sign in to an account's server again; the new token replaces the old."""
        asyncio.run(self._syncer.login(name, password))

    @_writes
    def remove_account(self, name: str) -> tuple[list[Feed], int]:
        """Forget an account and its feeds; bookmarked and annotated articles stay. Returns
        (feeds removed, local changes that were still waiting to be sent)."""
        return self._syncer.remove_account(name)

    @_writes
    def subscribe_on_server(self, name: str, url: str, folder: str = "") -> None:
        """Subscribe on an account's server (sent at the next sync, which brings the feed)."""
        self._syncer.subscribe(name, new_feed_location(url), folder)

    def sync_blocking(self, names: Iterable[str] | None = None,
                      on_progress: SyncProgress | None = None,
                      password: PasswordSource = env_password,
                      on_items: ItemProgress | None = None) -> list[SyncResult]:
        """`sync` for callers without an event loop (the CLI)."""
        return asyncio.run(self.sync(names, on_progress, password, on_items))

    async def sync(self, names: Iterable[str] | None = None,
                   on_progress: SyncProgress | None = None,
                   password: PasswordSource = env_password,
                   on_items: ItemProgress | None = None) -> list[SyncResult]:
        """Sync the given accounts (all by default): local changes are sent, then the
        server's feeds, articles, read and starred state are stored. A failing account
        stores nothing and stops none of the others. `on_items` hears how far the reading
        of articles is (a first sync of 10,000 takes a while)."""
        return await self._syncer.sync(names, on_progress, password, on_items)

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
                 annotated: bool = False, limit: int = 0, query: Query | None = None,
                 hidden: bool = False, sort: str = "newest") -> list[Article]:
        """Articles, filtered, in `sort` order (SORT_ORDERS; newest first by default);
        `annotated`: only articles with notes; `query`: only those it chooses
        (reader.query); `hidden`: only those a filter rule hid; `limit`: at most that many
        (0: all). Kept articles the cache no longer holds come from their kept copies."""
        return self._views.articles(feed, unread=unread, bookmarked=bookmarked, search=search,
                                    annotated=annotated, limit=limit, query=query,
                                    hidden=hidden, sort=sort)

    def view_articles(self, view: View, limit: int = 0, sort: str = "") -> list[Article]:
        """What a view of the app lists, in `sort` order or "" its own (see
        reader.core.views); `limit`: the first that many only (the newest screen of "all"
        is read from the article index)."""
        return self._views.for_view(view, limit, sort)

    def newest_articles(self, limit: int) -> list[Article] | None:
        """The newest `limit` articles (at most reader.core.index.HEAD_SIZE) from the article
        index, in one small file's read; None when it is not up to date (then `articles`
        reads the feeds and writes it again)."""
        return self._views.newest(limit)

    # -- query feeds ------------------------------------------------------------------------
    def query_feeds(self) -> list[QueryFeed]:
        """Saved queries shown as virtual feeds: config.toml's, then data/queries.json's."""
        return self._queries.all()

    def query_counts(self) -> dict[str, tuple[int, int]]:
        """query feed title -> (unread, total)."""
        return self._views.query_counts()

    @_writes
    def add_query_feed(self, title: str, query: str) -> QueryFeed:
        """Save a query feed; QueryError when the query does not parse."""
        return self._queries.add(title, query)

    @_writes
    def remove_query_feed(self, title: str) -> QueryFeed:
        """Delete a saved query feed (those of config.toml are removed there)."""
        return self._queries.remove(title)

    @_writes
    def unhide(self, ids: Iterable[str]) -> int:
        """Show articles a filter rule hid again; returns how many were hidden."""
        wanted = set(ids)
        return sum(self._articles.unhide(f.key, wanted) for f in self._subscriptions.feeds()
                   if wanted.intersection(self._articles.ids(f.key, hidden=True)))

    def hidden_counts(self) -> dict[str, int]:
        """feed key -> how many of its articles a filter rule hid."""
        return {f.key: len(self._articles.ids(f.key, hidden=True))
                for f in self._subscriptions.feeds()}

    def article(self, ref: str) -> Article:
        """One article by id or unique id prefix (at least 4 characters)."""
        return self._views.article(ref)

    def body(self, article: Article) -> BodyDoc:
        """{content_html, summary_html, base_url, ...} from the cache or the kept copy."""
        return self._articles.body(article)

    # -- pictures ---------------------------------------------------------------------------------
    def image_refs(self, links: Iterable[Any]) -> list[ImageRef]:
        """The pictures of an article's text (its numbered image links), capped."""
        return self._images.refs(links)

    def cached_images(self, article: Article, refs: Iterable[ImageRef]) -> dict[int, Path]:
        """number -> stored picture, of those already fetched."""
        return self._images.cached(article, refs)

    def missing_images(self, article: Article, refs: Iterable[ImageRef], *,
                       retry: bool = False) -> list[ImageRef]:
        """The pictures not fetched yet (nor failed before, unless `retry`)."""
        return self._images.missing(article, refs, retry=retry)

    async def fetch_images(self, article: Article, refs: list[ImageRef],
                           on_each: Callable[[ImageRef, Path | None, str], None] | None = None
                           ) -> dict[int, Path | str]:
        """Fetch, check and store pictures; number -> file, or why not (see core.images).
        They go to the cache only: no write lock is held."""
        self._session.need_writable()
        return await self._images.fetch(article, refs, on_each)

    @staticmethod
    def open_picture(path: Path, max_side: int = 1600) -> Any:
        """A stored picture as a PIL image (at most `max_side` pixels a side), None when it
        cannot be shown."""
        return open_picture(path, max_side)

    # -- enclosures (podcasts) ------------------------------------------------------------------
    def enclosures(self, article: Article) -> list[Enclosure]:
        """The files the feed attached to the article (podcast audio, video, images)."""
        return self._media.enclosures(article)

    def media_marks(self, article: Article) -> tuple[bool, dict[int, Path]]:
        """(played, {enclosure number: downloaded file still on disk}) of an article."""
        state = self._media.state
        return state.played(article.id), state.downloaded(article.id)

    def media_folder(self) -> Path:
        """Where enclosures are downloaded ([media] folder)."""
        return self._media.folder()

    def download_blocking(self, article: Article, number: int | None = None,
                          folder: Path | None = None,
                          on_progress: Callable[[Any], None] | None = None) -> Path:
        """`download` for callers without an event loop (the CLI)."""
        return asyncio.run(self.download(article, number, folder, on_progress))

    async def download(self, article: Article, number: int | None = None,
                       folder: Path | None = None,
                       on_progress: Callable[[Any], None] | None = None) -> Path:
        """Download enclosure `number` (default: the first audio or video one) into `folder`
        (default: the media folder), resuming an interrupted download; returns the file.
        reader.download.DownloadError (one line) when it does not finish. The write lock is
        held only to record the download, never while it runs."""
        self._session.need_writable()
        return await self._media.download(article, number, folder, on_progress)

    def player_argv(self, article: Article, number: int | None = None) -> list[str]:
        """The [media] player command (argv, for no shell) that plays an enclosure."""
        return self._media.player_argv(article, number)

    @_writes
    def mark_played(self, article: Article) -> None:
        """Remember the article's episode was played."""
        self._media.state.set_played(article.id)

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
