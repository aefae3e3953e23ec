"""Full text: which articles' web pages to fetch, fetching them, and storing their main
text (extracted by `reader.content.extract`) with the article and its kept copies."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from typing import Any

from reader.core.articles import OverArticles, article_from_copy
from reader.core.merge import doc_date
from reader.core.runner import StopOthers, run_all
from reader.errors import ExtractError, StoreError
from reader.models import Article, Feed, FullTextResult
from reader.textutil import one_line

FullTextProgress = Callable[[int, int, FullTextResult], None]

_DOWN_PAGES = 8
"""This many pages in a row unreachable: the network is gone, the rest is not tried."""


def _web_link(link: str) -> bool:
    return link.lower().startswith(("http://", "https://"))


class FullText(OverArticles):
    """Fetches articles' web pages and keeps their main text."""

    def rule(self, feed: Feed | None) -> bool | None:
        """True: fetch every article's page; False: none; None: summary-only articles. The
        feed's `full_text` option, else [full_text] feeds ("all", "summary-only", "none")."""
        option = self._session.settings.feed_option(feed.url, "full_text") if feed else None
        if isinstance(option, bool):
            return option
        mode = self._session.settings.full_text_feeds
        return True if mode == "all" else None if mode == "summary-only" else False

    def targets(self, ids: Iterable[str] | None = None, *, retry: bool = False) -> list[Article]:
        """Articles whose full text should be fetched and is not here yet: of the given ids
        (a refresh's new articles), else every cached article, plus (with no ids) bookmarked
        and annotated ones whose feed text is only a summary. `retry`: also those whose last
        fetch failed."""
        wanted = set(ids) if ids is not None else None
        if wanted is not None and not wanted:
            return []
        kept = self._marks.kept_ids() if wanted is None else set()
        bookmarks, counts = self._marks.bookmarks(), self._marks.annotated()
        store = self._session.store
        out: list[Article] = []
        for feed in self._subscriptions.feeds():
            rule = self.rule(feed)
            if rule is False and not kept:
                continue
            if wanted is not None and wanted.isdisjoint(self._articles.ids(feed.key)):
                continue  # (the ids come from the cache summary: the file is not read)
            chosen = [d for d in self._articles.docs_once(feed.key)
                      if (wanted is None or d["id"] in wanted) and (
                          rule is True or (rule is None and not d.get("has_content"))
                          or (d["id"] in kept and not d.get("has_content")))]
            if not chosen:
                continue
            have = store.full_ids(feed.key)
            read = self._marks.read_ids(feed.key)
            room = self._session.settings.full_text_max_per_feed or len(chosen)
            for doc in sorted(chosen, key=doc_date, reverse=True):
                article = self._articles.to_article(doc, feed, read, bookmarks, counts)
                if self._needs_fetch(article, doc["id"] in have, retry):
                    out.append(article)
                    room -= 1
                    if room <= 0:
                        break
        if wanted is None:  # kept articles whose feed is gone: their copies get the text
            cached = {i for f in self._subscriptions.feeds() for i in self._articles.ids(f.key)}
            for aid, copy in self._marks.copies().items():
                if aid in cached or copy["article"].get("summary_only") is False:
                    continue
                article = article_from_copy(copy, bookmarked=aid in bookmarks,
                                            notes=counts.get(aid, 0))
                if self._needs_fetch(article, False, retry):
                    out.append(article)
        return out

    def _needs_fetch(self, article: Article, has_file: bool, retry: bool) -> bool:
        if not _web_link(article.link):
            return False
        if has_file:
            doc = self._articles.full_text(article) or {}
            return not doc.get("html") and (retry or not doc.get("error"))
        return not self._articles.has_kept_full_text(article.id)

    async def fetch(self, articles: list[Article], on_progress: FullTextProgress | None = None,
                    *, force: bool = False) -> list[FullTextResult]:
        """Fetch the web pages of `articles`, extract their main text and store it with the
        article (and in its kept copy, if bookmarked or annotated). At most [full_text]
        concurrency pages at once. A failure keeps what was there: the feed text, and any
        full text fetched before; the reason is stored and shown."""
        self._session.need_writable()
        results: list[FullTextResult] = []
        total = len(articles)

        def report(result: FullTextResult) -> None:
            results.append(result)
            if on_progress is not None:
                on_progress(len(results), total, result)

        if self._session.offline:
            for article in articles:
                report(FullTextResult(article.id, "offline", error="offline",
                                      title=article.title))
            return results
        down = [0]
        async with self._session.fetcher(self._session.settings.full_text_concurrency
                                         ) as fetcher:

            async def one(article: Article, stop_others: StopOthers) -> None:
                try:
                    result = await self._fetch_one(article, fetcher, force)
                except StoreError as exc:
                    result = FullTextResult(article.id, "error", error=str(exc))
                except Exception as exc:  # noqa: BLE001 - one page must not stop the rest
                    result = FullTextResult(article.id, "error",
                                            error=f"internal error: {type(exc).__name__}: {exc}")
                result.title = article.title
                report(result)
                down[0] = down[0] + 1 if result.status == "offline" else -len(articles)
                if down[0] >= _DOWN_PAGES:  # no page answers at all: the network is gone
                    stop_others()

            await run_all(articles, one)
        done = {r.article_id for r in results}
        for article in articles:
            if article.id not in done:
                report(FullTextResult(article.id, "offline", error="offline (no page answered)",
                                      title=article.title))
        order = {a.id: i for i, a in enumerate(articles)}
        results.sort(key=lambda r: order.get(r.article_id, 0))
        return results

    async def _fetch_one(self, article: Article, fetcher: Any, force: bool) -> FullTextResult:
        from reader.fetch import is_private_url, is_trusted_source

        old = self._articles.full_text(article) or {}
        if old.get("html") and not force:
            return FullTextResult(article.id, "skipped")
        link = article.link
        if not _web_link(link):
            reason = "the article has no web address" if not link else \
                f"its link is not a web page ({link[:60]})"
            return FullTextResult(article.id, "error", error=reason)
        feed = self._subscriptions.feed_of(article.feed_key)
        # a server feed's URL is the server's word, not a subscription made here: never trusted
        trusted = feed is not None and not feed.account and is_trusted_source(feed.origin_url)
        if is_private_url(link) and not trusted:
            return FullTextResult(article.id, "error", error=(
                "its link points into this computer or the local network; pages there are "
                "fetched only for feeds that come from there too"))
        fetched = await fetcher.fetch_page(link, public_only=not trusted)
        if fetched.status == "error" and fetched.network_down:
            return FullTextResult(article.id, "offline", error=f"offline ({fetched.error})")
        error = ""
        extracted = None
        if fetched.status == "error":
            error = fetched.error
        else:
            from reader.content.extract import extract

            try:
                extracted = await asyncio.to_thread(
                    extract, fetched.body, fetched.final_url or link, fetched.content_type)
            except ExtractError as exc:
                error = str(exc)
        now = time.time()
        if extracted is None:
            doc = dict(old, error=one_line(error), error_at=now)
            doc.setdefault("url", link)
            await self._session.write(self._articles.save_full, article, doc)
            return FullTextResult(article.id, "error", error=doc["error"])
        doc = {"url": link, "final_url": fetched.final_url or link, "fetched_at": now,
               "html": extracted.html, "title": one_line(extracted.title), "error": ""}
        await self._session.write(self._articles.save_full, article, doc)
        return FullTextResult(article.id, "ok")
