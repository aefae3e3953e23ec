"""Searching: which articles have every word of a query, from the search index of
`reader.search` (kept current feed by feed before each search), the notes and quotes, and
the kept copies whose feed no longer holds them."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterator
from typing import Any

from reader.core.articles import OverArticles
from reader.storage.documents import ArticleDoc, FullTextDoc, KeptCopy


class Searching(OverArticles):
    """The search index and the query over it."""

    _index: Any = None  # reader.search.SearchIndex, opened at the first search
    _copy_words: dict[str, tuple[Any, str]] | None = None  # kept copy id -> (key, words)

    def close(self) -> None:
        """Close the index (it is opened again by the next search)."""
        if self._index is not None:
            self._index.close()
            self._index = None

    def ids(self, query: str) -> set[str]:
        """Ids of the articles whose shown text, title, author, notes or quotes have every
        word of `query` (each word the start of a word there). Cached articles come from the
        search index, brought up to date first; notes and kept copies are read directly."""
        from reader.search import has_words, query_words

        words = query_words(query)
        if not words:
            return set()
        found = set(self._current_index().search(query))
        noted: dict[str, list[str]] = {}
        for note in self._marks.note_docs().values():
            noted.setdefault(note["article_id"], []).extend((note["text"], note["quote"]))
        found.update(aid for aid, texts in noted.items()
                     if has_words("\n".join(texts), words))
        subscribed = self._subscriptions.keys()
        cached: dict[str, set[str]] = {}
        for aid, copy in self._marks.copies().items():
            key = copy["article"].get("feed_key", "")
            if key in subscribed and key not in cached:
                cached[key] = set(self._articles.ids(key))
            if aid in found or aid in cached.get(key, ()):
                continue  # indexed with its feed
            if has_words(self._copy_search_text(aid, copy), words):
                found.add(aid)
        return found

    def _copy_search_text(self, aid: str, copy: KeptCopy) -> str:
        """A kept copy's words (its feed is gone or no longer holds it), remembered."""
        if self._copy_words is None:
            self._copy_words = {}
        memo = self._copy_words.get(aid)
        body = copy.get("body") or {}
        key = (body.get("full_fetched_at"), copy["article"].get("title"))
        if memo is None or memo[0] != key:
            from reader.content import convert

            article = copy["article"]
            html = body.get("full_html") or body.get("content_html") or body.get(
                "summary_html", "")
            text = convert.search_text(html, base_url=body.get("full_url") or body.get(
                "base_url") or article.get("link", ""),
                extra_rules=self._session.settings.site_rules or None)
            memo = self._copy_words[aid] = (key, "\n".join(
                (article.get("title", ""), article.get("author", ""), text)))
        return memo[1]

    def _current_index(self) -> Any:
        """The search index, with every feed whose cache files changed indexed again (only
        its articles whose words may have changed are read and converted to words)."""
        from reader.content import convert
        from reader.search import SearchIndex

        if self._index is None:
            self._index = SearchIndex(self._session.paths.cache_dir / "search.sqlite")
        index = self._index
        rules = self._session.settings.site_rules or None
        # what turns HTML into words: a new rule or converter indexes every article again
        words_from = (f"{hashlib.sha1(repr(rules).encode()).hexdigest()[:12]}."
                      f"{convert.CONVERTER_VERSION}")
        indexed = index.feed_signatures()
        written = 0
        feeds = self._subscriptions.feeds()
        for feed in feeds:
            signature = f"{self._session.store.feed_files_signature(feed.key)}:{words_from}"
            if indexed.get(feed.key) == signature:
                continue
            written += index.update_feed(feed.key, signature,
                                         self._index_items(feed.key, rules, words_from))
        if indexed.keys() - {f.key for f in feeds}:
            index.forget_feeds({f.key for f in feeds})
            written += 1
        if written and index.compact():  # emptied to drop stale words: index everything again
            return self._current_index()
        return index

    def _index_items(self, feed_key: str, rules: list[dict[str, Any]] | None, words_from: str
                     ) -> Iterator[tuple[str, str, Callable[[], Any]]]:
        """(article id, signature of its words' sources, maker of its IndexDoc) for each
        article the feed's cache holds: the full text's words when one was fetched, else the
        feed's text (content, or the summary), as the converter would show them."""
        from reader.content import convert
        from reader.search import IndexDoc

        store = self._session.store
        full_ids = store.full_ids(feed_key)
        bodies: dict[str, Any] = {}

        def make(doc: ArticleDoc, full: FullTextDoc | None) -> IndexDoc:
            if full is not None:
                html, base = full["html"], full.get("final_url") or full.get("url", "")
            else:
                if not bodies:
                    bodies.update(self._articles.bodies(feed_key))
                body = bodies.get(doc["id"]) or {}
                html = body.get("content_html", "")
                if not html.strip():
                    html = body.get("summary_html", "")
                base = body.get("base_url") or doc.get("link", "")
            return IndexDoc(doc["id"], doc.get("title", ""), doc.get("author", ""),
                            convert.search_text(html, base_url=base, extra_rules=rules))

        for doc in self._articles.docs_once(feed_key):
            full = store.load_full(feed_key, doc["id"]) if doc["id"] in full_ids else None
            full = full if full and full.get("html") else None
            sig = "|".join((words_from, doc.get("body_hash", ""), doc.get("title", ""),
                            doc.get("author", ""), str(full["fetched_at"]) if full else ""))
            yield doc["id"], sig, functools.partial(make, doc, full)
