"""Start-up paints the newest screenful from the article index first, then lists the whole
view; a stale index is never shown."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.models import ParsedEntry
from reader.ui.app import ReaderApp
from reader.ui.screens import main as main_screen
from tests.fakeparser import FakeParser

BASE = 1_700_000_000.0


async def build(paths: Paths, tmp_path: Path, count: int) -> tuple[Library, FakeParser]:
    fake = FakeParser()
    library = Library(paths, Settings(max_articles_per_feed=0), parser=fake)
    library.acquire()
    library.add_feed(fake.feed(tmp_path, "f", "F", [
        ParsedEntry(guid=f"g{i}", title=f"story {i}", link=f"https://x.test/{i}",
                    published=BASE - i * 60, content_html=f"<p>{i}</p>") for i in range(count)]))
    await library.refresh()
    return library, fake


async def listed(pilot, app: ReaderApp, count: int = 1) -> None:  # noqa: ANN001
    """Wait (bounded) until the article list holds at least `count` articles."""
    for _ in range(200):
        if len(app.article_list.articles) >= count:
            return
        await pilot.pause(0.01)


async def test_the_newest_screen_shows_before_the_whole_view(
        paths: Paths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    library, _ = await build(paths, tmp_path, 60)
    library.articles()  # the article index, as any earlier run leaves it
    monkeypatch.setattr(main_screen, "FIRST_SCREEN", 25)
    go_on = threading.Event()
    whole = library.view_articles

    def held(view, limit=0, sort=""):  # noqa: ANN001, ANN202 - the whole view waits
        if not limit:
            go_on.wait(10)
        return whole(view, limit, sort)

    monkeypatch.setattr(library, "view_articles", held)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        shown = app.article_list.articles
        assert [a.title for a in shown] == [f"story {i}" for i in range(25)]
        assert str(app.article_list.border_title) == "All articles …"
        go_on.set()
        await listed(pilot, app, 60)
        assert len(app.article_list.articles) == 60
        assert str(app.article_list.border_title) == "All articles (60 articles, 60 unread)"
    library.release()


async def test_a_stale_index_is_not_shown(paths: Paths, tmp_path: Path) -> None:
    library, fake = await build(paths, tmp_path, 5)
    library.articles()
    fake.feed(tmp_path, "f", "F", [ParsedEntry(guid="new", title="brand new", published=BASE + 60,
                                               link="https://x.test/n", content_html="<p>n</p>")])
    await library.refresh()  # as another process would: the feed's file changed
    assert library.newest_articles(10) is None or \
        library.newest_articles(10)[0].title == "brand new"
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await listed(pilot, app)
        assert app.article_list.articles[0].title == "brand new"
    library.release()
