"""Snapshot tests of the main layouts (each SVG was looked at before it was accepted)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reader.config import Settings
from reader.core import refresh as refresh_module
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp
from tests.ui.conftest import make_library
from tests.ui.test_app import open_feed

FIXED_NOW = 1_700_000_000.0  # articles without a date get "now": fixed so pictures are stable


@pytest.fixture
def frozen_library(paths: Paths, monkeypatch: pytest.MonkeyPatch) -> Iterator[Library]:
    monkeypatch.setattr(refresh_module.time, "time", lambda: FIXED_NOW)
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    library = make_library(paths, Settings())
    library.seed_if_new()
    library.refresh_blocking()
    yield library
    library.release()


def make_app(library: Library) -> ReaderApp:
    return ReaderApp(library, offline=True)


def test_main_layout(frozen_library: Library, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(frozen_library), terminal_size=(120, 40))


async def open_amn_feed(pilot) -> None:  # noqa: ANN001
    """Open the AMN sample feed in the article list."""
    await pilot.pause()
    await open_feed(pilot, pilot.app, "AMN Al-Masdar News")
    await pilot.app.workers.wait_for_complete()


def test_reading_the_amn_article(frozen_library: Library, snap_compare) -> None:  # noqa: ANN001
    async def open_amn(pilot) -> None:  # noqa: ANN001
        await open_amn_feed(pilot)
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(frozen_library), terminal_size=(120, 40), run_before=open_amn)


def test_help_screen(frozen_library: Library, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(frozen_library), terminal_size=(120, 40), press=["question_mark"])


def test_narrow_terminal(frozen_library: Library, snap_compare) -> None:  # noqa: ANN001
    assert snap_compare(make_app(frozen_library), terminal_size=(80, 24), press=["tab"])


def test_hostile_titles(hostile_library: Library, snap_compare,  # noqa: ANN001
                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert snap_compare(make_app(hostile_library), terminal_size=(120, 30), press=["tab"])


def test_article_with_a_note(frozen_library: Library, snap_compare) -> None:  # noqa: ANN001
    async def annotate(pilot) -> None:  # noqa: ANN001
        app = pilot.app
        await open_amn_feed(pilot)
        article = app.article_list.current
        note = frozen_library.add_note(
            article, "Compare with what he said in Munich.",
            "On Thursday, Defense Secretary Jim Mattis stated that the United States is not in "
            "a position to collaborate militarily with Russia at this time.")
        note.created = note.edited = 0.0
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(frozen_library), terminal_size=(120, 40), run_before=annotate)


def test_article_with_a_picture(paths: Paths, server, tmp_path,  # noqa: ANN001
                                monkeypatch: pytest.MonkeyPatch, snap_compare) -> None:  # noqa: ANN001
    """The AMN sample's lead photo (served from 127.0.0.1) drawn inline in half-blocks."""
    from tests.ui.test_pictures_ui import amn_with_lead_photo, open_mattis

    monkeypatch.setattr(refresh_module.time, "time", lambda: FIXED_NOW)
    monkeypatch.setenv("TZ", "UTC")
    import time

    time.tzset()
    library = make_library(paths, Settings(images_mode="halfblock"))
    library.add_feed(str(amn_with_lead_photo(server, tmp_path)))
    library.refresh_blocking()

    async def open_it(pilot) -> None:  # noqa: ANN001
        await pilot.pause()
        await open_mattis(pilot.app, pilot)

    try:
        assert snap_compare(ReaderApp(library), terminal_size=(120, 40), run_before=open_it)
    finally:
        library.release()
