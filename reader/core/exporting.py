"""Export: the annotated and bookmarked articles as plain items for `reader.export`, which
writes them as Markdown files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from reader.core.articles import article_from_copy
from reader.core.marks import Marks
from reader.core.reading import Reading
from reader.core.subscriptions import Subscriptions
from reader.core.views import Views
from reader.export import ExportItem, write_export
from reader.models import Article, Note


def export_notes(subscriptions: Subscriptions, marks: Marks, views: Views, reading: Reading,
                 folder: Path, *, with_article: bool = False) -> list[Path]:
    """Write one Markdown file per annotated or bookmarked article into `folder` (created if
    missing); returns the files, one per article, in article id order."""
    bookmarks = marks.bookmarks()
    counts = marks.annotated()
    ids = set(bookmarks) | set(counts)
    feeds = {f.key: f for f in subscriptions.feeds()}
    copies = {aid: marks.kept_copy(aid) for aid in ids}
    # Only the feeds holding these articles are read (every annotated or bookmarked article
    # has a kept copy naming its feed): at 100k cached articles, listing them all was half
    # of an export's time (bench/bench_scale.py).
    holders = {(c or {}).get("article", {}).get("feed_key") for c in copies.values()}
    if None in holders or "" in holders:
        listed = {a.id: a for a in views.articles() if a.id in ids}
    else:
        listed = {a.id: a for key in sorted(holders & set(feeds))
                  for a in views.articles(key) if a.id in ids}
    by_article: dict[str, list[Note]] = {}
    for note in marks.notes({k: f.title for k, f in feeds.items()}):  # once, not per article
        by_article.setdefault(note.article_id, []).append(note)

    def items() -> Iterator[ExportItem]:
        for aid in sorted(ids):
            copy = copies[aid]
            article: Article | None = listed.get(aid)
            if article is None:
                if copy is None:
                    continue  # notes whose article was never copied (hand-edited data)
                article = article_from_copy(copy, bookmarked=aid in bookmarks,
                                            notes=counts.get(aid, 0))
            feed = feeds.get(article.feed_key)
            tags = list(feed.tags) if feed else list((copy or {}).get("article", {})
                                                     .get("feed_tags", []))
            yield ExportItem(
                article, sorted(by_article.get(aid, []), key=lambda n: n.created), tags,
                aid in bookmarks, reading.text(article).markdown if with_article else None)

    return write_export(folder, ids, items())
