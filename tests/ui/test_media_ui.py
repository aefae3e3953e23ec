"""Podcasts in the app (Pilot): the Podcasts view, the enclosure lines under the article,
e downloads in the background with a progress bar, P plays with the [media] player."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.models import View
from reader.ui.app import ReaderApp
from reader.ui.screens.main_media import progress_bar
from tests.ui.conftest import make_library
from tests.ui.test_app import SIZE, visible_text
from tests.ui.test_fulltext_ui import settle
from tests.unit.test_media import (  # noqa: F401 - episodes: a fixture
    EPISODE,
    EpisodeServer,
    episodes,
    part_of,
)


async def podcast_library(paths: Paths, episodes: EpisodeServer,  # noqa: F811
                          settings: Settings) -> Library:
    library = make_library(paths, settings)
    library.add_feed(episodes.url("/feed"))
    await library.refresh()
    return library


async def open_podcasts(app: ReaderApp, pilot) -> None:  # noqa: ANN001
    app.focus_pane(app.feed_list)
    for index in range(app.feed_list.option_count):
        if app.feed_list.view_at(index) == View("podcasts"):
            app.feed_list.highlighted = index
            break
    else:
        raise AssertionError("no Podcasts row")
    await pilot.press("enter")
    await settle(app, pilot)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_the_episode_downloads_in_the_background_and_plays(
        paths: Paths, episodes: EpisodeServer, tmp_path: Path) -> None:  # noqa: F811
    record = tmp_path / "played.json"
    script = tmp_path / "player.py"
    script.write_text("import json, sys\n"
                      f"open({str(record)!r}, 'w').write(json.dumps(sys.argv[1:]))\n")
    settings = Settings(media_folder=str(tmp_path / "media"),
                        media_player=f"{sys.executable} {script} --title={{title}} {{url}}")
    library = await podcast_library(paths, episodes, settings)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_podcasts(app, pilot)
        assert str(app.article_list.border_title).startswith("Podcasts (1 article")
        view = app.article_view
        assert app.reading is not None and app.reading.title == "221 - The Glow Cloud, Explained"
        view.scroll_end(animate=False)
        await pilot.pause()
        shown = visible_text(view)
        assert "Enclosures P plays, e downloads" in shown
        assert "1. audio/mpeg, 38.7 MB, 26:53" in shown and "[downloaded]" not in shown
        episodes.trickle = 0.03
        await pilot.press("e")
        await pilot.pause(0.3)
        assert "downloading 221 - The Glow Cloud" in app.status.message
        await settle(app, pilot)
        target = tmp_path / "media" / "nv221_intro.mp3"
        assert target.read_bytes() == EPISODE
        assert app.status.message == f"downloaded {target}"
        view.scroll_end(animate=False)
        await pilot.pause()
        assert "[downloaded]" in visible_text(view)
        assert "⤓ 221 - The Glow Cloud" in app.article_list.row(app.reading).plain
        await pilot.press("P")
        deadline = time.monotonic() + 10
        while not record.exists() and time.monotonic() < deadline:
            await pilot.pause(0.05)
        argv = json.loads(record.read_text())
        assert argv == [f"--title={app.reading.title}", str(target)]  # the file, not the URL
        await settle(app, pilot)
        assert library.media_marks(app.reading)[0] is True
        view.scroll_end(animate=False)
        await pilot.pause()
        assert "(played)" in visible_text(view)
        assert "▶⤓ 221 - The Glow Cloud" in app.article_list.row(app.reading).plain


async def test_a_missing_player_is_one_clear_message(paths: Paths,
                                                     episodes: EpisodeServer) -> None:  # noqa: F811
    settings = Settings(media_player="no-such-player-here --no-video {url}")
    library = await podcast_library(paths, episodes, settings)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_podcasts(app, pilot)
        await pilot.press("P")
        await settle(app, pilot)
        assert app.status.message == ("the player 'no-such-player-here' is not installed; "
                                      "install it or set [media] player in config.toml")
        assert library.media_marks(app.reading)[0] is False


def test_the_progress_bar() -> None:
    assert progress_bar(0, 0) == "0.0 MB"
    assert progress_bar(5_000_000, 10_000_000) == "▕██████████░░░░░░░░░░▏  50% 5.0/10.0 MB"


async def test_quitting_during_a_download_stops_it_and_keeps_the_part(
        paths: Paths, episodes: EpisodeServer, tmp_path: Path) -> None:  # noqa: F811
    settings = Settings(media_folder=str(tmp_path / "media"))
    library = await podcast_library(paths, episodes, settings)
    episodes.trickle = 0.2  # 3 MB would take ten seconds
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_podcasts(app, pilot)
        await pilot.press("e")
        part = part_of(tmp_path / "media", episodes)
        for _ in range(100):
            await pilot.pause(0.05)
            if part.exists() and part.stat().st_size:
                break
        started = time.monotonic()
    assert time.monotonic() - started < 5  # the app did not wait for the episode
    time.sleep(0.5)  # the chunk under way lands
    stopped = part.stat().st_size
    time.sleep(1.0)
    assert part.stat().st_size == stopped < len(EPISODE)  # the download stopped with the app
    assert not (tmp_path / "media" / "nv221_intro.mp3").exists()
