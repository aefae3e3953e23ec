"""Views: which articles a listing holds, in what order; the CLI and the app both ask here.

`articles` filters (a feed, unread, bookmarked, annotated, a search); `for_view` is what
each view of the app lists (bookmarks newest bookmarked first, notes newest edited first)."""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

from reader.core.articles import Articles, article_from_copy
from reader.core.marks import Marks
from reader.core.subscriptions import Subscriptions
from reader.errors import LibraryError
from reader.models import Article, View
from reader.storage.documents import BodyDoc

_TAG_RE = re.compile(r"<[^>]*>")


def _plain_text(body: BodyDoc | dict[str, Any]) -> str:
    raw = (body.get("content_html") or "") + " " + (body.get("summary_html") or "")
    return html_lib.unescape(_TAG_RE.sub(" ", raw))


class Views:
    """Listings of articles, from the cache and the kept copies."""

    def __init__(self, subscriptions: Subscriptions, articles: Articles, marks: Marks) -> None:
        self._subscriptions = subscriptions
        self._articles = articles
        self._marks = marks

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
        out: list[Article] = []
        for f in feeds:
            read = self._marks.read_ids(f.key)
            for doc in self._articles.docs(f.key):
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
        if search:
            out = self._search(out, search)
        out.sort(key=lambda a: a.date, reverse=True)
        return out

    def _search(self, articles: list[Article], text: str) -> list[Article]:
        needle = text.casefold()
        hits = []
        current: tuple[str, dict[str, BodyDoc]] = ("", {})  # one feed at a time
        noted: dict[str, str] = {}  # article id -> its notes and quotes, folded
        for note in self._marks.note_docs().values():
            noted[note["article_id"]] = "\n".join(
                (noted.get(note["article_id"], ""), note["text"], note["quote"])).casefold()
        for article in articles:
            if (needle in article.title.casefold() or needle in article.author.casefold()
                    or needle in noted.get(article.id, "")):
                hits.append(article)
                continue
            if article.feed_key != current[0]:
                current = (article.feed_key,
                           self._articles.remembered_bodies(article.feed_key))
            body = current[1].get(article.id) or self._marks.copy_body(article.id)
            if body and needle in _plain_text(body).casefold():
                hits.append(article)
        return hits

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
        first), annotated (newest edited note first), a tag's, a search's, or every article."""
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
        return self.articles()
