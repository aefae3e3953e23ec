"""Mark read while scrolling ([ui] mark_read_on_scroll): moving down past an article in the
article list marks it read, the counts follow, and it is saved; off by default."""

from __future__ import annotations

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE


async def samples(paths: Paths, **options: object) -> Library:
    library = make_library(paths, Settings(**options))
    library.seed_if_new()
    await library.refresh()
    return library


def unread_row(app: ReaderApp) -> str:
    return app.feed_list.get_option_at_index(1).prompt.plain  # "Unread (N)"


async def test_moving_down_past_articles_marks_them_read(paths: Paths) -> None:
    library = await samples(paths, mark_read_on_scroll=True)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.focus_pane(app.article_list)
        await pilot.pause()
        listed = list(app.article_list.articles)
        assert unread_row(app) == "Unread (24)" and not any(a.read for a in listed[:4])
        await pilot.press("j", "j", "k", "j")  # up and down again passes nothing new
        await pilot.pause()
        assert [a.read for a in listed[:4]] == [True, True, False, False]
        assert unread_row(app) == "Unread (22)"
        assert "22 unread" in str(app.article_list.border_title)
        await pilot.press("pagedown")
        await pilot.pause()
        passed = app.article_list.highlighted
        assert passed > 3 and all(a.read for a in listed[:passed])
        assert not listed[passed].read  # the one under the cursor is not passed yet
        assert unread_row(app) == f"Unread ({24 - passed})"
        await pilot.press("J")  # next article, in the list: moves past this one too
        await pilot.pause()
        assert listed[passed].read and app.article_list.highlighted == passed + 1
        passed += 1
        assert unread_row(app) == f"Unread ({24 - passed})"
        await app.workers.wait_for_complete()
    library.release()
    again = Library(paths, Settings())  # saved
    assert {a.id for a in again.articles() if a.read} == {a.id for a in listed[:passed]}


async def test_off_by_default(paths: Paths) -> None:
    library = await samples(paths)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.focus_pane(app.article_list)
        await pilot.press("j", "j", "pagedown")
        await pilot.pause()
        assert not any(a.read for a in app.article_list.articles)
        assert unread_row(app) == "Unread (24)"
    library.release()
