"""Reading: an article's text as Markdown, the fetched full text or the feed's own, with one
conversion cache-key policy for both (`conversion_key`)."""

from __future__ import annotations

from typing import Any

from reader.core.articles import Articles
from reader.core.session import Session
from reader.models import Article, ArticleText

_FULL_MEMO = 64
"""Converted full texts kept in memory (they are not cached on disk)."""


def conversion_key(html: str, *, base_url: str, summary_only: bool,
                   site_rules: list[dict[str, Any]] | None) -> str:
    """The one key converted Markdown is cached under: the converter's version, the HTML,
    whether it is a summary, the base URL and the user's [[site_rules]] (each of which
    changes the Markdown), so a change to any of them converts again."""
    from reader.content import convert

    return convert.cache_key(html + ("\x00summary" if summary_only else ""), base_url=base_url,
                             extra_rules=site_rules or None)


class Reading:
    """Converts articles for reading, caching the Markdown with the feed's bodies."""

    def __init__(self, session: Session, articles: Articles) -> None:
        self._session = session
        self._articles = articles
        self._full_memo: dict[str, tuple[str, Any]] = {}  # article id -> (key, Converted)

    def warm_up(self) -> None:
        """Import the converter and its parser (a first conversion pays ~100 ms for them)."""
        from reader.content import convert  # noqa: F401

    def _rules(self) -> list[dict[str, Any]] | None:
        return self._session.settings.site_rules or None

    def converted(self, article: Article, *, defer_save: bool = False) -> Any:
        """The feed's text as clean Markdown (reader.content.convert.Converted), cached with
        the body. With `defer_save` the new Markdown is kept in memory and written by the next
        `save_conversions()`, so showing an article never waits on a file rewrite."""
        from reader.content import convert

        bodies = self._articles.bodies(article.feed_key)
        body = bodies.get(article.id) or self._articles.body(article)
        content = body.get("content_html", "")
        summary_only = not content.strip()
        source = body.get("summary_html", "") if summary_only else content
        base = body.get("base_url") or article.link
        key = conversion_key(source, base_url=base, summary_only=summary_only,
                             site_rules=self._rules())
        if body.get("md_key") == key and "markdown" in body and "links" in body:
            return convert.Converted(
                markdown=body["markdown"],
                links=[convert.Link(**link) for link in body["links"]],
                summary_only=summary_only,
            )
        result = convert.convert(source, base_url=base, summary_only=summary_only,
                                 extra_rules=self._rules())
        if self._session.writable and article.id in bodies:
            body.update(md_key=key, markdown=result.markdown,
                        links=[vars(link) for link in result.links])
            self._articles.unsaved.add(article.feed_key)
            if not defer_save:
                self.save_conversions()
        return result

    def text(self, article: Article, *, prefer: str = "auto", defer_save: bool = False
             ) -> ArticleText:
        """What to show for an article: the fetched full text when there is one (`prefer`
        "auto" or "full"), else the feed's own text (`prefer` "feed"), as Markdown."""
        full = self._articles.full_text(article) or {}
        has_full = bool(full.get("html"))
        info = {"full_available": has_full, "full_error": full.get("error", ""),
                "full_fetched_at": full.get("fetched_at", 0.0),
                "full_url": full.get("final_url") or full.get("url", "")}
        if has_full and prefer != "feed":
            from reader.content import convert

            key = conversion_key(full["html"], base_url=info["full_url"], summary_only=False,
                                 site_rules=self._rules())
            memo = self._full_memo.get(article.id)
            if memo is None or memo[0] != key:
                result = convert.convert(full["html"], base_url=info["full_url"],
                                         extra_rules=self._rules())
                memo = self._full_memo[article.id] = (key, result)
                while len(self._full_memo) > _FULL_MEMO:
                    del self._full_memo[next(iter(self._full_memo))]
            return ArticleText(markdown=memo[1].markdown, links=memo[1].links, source="full",
                               **info)
        converted = self.converted(article, defer_save=defer_save)
        return ArticleText(markdown=converted.markdown, links=converted.links,
                           source="summary" if converted.summary_only else "feed", **info)

    def save_conversions(self) -> None:
        """Write converted Markdown still held in memory (one rewrite per feed touched)."""
        with self._session.writing():
            self._articles.save_unsaved()
