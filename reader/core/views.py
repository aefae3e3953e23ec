"""Views: which articles a listing holds, in what order; the CLI and the app both ask here.

`articles` filters (a feed, unread, bookmarked, annotated, a search); `for_view` is what
each view of the app lists (bookmarks newest bookmarked first, notes newest edited first)."""

from __future__ import annotations

from reader.core.articles import Articles, article_from_copy
from reader.core.marks import Marks
from reader.core.querying import QueryFeeds, choose, sort_articles
from reader.core.searching import Searching
from reader.core.subscriptions import Subscriptions
from reader.errors import LibraryError
from reader.models import Article, View
from reader.query import Query, looks_like_query, parse


class Views:
    """Listings of articles, from the cache and the kept copies."""

    def __init__(self, subscriptions: Subscriptions, articles: Articles, marks: Marks,
                 searching: Searching, queries: QueryFeeds) -> None:
        self._queries = queries
        self._subscriptions = subscriptions
        self._articles = articles
        self._marks = marks
        self._searching = searching

    def articles(self, feed: str | None = None, *, unread: bool = False,
                 bookmarked: bool = False, search: str | None = None,
                 annotated: bool = False, query: Query | None = None, hidden: bool = False,
                 sort: str = "newest") -> list[Article]:
        """Articles, filtered, in the `sort` order (newest first by default); `annotated`:
        only articles with notes; `query`: only those it chooses; `hidden`: only the ones a
        filter rule hid (listed nowhere else). Bookmarked and annotated articles the cache no
        longer holds (their feed was removed, or the cache deleted) come from their kept
        copies."""
        kept = (bookmarked or annotated) and not hidden  # a hidden one bookmarked is listed
        found = self._listed(feed, unread=unread, bookmarked=bookmarked, search=search,
                             annotated=annotated, hidden=None if kept else hidden)
        if query is not None:
            feeds = {f.key: f for f in self._subscriptions.feeds()}
            found = choose(found, query, feeds, self._searching.ids)
        return sort_articles(found, sort) if sort != "newest" else found

    def _listed(self, feed: str | None, *, unread: bool = False, bookmarked: bool = False,
                search: str | None = None, annotated: bool = False, hidden: bool | None = False
                ) -> list[Article]:
        """Articles, newest first; `hidden` None: the hidden ones and the others."""
        subscribed = self._subscriptions.feeds()
        feeds = [self._subscriptions.find(feed)] if feed else subscribed
        bookmarks = self._marks.bookmarks()
        counts = self._marks.annotated()
        wanted = self._searching.ids(search) if search else None
        out: list[Article] = []
        for f in feeds:
            read = self._marks.read_ids(f.key)
            for doc in self._articles.docs(f.key):
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
        keys = {f.key for f in subscribed}
        cached: dict[str, set[str]] = {}  # feed key -> ids in its cache, for feeds with copies
        for aid, copy in self._marks.copies().items():
            if hidden is True or (unread and not (bookmarked or annotated)):
                continue
            if wanted is not None and aid not in wanted:
                continue
            if (bookmarked and aid not in bookmarks) or (annotated and aid not in counts):
                continue
            key = copy["article"].get("feed_key", "")
            if feed and key != feeds[0].key:
                continue
            if key in keys:
                if key not in cached:
                    cached[key] = {d["id"] for d in self._articles.docs(key)}
                if aid in cached[key]:
                    continue
            out.append(article_from_copy(copy, bookmarked=aid in bookmarks,
                                         notes=counts.get(aid, 0)))
        out.sort(key=lambda a: a.date, reverse=True)
        return out

    def article(self, ref: str) -> Article:
        """One article by id or unique id prefix (at least 4 characters)."""
        ref = ref.strip().lower()
        if len(ref) < 4:
            raise LibraryError(f"{ref!r}: give at least 4 characters of the article id")
        matches = [a for a in self._listed(None, hidden=None) if a.id.startswith(ref)]
        if not matches:
            raise LibraryError(f"{ref}: no such article (see `reader articles`)")
        if len(matches) > 1 and not any(a.id == ref for a in matches):
            raise LibraryError(f"{ref}: several articles start with this id; give more of it")
        return next((a for a in matches if a.id == ref), matches[0])

    def counts(self) -> dict[str, tuple[int, int]]:
        """feed key -> (unread, total)."""
        out = {}
        for feed in self._subscriptions.feeds():
            ids = self._articles.ids(feed.key)
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

    def for_view(self, view: View, sort: str = "") -> list[Article]:
        """What a view lists, in `sort` order (one of SORT_ORDERS), or "" its own: a feed's,
        unread, bookmarked (newest bookmark first), annotated (newest edited note first), a
        tag's, a search's (plain words, or a query: reader.query), a query feed's, the hidden
        articles, or every article. QueryError when a search's query does not parse;
        LibraryError when a query feed's does not."""
        found = self._for_view(view)
        return sort_articles(found, sort) if sort else found

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
            keys = {f.key for f in self._subscriptions.feeds() if view.value in f.tags}
            return [a for a in self.articles() if a.feed_key in keys]
        if view.kind == "search":
            if looks_like_query(view.value):
                return self.articles(view.scope or None, query=parse(view.value))
            return self.articles(view.scope or None, search=view.value)
        return self.articles()
