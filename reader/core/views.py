"""Views: which articles a listing holds, in what order; the CLI and the app both ask here.

`articles` filters (a feed, unread, bookmarked, annotated, a search); `for_view` is what
each view of the app lists (bookmarks newest bookmarked first, notes newest edited first)."""

from __future__ import annotations

from reader.core.articles import Articles, article_from_copy
from reader.core.marks import Marks
from reader.core.searching import Searching
from reader.core.subscriptions import Subscriptions
from reader.errors import LibraryError
from reader.models import Article, Enclosure, View


class Views:
    """Listings of articles, from the cache and the kept copies."""

    def __init__(self, subscriptions: Subscriptions, articles: Articles, marks: Marks,
                 searching: Searching) -> None:
        self._subscriptions = subscriptions
        self._articles = articles
        self._marks = marks
        self._searching = searching

    def articles(self, feed: str | None = None, *, unread: bool = False,
                 bookmarked: bool = False, search: str | None = None,
                 annotated: bool = False) -> list[Article]:
        """Articles, newest first, filtered; `annotated`: only articles with notes. Bookmarked
        and annotated articles the cache no longer holds (their feed was removed, or the cache
        deleted) come from their kept copies."""
        subscribed = self._subscriptions.feeds()
        feeds = [self._subscriptions.find(feed)] if feed else subscribed
        bookmarks = self._marks.bookmarks()
        counts = self._marks.annotated()
        wanted = self._searching.ids(search) if search else None
        out: list[Article] = []
        for f in feeds:
            read = self._marks.read_ids(f.key)
            for doc in self._articles.docs(f.key):
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
            if unread and not (bookmarked or annotated):
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
        matches = [a for a in self.articles() if a.id.startswith(ref)]
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

    def for_view(self, view: View) -> list[Article]:
        """What a view lists, in its order: a feed's, unread, bookmarked (newest bookmark
        first), annotated (newest edited note first), a tag's, a search's, podcast episodes, or
        every article."""
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
            for doc in self._articles.docs(feed.key):
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
