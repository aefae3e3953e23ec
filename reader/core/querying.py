"""Queries over the listed articles, sort orders, and query feeds (saved queries shown as
virtual feeds): from config.toml's [[query_feeds]] (read only) and from data/queries.json
(added with `reader query-feeds add` or imported from a newsboat urls file)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from reader.core.session import Session
from reader.errors import LibraryError
from reader.models import Article, Feed
from reader.query import Query, QueryError, parse, to_newsboat
from reader.textutil import one_line

SORT_ORDERS = ("newest", "oldest", "feed", "title", "unread")
"""The orders an article listing can take; the first is the default."""


def sort_articles(articles: list[Article], order: str) -> list[Article]:
    """`articles` in `order` (one of SORT_ORDERS), newest first among equals."""
    if order not in SORT_ORDERS:
        raise LibraryError(f"unknown sort order {order!r}; use one of {', '.join(SORT_ORDERS)}")
    out = sorted(articles, key=lambda a: a.date, reverse=order != "oldest")
    if order == "feed":
        out.sort(key=lambda a: a.feed_title.casefold())
    elif order == "title":
        out.sort(key=lambda a: a.title.casefold())
    elif order == "unread":
        out.sort(key=lambda a: a.read)
    return out


class ArticleSubject:
    """An Article as a query sees it (reader.query.Subject): with its feed's title, URL and
    tags, and its words looked up in the search index."""

    __slots__ = ("article", "feed_url", "tags", "_has_text")

    def __init__(self, article: Article, feed: Feed | None,
                 has_text: Callable[[Article, str], bool]) -> None:
        self.article = article
        self.feed_url = feed.url if feed is not None else ""
        self.tags: Sequence[str] = (list(feed.tags) if feed is not None else []) + article.tags
        self._has_text = has_text

    title = property(lambda self: self.article.title)
    author = property(lambda self: self.article.author)
    link = property(lambda self: self.article.link)
    feed_title = property(lambda self: self.article.feed_title)
    categories = property(lambda self: self.article.categories)
    read = property(lambda self: self.article.read)
    bookmarked = property(lambda self: self.article.bookmarked)
    notes = property(lambda self: self.article.notes)
    date = property(lambda self: self.article.date)

    def has_text(self, words: str) -> bool:
        """Every word of `words` starts a word of the article (as the search finds it)."""
        return self._has_text(self.article, words)


def choose(articles: Iterable[Article], query: Query, feeds: dict[str, Feed],
           search_ids: Callable[[str], set[str]], now: float | None = None) -> list[Article]:
    """The articles `query` chooses. `text ~ "words"` asks `search_ids(words)` once per
    value (the search index), so no article body is read."""
    found: dict[str, set[str]] = {}

    def has_text(article: Article, words: str) -> bool:
        if words not in found:
            found[words] = search_ids(words)
        return article.id in found[words]

    test = query.matcher(now)
    return [a for a in articles if test(ArticleSubject(a, feeds.get(a.feed_key), has_text))]


@dataclass(frozen=True)
class QueryFeed:
    """A saved query shown as a virtual feed."""

    title: str
    source: str
    """The query as written."""
    origin: str = "data"
    """"config" (config.toml, edited there) or "data" (data/queries.json)."""
    error: str = ""
    """Why the query does not parse (the feed lists nothing until it is mended)."""

    @cached_property
    def query(self) -> Query | None:
        """The parsed query, None when it does not parse."""
        try:
            return parse(self.source)
        except QueryError:
            return None


class QueryFeeds:
    """The query feeds of config.toml and of data/queries.json, titles unique (ignoring case;
    config.toml's win)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._saved: list[QueryFeed] | None = None
        session.on_change.append(self._changed)

    def _changed(self, changed: set[Path]) -> None:
        """Another reader saved query feeds: read them again when next needed."""
        if self._session.store.data_dir / "queries.json" in changed:
            self._saved = None

    def _stored(self) -> list[QueryFeed]:
        if self._saved is None:
            data = self._session.store.load_small(
                "queries.json", lambda d: isinstance(d.get("feeds", []), list))
            self._saved = [_checked(d.get("title", ""), d.get("query", ""), "data")
                           for d in data.get("feeds", []) if isinstance(d, dict)
                           and isinstance(d.get("title"), str) and isinstance(d.get("query"), str)]
        return self._saved

    def all(self) -> list[QueryFeed]:
        """Every query feed: config.toml's first, then the saved ones, in their order."""
        out = [_checked(d["title"], d["query"], "config")
               for d in self._session.settings.query_feeds]
        taken = {q.title.casefold() for q in out}
        out += [q for q in self._stored() if q.title.casefold() not in taken]
        return out

    def find(self, title: str) -> QueryFeed:
        """A query feed by title (ignoring case); LibraryError when there is none."""
        wanted = title.strip().casefold()
        for feed in self.all():
            if feed.title.casefold() == wanted:
                return feed
        raise LibraryError(f"{title}: no such query feed (see `reader query-feeds`)")

    def add(self, title: str, source: str) -> QueryFeed:
        """Save a query feed; QueryError when the query does not parse, LibraryError when
        the title is empty or taken."""
        self._session.need_lock()
        title, source = one_line(title), one_line(source)
        if not title:
            raise LibraryError("a query feed needs a title")
        parse(source)
        if any(q.title.casefold() == title.casefold() for q in self.all()):
            raise LibraryError(f"{title}: a query feed of this title exists already")
        feed = QueryFeed(title, source)
        self._save([*self._stored(), feed])
        return feed

    def add_many(self, feeds: Iterable[tuple[str, str]]) -> list[str]:
        """Save imported query feeds (title, query) whose titles are new; their titles."""
        self._session.need_lock()
        taken = {q.title.casefold() for q in self.all()}
        added = []
        for title, source in feeds:
            title, source = one_line(title), one_line(source)
            if title and title.casefold() not in taken:
                taken.add(title.casefold())
                added.append(QueryFeed(title, source))
        if added:
            self._save([*self._stored(), *added])
        return [q.title for q in added]

    def remove(self, title: str) -> QueryFeed:
        """Delete a saved query feed (config.toml's are removed there)."""
        self._session.need_lock()
        feed = self.find(title)
        if feed.origin == "config":
            raise LibraryError(f"{feed.title}: defined in {self._session.paths.config_file}; "
                               "remove it there")
        self._save([q for q in self._stored() if q.title != feed.title])
        return feed

    def as_newsboat(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(title, expression) of the query feeds newsboat's filter language can say, and a
        warning for each one it cannot."""
        out: list[tuple[str, str]] = []
        left_out: list[str] = []
        for qfeed in self.all():
            expression = to_newsboat(qfeed.query) if qfeed.query is not None else None
            if expression is None or ":" in qfeed.title:
                left_out.append(f"query feed {qfeed.title!r} left out: "
                                + ("a ':' in its title" if expression else
                                   "newsboat's filters cannot say it"))
            else:
                out.append((qfeed.title, expression))
        return out, left_out

    def _save(self, feeds: list[QueryFeed]) -> None:
        self._session.store.save_small(
            "queries.json", {"feeds": [{"title": q.title, "query": q.source} for q in feeds]})
        self._saved = feeds


def _checked(title: str, source: str, origin: str) -> QueryFeed:
    try:
        parse(source)
    except QueryError as exc:
        return QueryFeed(title, source, origin, str(exc))
    return QueryFeed(title, source, origin)
