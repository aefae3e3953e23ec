"""Every write the app makes, on a full disk: the app keeps running, says why in the status
line, and loses nothing the user typed (a note editor stays open with its text)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator

import pytest
from textual.widgets import TextArea

from reader.library import Library
from reader.storage import store as store_module
from reader.ui.app import ReaderApp
from tests.ui.test_app import SIZE, open_feed, visible_text
from tests.ui.test_notes_ui import read_mattis

NO_SPACE = "No space left on device"


class FullDisk:
    """Switches a full disk on and off: every file the store writes fails with ENOSPC."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._monkeypatch = monkeypatch

    def on(self) -> None:
        def no_space(fd: int, *args: object, **kwargs: object) -> object:
            os.close(fd)
            raise OSError(errno.ENOSPC, NO_SPACE)

        self._monkeypatch.setattr(store_module.os, "fdopen", no_space)

    def off(self) -> None:
        self._monkeypatch.undo()


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Iterator[FullDisk]:
    disk = FullDisk(monkeypatch)
    yield disk
    disk.off()


async def settle(app: ReaderApp, pilot) -> None:  # noqa: ANN001
    await app.workers.wait_for_complete()
    await pilot.pause()


async def press_on_a_full_disk(app: ReaderApp, pilot, disk: FullDisk, *keys: str  # noqa: ANN001
                               ) -> str:
    """Press `keys` with the disk full; the app must still run. Returns the status line."""
    disk.on()
    await pilot.press(*keys)
    await settle(app, pilot)
    assert app.is_running
    return visible_text(app.main_screen.query_one("#status"))


async def test_a_failed_edit_keeps_the_editor_open_with_the_text(
        sample_library: Library, full_disk: FullDisk) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        article = app.reading
        await pilot.press("a", *"first thought", "ctrl+s")
        await settle(app, pilot)
        app.focus_pane(app.notes_pane)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(TextArea).text = "second thought, typed with care"
        full_disk.on()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert app.is_running
        assert type(app.screen).__name__ == "NoteEditor"
        assert app.screen.query_one(TextArea).text == "second thought, typed with care"
        assert NO_SPACE in visible_text(app.main_screen.query_one("#status"))
        assert [n.text for n in sample_library.notes(article.id)] == ["first thought"]
        full_disk.off()
        await pilot.press("ctrl+s")  # the disk has room again: the same text saves
        await settle(app, pilot)
        assert type(app.screen).__name__ == "MainScreen"
        assert [n.text for n in sample_library.notes(article.id)] == [
            "second thought, typed with care"]
        assert "second thought" in visible_text(app.notes_pane)


async def test_a_failed_new_note_keeps_the_editor_open_with_the_text(
        sample_library: Library, full_disk: FullDisk) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        full_disk.on()
        await pilot.press("a", *"do not lose me", "ctrl+s")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "NoteEditor"
        assert app.screen.query_one(TextArea).text == "do not lose me"
        assert NO_SPACE in visible_text(app.main_screen.query_one("#status"))
        assert sample_library.notes(app.reading.id) == []
        full_disk.off()
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert [n.text for n in sample_library.notes(app.reading.id)] == ["do not lose me"]


async def test_a_failed_delete_keeps_the_note_and_says_why(
        sample_library: Library, full_disk: FullDisk) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        await pilot.press("a", *"keep me", "ctrl+s")
        await settle(app, pilot)
        app.focus_pane(app.notes_pane)
        status = await press_on_a_full_disk(app, pilot, full_disk, "d", "y")
        assert NO_SPACE in status and "note deleted" not in status
        assert [n.text for n in sample_library.notes(app.reading.id)] == ["keep me"]
        assert "keep me" in visible_text(app.notes_pane)


async def test_a_failed_unsubscribe_keeps_the_feed_and_says_why(
        sample_library: Library, full_disk: FullDisk) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Terminal Notes")
        app.focus_pane(app.feed_list)
        status = await press_on_a_full_disk(app, pilot, full_disk, "D", "y")
        assert NO_SPACE in status and "unsubscribed" not in status
        assert any(f.title == "Terminal Notes" for f in sample_library.feeds())
        assert "Terminal Notes" in visible_text(app.feed_list)


async def test_a_failed_mark_all_read_leaves_the_articles_unread_and_says_why(
        sample_library: Library, full_disk: FullDisk) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Terminal Notes")
        status = await press_on_a_full_disk(app, pilot, full_disk, "A", "y")
        assert NO_SPACE in status and "marked read" not in status
        assert not any(a.read for a in app.article_list.articles)
        feed = next(f for f in sample_library.feeds() if f.title == "Terminal Notes")
        assert sample_library.counts()[feed.key] == (6, 6)
