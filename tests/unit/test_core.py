"""The core's rooms one by one: the pure merge decision, the fake-parser seam, reading's one
conversion cache key, the views the CLI and the app share."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from reader.config import Settings
from reader.core.merge import Limits, article_id, decide
from reader.library import Library
from reader.locations import Paths
from reader.models import ParsedFeed, View
from reader.storage.store import Store
from tests.fakeparser import FakeParser, entry

DAY = 86400.0
NOW = 1_700_000_000.0


def fake_library(paths: Paths, parser: FakeParser, **settings: object) -> Library:
    library = Library(paths, Settings(**settings), parser=parser)
    library.acquire()
    return library


def test_the_merge_decision_is_pure_and_says_what_to_store() -> None:
    old = decide("k", ParsedFeed(entries=[entry(1), entry(2)]), [], had_meta=False,
                 bodies_lost=False, kept=set(), limits=Limits(), now=NOW)
    assert old.new_ids == [article_id("k", "https://fake.example/1"),
                           article_id("k", "https://fake.example/2")]
    assert set(old.changed_bodies) == set(old.new_ids) and old.rewrite_bodies
    changed = entry(2, title="Entry 2, corrected")
    again = decide("k", ParsedFeed(entries=[changed, entry(3)]), old.docs, had_meta=True,
                   bodies_lost=False, kept=set(), limits=Limits(), now=NOW + DAY)
    one, two, three = (article_id("k", f"https://fake.example/{n}") for n in (1, 2, 3))
    assert again.new_ids == [three] and again.updated == 1
    assert set(again.changed_bodies) == {three}  # the body of 2 did not change
    docs = {d["id"]: d for d in again.docs}
    assert docs[one]["in_feed"] is False and docs[two]["fetched_at"] == NOW
    limited = decide("k", ParsedFeed(entries=[entry(3)]), again.docs, had_meta=True,
                     bodies_lost=False, kept={two}, limits=Limits(max_articles=1), now=NOW)
    assert limited.dropped == {one}  # 2 left the feed too, but it is kept (bookmark, note)
    lost = decide("k", ParsedFeed(entries=[entry(3)]), limited.docs, had_meta=True,
                  bodies_lost=True, kept=set(), limits=Limits(), now=NOW)
    assert set(lost.changed_bodies) == {three}  # the bodies file was lost: written again


def test_a_fake_parser_feeds_a_real_refresh(paths: Paths, tmp_path: Path) -> None:
    parser = FakeParser()
    library = fake_library(paths, parser)
    url = parser.feed(tmp_path, "a", "Fake A", [entry(1), entry(2)])
    feed = library.add_feed(url)
    [result] = library.refresh_blocking()
    assert (result.status, result.new) == ("new", 2) and parser.calls == [url]
    assert [a.title for a in library.articles()] == ["Entry 1", "Entry 2"]
    assert library.find_feed(url).title == "Fake A"
    parser.feed(tmp_path, "a", "Fake A", [entry(1), entry(2, title="Two, corrected")])
    [result] = library.refresh_blocking()
    assert (result.status, result.new, result.updated) == ("new", 0, 1)
    library.release()
    again = Library(paths, Settings())
    assert sorted(a.title for a in again.articles(feed.key)) == ["Entry 1", "Two, corrected"]


def test_new_site_rules_reach_an_already_converted_feed_article(paths: Paths,
                                                                tmp_path: Path) -> None:
    """The feed text's Markdown is cached with the article; the key it is cached under must
    change with the user's [[site_rules]] (the full text's key always did)."""
    parser = FakeParser()
    library = fake_library(paths, parser)
    body = ('<p>The story itself, told at length.</p>'
            '<div class="mug-promo">Buy our mug today</div>')
    library.add_feed(parser.feed(tmp_path, "a", "A", [entry(1, content=body)]))
    library.refresh_blocking()
    [article] = library.articles()
    assert "Buy our mug today" in library.text(article).markdown  # converted and cached
    library.release()
    rule = {"name": "mugs", "hosts": ["fake.example"], "drop_selectors": [".mug-promo"]}
    library = fake_library(paths, parser, site_rules=[rule])
    text = library.text(library.article(article.id)).markdown
    assert "The story itself" in text and "Buy our mug" not in text
    library.release()


def test_the_views_of_the_app_list_bookmarks_by_when_they_were_bookmarked(
        paths: Paths, tmp_path: Path) -> None:
    parser = FakeParser()
    library = fake_library(paths, parser)
    library.add_feed(parser.feed(tmp_path, "a", "A", [
        entry(n, published=NOW - n * DAY) for n in (1, 2, 3)]))
    library.refresh_blocking()
    newest, middle, oldest = library.articles()
    for article in (middle, oldest, newest):
        library.set_bookmark(article)
    assert [a.id for a in library.view_articles(View("bookmarked"))] == [
        newest.id, oldest.id, middle.id]
    library.add_note(oldest, "first")
    library.add_note(middle, "second")
    assert [a.id for a in library.view_articles(View("notes"))] == [middle.id, oldest.id]
    assert [a.id for a in library.view_articles(View("unread"))] == [
        newest.id, middle.id, oldest.id]
    library.release()


async def test_reading_an_article_waits_for_one_write_not_the_refresh_queue(
        paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A refresh queues one write per feed on the writer thread; opening an article in the
    app used to queue behind all of them. A read now waits for the write under way only."""
    parser = FakeParser()
    library = fake_library(paths, parser)
    urls = [parser.feed(tmp_path, f"f{n}", f"F{n}", [entry(n)]) for n in range(8)]
    for url in urls:
        library.add_feed(url)
    await library.refresh()
    article = library.articles()[0]
    for n in range(len(urls)):  # every feed changed: the next refresh writes each
        parser.feed(tmp_path, f"f{n}", f"F{n}", [entry(n), entry(100 + n)])
    started = threading.Event()
    saved: list[object] = []
    save = Store.save_feed_cache

    def slow_save(store: Store, *args: object) -> None:
        started.set()
        time.sleep(0.25)
        save(store, *args)
        saved.append(args[0])

    monkeypatch.setattr(Store, "save_feed_cache", slow_save)
    refresh = asyncio.ensure_future(library.refresh())
    while not started.is_set():
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)  # the other feeds' writes are queued by now
    text = await library.read(library.text, article)
    assert "Body of entry" in text.markdown
    assert len(saved) <= 2  # it waited for the write under way, not for the 8 queued
    assert [r.status for r in await refresh] == ["new"] * 8
    library.release()
