"""Views: which articles a listing holds, in what order; the CLI and the app both ask here.

`articles` filters (a feed, unread, bookmarked, annotated, a search, a query, the hidden)
and sorts; `for_view` is what each view of the app lists (bookmarks newest bookmarked first,
notes newest edited first, query feeds, the hidden articles)."""

from __future__ import annotations

import contextlib
import gc
import itertools
from collections.abc import Iterator

from reader.core.articles import Articles, article_from_copy
from reader.core.index import HEAD_SIZE
from reader.core.marks import Marks
from reader.core.querying import QueryFeeds, choose, sort_articles
from reader.core.searching import Searching
from reader.core.subscriptions import Subscriptions
from reader.errors import LibraryError
from reader.models import Article, Enclosure, View, in_folder
from reader.query import Query, looks_like_query, parse


def _newest_first(article: Article) -> float:
    return -article.date


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a block that makes 100k objects and frees
    none: it would scan them again and again (a third of a listing's time at 100k).
    Reference counting still frees everything; the collector runs again after."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


class Views:
    """Listings of articles, from the cache and the kept copies."""

    def __init__(self, subscriptions: Subscriptions, articles: Articles, marks: Marks,
                 searching: Searching, queries: QueryFeeds) -> None:
        self._queries = queries
        self._subscriptions = subscriptions
        self._articles = articles
        self._marks = marks
        self._searching = searching
        self._every: tuple[dict[str, str], list[Article]] | None = None
        """Every cached article (see `_every_cached`) and the stamps of the files read."""

    def articles(self, feed: str | None = None, *, unread: bool = False,
                 bookmarked: bool = False, search: str | None = None,
                 annotated: bool = False, limit: int = 0, query: Query | None = None,
                 hidden: bool = False, sort: str = "newest") -> list[Article]:
        """Articles, filtered, in `sort` order (newest first by default); `annotated`: only
        articles with notes; `query`: only those it chooses; `hidden`: only the ones a filter
        rule hid (listed nowhere else, unless bookmarked or annotated); `limit`: at most that
        many (0: all). Bookmarked and annotated articles the cache no longer holds (their
        feed was removed, or the cache deleted) come from their kept copies. Every article
        newest first, up to a limit, comes from the article index when it is up to date (one
        small file instead of every feed's cache)."""
        plain = not (feed or unread or bookmarked or search or annotated or query or hidden)
        if plain and sort == "newest" and 0 < limit <= HEAD_SIZE:
            newest = self.newest(limit)
            if newest is not None:
                return newest
        kept = (bookmarked or annotated) and not hidden  # a hidden one bookmarked is listed
        with _collector_paused():
            found = self._articles_read(feed, unread=unread, bookmarked=bookmarked,
                                        search=search, annotated=annotated,
                                        hidden=None if kept else hidden)
            if query is not None:
                feeds = {f.key: f for f in self._subscriptions.feeds()}
                found = choose(found, query, feeds, self._searching.ids)
            if sort != "newest":
                found = sort_articles(found, sort)
        return found[:limit] if limit > 0 else found

    def _articles_read(self, feed: str | None, *, unread: bool = False,
                       bookmarked: bool = False, search: str | None = None,
                       annotated: bool = False, hidden: bool | None = False) -> list[Article]:
        """`articles` from the feeds' caches (and kept copies), newest first; `hidden` None:
        the hidden ones and the others."""
        bookmarks = self._marks.bookmarks()
        counts = self._marks.annotated()
        wanted = self._searching.ids(search) if search else None
        if feed is None and wanted is None:  # every feed: filtered on the user's marks
            out = [a for a in self._every_cached()
                   if not (unread and a.read) and not (bookmarked and not a.bookmarked)
                   and not (annotated and not a.notes)
                   and (hidden is None or a.hidden == hidden)]
        else:
            feeds = [self._subscriptions.find(feed)] if feed else self._subscriptions.feeds()
            out = []
            for f in feeds:
                read = self._marks.read_ids(f.key)
                docs = self._articles.docs(f.key) if feed else self._articles.docs_once(f.key)
                for doc in docs:
                    if hidden is not None and bool(doc.get("hidden")) != hidden:
                        continue
                    if wanted is not None and doc["id"] not in wanted:
                        continue
                    if unread and doc["id"] in read:
                        continue
                    if bookmarked and doc["id"] not in bookmarks:
                        continue
                    if annotated and doc["id"] not in counts:
                        continue
                    out.append(self._articles.to_article(doc, f, read, bookmarks, counts))
        if hidden is not True:
            out += self._copies(self._subscriptions.find(feed).key if feed else None,
                                unread=unread, bookmarked=bookmarked, annotated=annotated,
                                wanted=wanted)
        out.sort(key=_newest_first)
        return out

    def _every_cached(self) -> list[Article]:
        """Every cached article of every feed, newest first, with the user's marks as they
        are now. Kept between calls while no feed's file changed (one stat each), so that
        opening "All" again reads no file; only the marks and feed titles are set again.
        The feeds' documents are not kept (they were half of the app's memory at 100k)."""
        subscribed = self._subscriptions.feeds()
        keys = [f.key for f in subscribed]
        index = self._articles.index
        now = index.stamps(keys)
        bookmarks, counts = self._marks.bookmarks(), self._marks.annotated()
        if self._every is not None and self._every[0] == now:
            titles = {f.key: f.title for f in subscribed}
            reads = {k: self._marks.read_ids(k) for k in keys}
            for a in self._every[1]:
                aid = a.id
                a.read, a.bookmarked = aid in reads[a.feed_key], aid in bookmarks
                a.notes, a.feed_title = counts.get(aid, 0), titles[a.feed_key]
        else:
            every: list[Article] = []
            for f in subscribed:
                read = self._marks.read_ids(f.key)
                every += [self._articles.to_article(doc, f, read, bookmarks, counts)
                          for doc in self._articles.docs_once(f.key)]
            every.sort(key=_newest_first)
            # the stamps the files had when they were read: a change meanwhile reads again
            self._every = (index.recorded(keys), every)
        shown = (a for a in self._every[1] if not a.hidden)  # a hidden one lists nowhere
        index.remember(keys, list(itertools.islice(shown, HEAD_SIZE)))  # start-up, --limit
        return self._every[1]

    def newest(self, limit: int) -> list[Article] | None:
        """The newest `limit` (at most HEAD_SIZE) articles from the article index; None when
        it is not up to date."""
        subscribed = self._subscriptions.feeds()
        rows = self._articles.index.newest([f.key for f in subscribed])
        if rows is None:  # (it holds every cached article when it holds under HEAD_SIZE)
            return None
        by_key = {f.key: f for f in subscribed}
        bookmarks = self._marks.bookmarks()
        counts = self._marks.annotated()
        out = [self._articles.to_article(doc, by_key[key], self._marks.read_ids(key),
                                         bookmarks, counts) for key, doc in rows]
        out += self._copies(None)
        out.sort(key=_newest_first)
        return out[:limit]

    def _copies(self, feed_key: str | None, *, unread: bool = False, bookmarked: bool = False,
                annotated: bool = False, wanted: set[str] | None = None) -> list[Article]:
        """Kept copies (bookmarked, annotated) of articles the cache no longer holds, with
        the same filters as `articles`; `feed_key`: only that feed's."""
        bookmarks = self._marks.bookmarks()
        counts = self._marks.annotated()
        keys = self._subscriptions.keys()
        cached: dict[str, set[str]] = {}  # feed key -> ids in its cache, for feeds with copies
        out = []
        for aid, copy in self._marks.copies().items():
            if unread and not (bookmarked or annotated):
                continue
            if wanted is not None and aid not in wanted:
                continue
            if (bookmarked and aid not in bookmarks) or (annotated and aid not in counts):
                continue
            key = copy["article"].get("feed_key", "")
            if feed_key is not None and key != feed_key:
                continue
            if key in keys:
                if key not in cached:
                    cached[key] = set(self._articles.ids(key))
                if aid in cached[key]:
                    continue
            out.append(article_from_copy(copy, bookmarked=aid in bookmarks,
                                         notes=counts.get(aid, 0)))
        return out

    def article(self, ref: str) -> Article:
        """One article by id or unique id prefix (at least 4 characters)."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise LibraryError(f"{ref!r}: give at least 4 characters of the article id")
        with _collector_paused():
            matches = [a for a in self._articles_read(None, hidden=None)
                       if a.id.startswith(ref)]
        if not matches:
            raise LibraryError(f"{ref}: no such article (see `reader articles`)")
        if len(matches) > 1 and not any(a.id == ref for a in matches):
            raise LibraryError(f"{ref}: several articles start with this id; give more of it")
        return next((a for a in matches if a.id == ref), matches[0])

    def counts(self) -> dict[str, tuple[int, int]]:
        """feed key -> (unread, total)."""
        out = {}
        for feed in self._subscriptions.feeds():
            ids = self._articles.ids(feed.key, hidden=False)  # hidden ones count nowhere
            read = self._marks.read_ids(feed.key)
            out[feed.key] = (sum(1 for i in ids if i not in read), len(ids))
        return out

    def query_counts(self) -> dict[str, tuple[int, int]]:
        """query feed title -> (unread, total) of the articles it lists."""
        out: dict[str, tuple[int, int]] = {}
        every: list[Article] | None = None
        feeds = {f.key: f for f in self._subscriptions.feeds()}
        for qfeed in self._queries.all():
            if qfeed.query is None:
                continue
            if every is None:
                every = self.articles()
            found = choose(every, qfeed.query, feeds, self._searching.ids)
            out[qfeed.title] = (sum(not a.read for a in found), len(found))
        return out

    def for_view(self, view: View, limit: int = 0, sort: str = "") -> list[Article]:
        """What a view lists, in `sort` order (one of SORT_ORDERS), or "" its own: a feed's,
        unread, bookmarked (newest bookmark first), annotated (newest edited note first), a
        tag's, a search's (plain words, or a query: reader.query), a query feed's, the hidden
        articles, podcast episodes, or every article; `limit`: only the first that many
        (every article's come from the article index). QueryError when a search's query
        does not parse; LibraryError when a query feed's does not."""
        if view.kind == "all" and not sort:
            return self.articles(limit=limit)
        found = self._for_view(view)
        if sort:
            found = sort_articles(found, sort)
        return found[:limit] if limit > 0 else found

    def _for_view(self, view: View) -> list[Article]:
        if view.kind == "query":
            qfeed = self._queries.find(view.value)
            if qfeed.query is None:
                raise LibraryError(f"query feed {qfeed.title}: {qfeed.error}")
            return self.articles(query=qfeed.query)
        if view.kind == "hidden":
            return self.articles(hidden=True)
        if view.kind == "feed":
            return self.articles(view.value)
        if view.kind == "unread":
            return self.articles(unread=True)
        if view.kind == "bookmarked":
            marks = self._marks.bookmarks()
            found = self.articles(bookmarked=True)
            return sorted(found, key=lambda a: marks.get(a.id, {}).get("at", 0), reverse=True)
        if view.kind == "notes":
            latest: dict[str, float] = {}
            for doc in self._marks.note_docs().values():
                aid = doc["article_id"]
                latest[aid] = max(latest.get(aid, 0.0), doc.get("edited", 0.0))
            found = self.articles(annotated=True)
            return sorted(found, key=lambda a: latest.get(a.id, 0.0), reverse=True)
        if view.kind == "tag":
            keys = {f.key for f in self._subscriptions.feeds() if in_folder(f.tags, view.value)}
            return [a for a in self.articles() if a.feed_key in keys]
        if view.kind == "search":
            if looks_like_query(view.value):
                return self.articles(view.scope or None, query=parse(view.value))
            return self.articles(view.scope or None, search=view.value)
        if view.kind == "podcasts":
            return self.podcasts()
        return self.articles()

    def podcasts(self) -> list[Article]:
        """Articles with an audio enclosure (podcast episodes), newest first; kept copies
        whose feed text carries one count too."""
        bookmarks, counts = self._marks.bookmarks(), self._marks.annotated()
        out: list[Article] = []
        seen: set[str] = set()
        for feed in self._subscriptions.feeds():
            read = self._marks.read_ids(feed.key)
            for doc in self._articles.docs_once(feed.key):
                seen.add(doc["id"])
                if doc.get("audio"):
                    out.append(self._articles.to_article(doc, feed, read, bookmarks, counts))
        for aid, copy in self._marks.copies().items():
            files = copy.get("body", {}).get("enclosures") or []
            if aid not in seen and any(isinstance(f, dict) and Enclosure.from_dict(f).is_audio
                                       for f in files):
                out.append(article_from_copy(copy, bookmarked=aid in bookmarks,
                                             notes=counts.get(aid, 0)))
        out.sort(key=lambda a: a.date, reverse=True)
        return out
