"""Articles: the feed cache (metadata and bodies) and the one place that knows when an
article comes from the cache and when from its kept copy (bookmarked or annotated articles
outlive the cache and their feed)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from reader.core.index import ArticleIndex
from reader.core.marks import Marks
from reader.core.merge import MergeDecision, body_fields
from reader.core.session import Session
from reader.core.subscriptions import Subscriptions
from reader.models import Article, Feed, ParsedFeed
from reader.storage.documents import (
    ArticleDoc,
    BodyDoc,
    CacheSummary,
    FeedMeta,
    FullTextDoc,
    KeptCopy,
)

_BODIES_REMEMBERED = 3
"""Feeds whose bodies stay in memory (reading stays in a feed)."""


def make_article(meta: dict[str, Any], *, aid: str, feed_key: str, feed_title: str,
                 has_content: bool, read: bool, bookmarked: bool, notes: int) -> Article:
    """The one Article builder: from a cached document or from a kept copy's metadata."""
    get = meta.get
    categories, tags = get("categories"), get("tags")
    # positional, in Article's field order: 100k articles are built for a listing
    return Article(aid, feed_key, get("guid", ""), get("title", ""), get("link", ""),
                   get("author", ""), get("published"), get("updated"), get("fetched_at", 0.0),
                   has_content, feed_title, read, bookmarked, notes,
                   [c for c in categories if isinstance(c, str)] if categories else [],
                   [t for t in tags if isinstance(t, str)] if tags else [],
                   bool(get("hidden", False)))


def article_from_copy(copy: KeptCopy, *, bookmarked: bool = True, notes: int = 0) -> Article:
    """A kept article as an Article (its cache entry is gone: shown as read)."""
    meta = copy["article"]
    return make_article(meta, aid=copy["id"], feed_key=meta.get("feed_key", ""),
                        feed_title=meta.get("feed_title", ""),
                        has_content=not meta.get("summary_only", False), read=True,
                        bookmarked=bookmarked, notes=notes)


def copy_fields(full: FullTextDoc) -> dict[str, Any]:
    """A fetched full-text document as the fields a kept copy's body holds."""
    return {"full_html": full["html"], "full_url": full.get("final_url") or full["url"],
            "full_fetched_at": full.get("fetched_at", 0.0)}


class Articles:
    """The cached articles of every feed, their bodies, and their kept copies."""

    def __init__(self, session: Session, subscriptions: Subscriptions, marks: Marks) -> None:
        self._session = session
        self._subscriptions = subscriptions
        self._marks = marks
        self._docs: dict[str, list[ArticleDoc]] = {}
        self._bodies: dict[str, dict[str, BodyDoc]] = {}
        self.index = ArticleIndex(session)
        """The newest articles of all feeds in one small file (start-up, --limit)."""
        self.unsaved: set[str] = set()
        """Feeds whose bodies hold converted Markdown not yet written."""
        session.on_change.append(self._changed)

    def _changed(self, changed: set[Path]) -> None:
        """Another reader rewrote some feeds' files (a cron refresh): read them again when
        next needed. Markdown converted here and not yet saved for such a feed is dropped:
        it is a cache, made again, and saving it would put back the bodies as they were."""
        cache = self._session.store.cache_dir
        for path in changed:
            key = path.name.removesuffix(".json")
            if path.parent == cache / "feeds":
                self._docs.pop(key, None)
            elif path.parent == cache / "bodies":
                self._bodies.pop(key, None)
                self.unsaved.discard(key)

    # -- the cache ------------------------------------------------------------------------------
    def docs(self, feed_key: str) -> list[ArticleDoc]:
        """A feed's cached articles, newest first (read once, then remembered)."""
        docs = self._docs.get(feed_key)
        if docs is None:
            self.index.loading(feed_key)
            docs = self._docs[feed_key] = self._session.store.load_feed_cache(feed_key)[1]
        return docs

    def docs_once(self, feed_key: str) -> list[ArticleDoc]:
        """A feed's cached articles for a one-off look (after a refresh of 1,000 feeds): from
        memory when listed already, else read and not kept."""
        docs = self._docs.get(feed_key)
        if docs is None:
            self.index.loading(feed_key)
            docs = self._session.store.load_feed_cache(feed_key)[1]
        return docs

    def loaded(self, feed_key: str) -> bool:
        """The feed's documents are in memory already."""
        return feed_key in self._docs

    def bodies(self, feed_key: str) -> dict[str, BodyDoc]:
        """A feed's bodies, remembered for the last few feeds read."""
        bodies = self._bodies.get(feed_key)
        if bodies is None:
            bodies = self._bodies[feed_key] = self._session.store.load_bodies(feed_key)
            for stale in list(self._bodies)[:-_BODIES_REMEMBERED]:
                if stale not in self.unsaved:
                    del self._bodies[stale]
        return bodies

    def remembered_bodies(self, feed_key: str) -> dict[str, BodyDoc]:
        """A feed's bodies for a one-off look (search): from memory, else read, not kept."""
        return self._bodies.get(feed_key) or self._session.store.load_bodies(feed_key)

    def save_unsaved(self) -> None:
        """Write bodies holding converted Markdown not yet written (one rewrite per feed)."""
        for feed_key in sorted(self.unsaved):
            bodies = self._bodies.get(feed_key)
            if bodies is not None:
                self._session.store.save_bodies(feed_key, bodies)
        self.unsaved.clear()

    def summary(self, feed_key: str) -> CacheSummary | None:
        """The cache summary kept in status.json (validators and article ids), if it still
        describes the feed's cache file (same mtime); saves reading 200 files per refresh."""
        summary = self._session.summaries.get(feed_key)
        if summary and summary.get("mtime") == self._session.store.feed_cache_mtime(feed_key):
            return summary
        return None

    def ids(self, feed_key: str, *, hidden: bool | None = None) -> list[str]:
        """Ids of a feed's cached articles (from the summary when the file is not read): all,
        or with `hidden` False those no filter rule hid, with True only the hidden ones."""
        summary = None if feed_key in self._docs else self.summary(feed_key)
        if summary is not None and hidden is None:
            return list(summary["ids"])
        if summary is not None:
            hid = set(summary.get("hidden") or ())
            if hidden:
                return [i for i in summary["ids"] if i in hid]
            return [i for i in summary["ids"] if i not in hid] if hid else list(summary["ids"])
        return [d["id"] for d in self.docs_once(feed_key)
                if hidden is None or bool(d.get("hidden")) == hidden]

    def to_article(self, doc: ArticleDoc, feed: Feed, read: set[str],
                   bookmarks: dict[str, KeptCopy], annotated: dict[str, int]) -> Article:
        """A cached document as an Article with the user's marks."""
        return make_article(doc, aid=doc["id"], feed_key=feed.key, feed_title=feed.title,
                            has_content=doc.get("has_content", False), read=doc["id"] in read,
                            bookmarked=doc["id"] in bookmarks,
                            notes=annotated.get(doc["id"], 0))

    # -- cache or kept copy ------------------------------------------------------------------
    def body(self, article: Article) -> BodyDoc:
        """{content_html, summary_html, base_url, ...}: the cache's, else the kept copy's."""
        body = self.bodies(article.feed_key).get(article.id)
        return body or self._marks.copy_body(article.id) or {
            "content_html": "", "summary_html": "", "base_url": article.link}

    def full_text(self, article: Article) -> FullTextDoc | None:
        """The fetched full text {url, final_url, fetched_at, html, title, error, error_at}
        from the cache, else from the article's kept copy; None when never fetched."""
        doc = None
        if self._subscriptions.feed_of(article.feed_key) is not None:
            doc = self._session.store.load_full(article.feed_key, article.id)
        if doc is None or not doc.get("html"):
            copy = self._marks.copy_body(article.id)
            if copy and copy.get("full_html"):
                kept = {"url": copy.get("full_url", ""), "final_url": copy.get("full_url", ""),
                        "fetched_at": copy.get("full_fetched_at", 0.0),
                        "html": copy["full_html"], "title": "", "error": ""}
                doc = kept | ({"error": doc.get("error", ""), "error_at": doc.get("error_at", 0)}
                              if doc else {})
        return doc

    def has_kept_full_text(self, aid: str) -> bool:
        """The article's kept copy carries a fetched full text."""
        return bool((self._marks.copy_body(aid) or {}).get("full_html"))

    def make_copy(self, article: Article) -> KeptCopy:
        """A full copy of an article (metadata and HTML), safe from cache clean-up."""
        feed = self._subscriptions.feed_of(article.feed_key)
        full = self.full_text(article) or {}
        return {
            "id": article.id,
            "at": time.time(),
            "article": article.to_json() | {"fetched_at": article.fetched_at,
                                            "feed_tags": list(feed.tags) if feed else []},
            "body": body_fields(self.body(article))
            | (copy_fields(full) if full.get("html") else {}),
        }

    def save_full(self, article: Article, doc: FullTextDoc) -> None:
        """Store a full-text document; kept copies get the text too."""
        self._session.need_lock()
        if self._subscriptions.feed_of(article.feed_key) is not None:
            self._session.store.save_full(article.feed_key, article.id, doc)
        if doc.get("html"):
            full = copy_fields(doc)
            self._marks.patch_copies([article.id], lambda aid, copy: dict(
                copy, body=dict(copy["body"], **full)))

    # -- writing a refresh --------------------------------------------------------------------
    def apply_merge(self, feed: Feed, parsed: ParsedFeed, decision: MergeDecision,
                    validators: FeedMeta) -> None:
        """Store what `merge.decide` decided: bodies, metadata, and the kept copies of
        changed articles."""
        if decision.rewrite_bodies:
            self.rewrite_bodies(feed.key, decision.dropped, decision.changed_bodies)
        meta = FeedMeta(**validators, title=parsed.title, site_url=parsed.site_url,
                        kind=parsed.kind)
        self.save_docs(feed.key, meta, decision.docs, decision.dropped)
        docs = {d["id"]: d for d in decision.docs}

        def patch(aid: str, copy: KeptCopy) -> KeptCopy:
            doc = docs[aid]
            return dict(copy, body=dict(copy["body"], **body_fields(decision.changed_bodies[aid])),
                        article=dict(copy["article"], title=doc["title"], link=doc["link"],
                                     author=doc["author"]))

        self._marks.patch_copies(decision.changed_bodies, patch)

    def rewrite_bodies(self, feed_key: str, drop: set[str],
                       add: dict[str, BodyDoc] | None = None) -> None:
        """Write a feed's bodies file without `drop` and with `add` (one rewrite)."""
        bodies = self.bodies(feed_key)
        for aid in drop:
            bodies.pop(aid, None)
        bodies.update(add or {})
        self._session.store.save_bodies(feed_key, bodies)
        self.unsaved.discard(feed_key)

    def save_docs(self, feed_key: str, meta: FeedMeta, ordered: list[ArticleDoc],
                  dropped: set[str]) -> None:
        """Write a feed's article metadata, newest first; the read marks, full texts and
        pictures of the `dropped` articles go with them."""
        store = self._session.store
        store.save_feed_cache(feed_key, meta, ordered)
        if feed_key in self._docs:  # listed before: kept up to date (a refresh of feeds
            self._docs[feed_key] = ordered  # never listed keeps none of them in memory)
            self.index.saved(feed_key)
        hidden = [d["id"] for d in ordered if d.get("hidden")]
        self._session.summaries[feed_key] = {
            "mtime": store.feed_cache_mtime(feed_key), "ids": [d["id"] for d in ordered],
            **({"hidden": hidden} if hidden else {}),
            **{k: meta.get(k, "") for k in ("etag", "last_modified", "content_hash")}}
        if dropped:
            store.forget_read(feed_key, {d["id"] for d in ordered})
            store.delete_full(feed_key, dropped)
            self.delete_pictures(dropped)

    def delete_pictures(self, article_ids: set[str]) -> None:
        """Remove the pictures of these articles (cache/images/<id>/; see core.images)."""
        import shutil

        root = self._session.store.cache_dir / "images"
        if root.is_dir():
            for aid in article_ids:
                shutil.rmtree(root / aid, ignore_errors=True)

    def unhide(self, feed_key: str, ids: set[str]) -> int:
        """Show articles a filter rule hid again (they count and list as any other); returns
        how many were hidden."""
        meta, docs = self._session.store.load_feed_cache(feed_key)
        found = [d for d in docs if d["id"] in ids and d.get("hidden")]
        for doc in found:
            del doc["hidden"]
        if found:
            self.save_docs(feed_key, FeedMeta(**meta), docs, set())
        return len(found)

    def forget_feed(self, feed_key: str) -> None:
        """Delete an unsubscribed feed's cache, read marks and the pictures of its articles
        (kept copies, and the pictures of kept articles, stay)."""
        store = self._session.store
        self.delete_pictures(set(self.ids(feed_key)) - self._marks.kept_ids())
        store.delete_feed_cache(feed_key)
        self._bodies.pop(feed_key, None)
        self.unsaved.discard(feed_key)
        store.delete_read(feed_key)
        self._docs.pop(feed_key, None)
        self.index.forget(feed_key)
        self._session.summaries.pop(feed_key, None)


class OverArticles:
    """Base of the services that work over the cached articles (refresh, full text, cache
    hygiene): each is handed the session and the rooms it reads and writes through."""

    def __init__(self, session: Session, subscriptions: Subscriptions, articles: Articles,
                 marks: Marks) -> None:
        self._session = session
        self._subscriptions = subscriptions
        self._articles = articles
        self._marks = marks
