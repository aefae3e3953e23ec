"""What a daily user leans on: room to read, moving through news, honest messages, the notes
pane, remembered choices (Pilot)."""

from __future__ import annotations

import webbrowser
from pathlib import Path

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp
from reader.ui.widgets.lists import View
from tests.conftest import FeedServer, Route, rss
from tests.ui.conftest import make_library
from tests.ui.test_app import open_feed, visible_text
from tests.ui.test_notes_ui import read_mattis


async def read_first_article(pilot, app: ReaderApp) -> None:  # noqa: ANN001
    await pilot.pause()
    await open_feed(pilot, app, "AMN Al-Masdar News")
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.focused is app.article_view


@pytest.mark.parametrize(("size", "rows"), [((80, 24), 17), ((140, 45), 30)])
async def test_the_article_gets_most_of_the_screen(sample_library: Library, size, rows) -> None:
    """Targets from the daily-use issue: at 80x24 >= 17 lines of text while reading, at
    140x45 >= 30 (it was 12 and 18: an empty notes pane and a 35 % list took the rest)."""
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=size) as pilot:
        await read_first_article(pilot, app)
        assert not app.notes_pane.display  # no notes: no pane
        assert app.article_view.scrollable_content_region.height >= rows
        if size[0] >= 100:  # wide: the list keeps a few rows, with the cursor row among them
            lst = app.article_list
            top = lst.scroll_offset.y
            assert top <= lst.highlighted < top + lst.scrollable_content_region.height


async def test_z_shows_the_article_alone_and_back(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("z")
        assert "open an article first" in visible_text(app.status)
        await read_first_article(pilot, app)
        await pilot.press("z")
        await pilot.pause()
        assert app.main_screen.maximized is app.article_view
        assert app.article_view.size.height >= 36  # everything but the two bottom lines
        await pilot.press("j")  # still scrolls the article
        assert app.main_screen.maximized is app.article_view
        await pilot.press("escape")
        await pilot.pause()
        assert app.main_screen.maximized is None and app.focused is app.article_view
        await pilot.press("z", "z")
        await pilot.pause()
        assert app.main_screen.maximized is None


async def test_after_a_resize_the_cursor_row_stays_visible(paths: Paths, tmp_path: Path) -> None:
    feed = tmp_path / "many.xml"
    feed.write_bytes(rss("Many", [(str(n), f"Story {n}") for n in range(60)]))
    library = make_library(paths)
    library.add_feed(str(feed))
    await library.refresh()
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Many")
        await pilot.press("G")
        await pilot.pause()
        await pilot.resize_terminal(120, 20)
        await pilot.pause()
        await pilot.pause()
        lst = app.article_list
        top = lst.scroll_offset.y
        assert top <= lst.highlighted < top + lst.scrollable_content_region.height
        await pilot.press("enter")  # opens the article the user sees highlighted
        await app.workers.wait_for_complete()
        assert app.reading.id == lst.articles[lst.highlighted].id == lst.articles[-1].id
    library.release()


async def test_n_and_p_go_on_to_the_next_feed_with_unread_articles(
        sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await read_first_article(pilot, app)
        amn = app.view
        for _ in range(4):  # the other four AMN articles
            await pilot.press("n")
            await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.view == amn and all(a.read for a in app.article_list.articles)
        keys = app.feed_list.feed_keys()
        after = keys[keys.index(amn.value) + 1]
        await pilot.press("n")  # none left here: on to the next feed, as newsboat does
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.view == View("feed", after)
        assert app.reading.feed_key == after
        assert "next unread:" in visible_text(app.status)
        assert app.feed_list.current_view == View("feed", after)
        await pilot.press("p")  # back: AMN has no unread left, so the one before it, if any
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.reading.feed_key != amn.value


async def test_o_says_when_no_browser_could_be_started(sample_library: Library,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda *a, **k: False)
    app = ReaderApp(sample_library, offline=True)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(160, 40)) as pilot:
        await read_first_article(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        status = visible_text(app.status)
        assert "opened" not in status
        assert "no browser could be started" in status and "link copied" in status
        assert copied == [app.reading.link]
        shown = [n.message for n in app._notifications]
        assert app.reading.link in shown  # the whole link, where the user can read it
        await pilot.press("1")
        await pilot.pause()
        assert "no browser could be started" in visible_text(app.status)
        assert copied[-1] == app.links[0].url


async def test_a_feed_error_is_readable_in_the_app_and_counts_stay_visible(
        paths: Paths, server: FeedServer) -> None:
    server.routes["/bad"] = Route(b"gone", status=404)
    long_title = "A feed with a very long title that does not fit in the pane at all"
    server.routes["/long"] = Route(rss(long_title, [("1", "one")]))
    library = make_library(paths)
    library.add_feed(server.url("/bad"), title="Broken")
    library.add_feed(server.url("/long"))
    await library.refresh()
    app = ReaderApp(library)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        rows = visible_text(app.feed_list).splitlines()
        assert any(row.rstrip(" │").endswith("… (1)") for row in rows), rows
        app.feed_list.select_view(View("feed", library.feeds()[0].key))
        await pilot.pause()
        status = visible_text(app.status)
        assert status.startswith("Broken: ") and "HTTP 404" in status
    library.release()


async def test_the_notes_pane_after_the_last_note_goes(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        article = app.reading
        sample_library.add_note(article, "only note", "")
        app.main_screen.notes_changed(article)
        app.open_view(View("notes"), focus=False)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [a.id for a in app.article_list.articles] == [article.id]
        assert app.notes_pane.border_title == "Notes (1)"
        app.focus_pane(app.notes_pane)
        await pilot.press("d", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.notes_pane.border_title == "Notes" and not app.notes_pane.display
        assert app.article_list.articles == []  # the Notes view no longer lists it


async def test_the_footer_shows_the_article_keys_after_the_note_editor(
        sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        keys = app.main_screen.query_one("#keys")
        before = visible_text(keys)
        assert "Note" in before and "Bookmark" in before
        await pilot.press("a")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert visible_text(keys) == before


async def test_jump_to_a_quote_that_is_in_the_other_text(sample_library: Library,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        article = app.reading
        sample_library.add_note(article, "from the web page", "A sentence only the page has")
        app.main_screen.notes_changed(article)
        await pilot.pause()
        monkeypatch.setattr(sample_library, "full_text", lambda a: {"html": "<p>page</p>"})
        app.focus_pane(app.notes_pane)
        await pilot.press("enter")
        await pilot.pause()
        status = visible_text(app.status)
        assert "not in the full article shown" in status and "t switches" in status
        assert app.focused is app.notes_pane  # did not land on another paragraph


async def test_the_palette_theme_is_remembered(paths: Paths) -> None:
    library = make_library(paths, Settings(theme="textual-dark"))
    library.seed_if_new()
    await library.refresh()
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.theme = "nord"  # what choosing it in the palette does
        await app.workers.wait_for_complete()
    assert ReaderApp(library, offline=True).theme == "nord"
    library.settings.theme = "gruvbox"  # config.toml changed since: it wins
    assert ReaderApp(library, offline=True).theme == "gruvbox"
    library.release()


async def test_key_map_mistakes_are_reported(paths: Paths) -> None:
    library = make_library(paths, Settings(keys={"quit": "j", "no_such_thing": "x"}))
    library.seed_if_new()
    await library.refresh()
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        status = visible_text(app.status)
        assert "no_such_thing: no such binding id" in status
        assert "'j' is bound to both cursor_down and quit" in status
    assert any("no_such_thing" in p for p in app.key_problems)
    library.release()


async def test_palette_entries_are_distinct_and_the_screenshot_is_saved(
        sample_library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()  # no ~/Downloads here
    monkeypatch.setenv("HOME", str(home))
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert len(titles) == len(set(titles)), titles
        shot = next(c for c in app.get_system_commands(app.screen) if c.title == "Screenshot")
        shot.callback()
        await pilot.pause()
        assert "screenshot saved" in visible_text(app.status)
        assert list(home.glob("*.svg"))


async def test_no_network_with_the_samples_is_offline_in_the_app(paths: Paths) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: refused, as with no network
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    library = make_library(paths)
    library.seed_if_new()
    await library.refresh()
    for name in ("a", "b"):
        library.add_feed(f"http://127.0.0.1:{port}/{name}.xml")
    app = ReaderApp(library)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = visible_text(app.status)
        assert status.startswith("offline") and "no feed server answered" in status, status
        assert " failed (" not in status  # no feed named as failed
        assert "!" not in visible_text(app.feed_list)
    assert all(f.failures == 0 and not f.last_error for f in library.feeds())
    library.release()


@pytest.mark.parametrize("keep", [False, True])
async def test_subscribing_to_a_404_says_why_and_asks(paths: Paths, server: FeedServer,
                                                      keep: bool) -> None:
    server.routes["/page"] = Route(b"<html><body>no feed</body></html>",
                                   headers={"Content-Type": "text/html"})
    library = make_library(paths)
    app = ReaderApp(library)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pilot.press("plus", *server.url("/missing"), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        question = app.screen.question
        assert "HTTP 404" in question and "Keep the subscription anyway?" in question
        await pilot.press("y" if keep else "n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [f.url for f in library.feeds()] == ([server.url("/missing")] if keep else [])
        await pilot.press("plus", *server.url("/page"), "enter")  # a web page, not a feed
        await app.workers.wait_for_complete()
        await pilot.pause()
        question = app.screen.question
        assert "not a feed" in question.lower() or "web page" in question.lower(), question
        await pilot.press("n")
        await app.workers.wait_for_complete()
        assert server.url("/page") not in [f.url for f in library.feeds()]
    library.release()


async def test_search_matches_are_highlighted_in_the_list_and_the_article(
        sample_library: Library) -> None:
    from reader.ui.widgets.article_view import MATCH

    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"mosul", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        lst = app.article_list
        row = lst.row(lst.articles[0])
        marked = [row.plain[s.start:s.end] for s in row.spans if s.style == MATCH]
        assert marked and all(m.casefold().startswith("mosul") for m in marked)
        assert app.focused is lst
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.article_view.search == "mosul"
        strips = [app.article_view.render_line(y) for y in range(app.article_view.size.height)]
        hits = [seg.text for strip in strips for seg in strip
                if seg.style is not None and seg.style.reverse and seg.style.bold]
        assert hits and all(h.casefold().startswith("mosul") for h in hits), hits
        app.open_view(View("all"))  # outside a search nothing is marked
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        assert app.article_view.search == ""


async def test_a_plain_browser_command_with_a_display_runs_detached(
        sample_library: Library, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import reader.ui.app as app_module

    command = tmp_path / "mybrowser"
    command.write_text("#!/bin/sh\nexit 0\n")
    command.chmod(0o755)
    monkeypatch.setenv("BROWSER", str(command))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "_tryorder", None)  # read $BROWSER again
    monkeypatch.setattr(webbrowser, "_browsers", {})
    assert webbrowser.get().name == str(command)  # registered before Popen is watched
    started: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(app_module.subprocess, "Popen",
                        lambda argv, **kw: started.append((argv, kw)))
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await read_first_article(pilot, app)
        await pilot.press("o")
        await pilot.pause()
        assert started and started[0][0] == [str(command), app.reading.link]  # argv, no shell
        assert started[0][1]["start_new_session"] is True  # detached: the app never waits
        assert started[0][1]["stdout"] is app_module.subprocess.DEVNULL
        assert "opened" in visible_text(app.status)


async def test_a_huge_note_is_shown_in_part_and_its_article_opens(sample_library: Library
                                                                  ) -> None:
    from reader.ui.widgets.panes import NOTE_PREVIEW

    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await read_first_article(pilot, app)
        article = app.reading
        sample_library.add_note(article, "word " * 2_000_000, "")  # 10 MB
        app.main_screen.notes_changed(article)
        await pilot.pause()
        prompt = app.notes_pane.get_option_at_index(0).prompt.plain
        assert len(prompt) < NOTE_PREVIEW + 100
        assert prompt.endswith("(9,998,000 more characters: e shows them all)")
        assert app.article_view.text.startswith("Mattis")


async def test_the_app_runs_when_marks_json_cannot_be_read(paths: Paths) -> None:
    """A folder where marks.json should be (or an I/O error): the app died at start-up with
    a traceback. Now it says so, shows the rest, and saves nothing over the file."""
    library = make_library(paths)
    library.seed_if_new()
    await library.refresh()
    library.set_bookmark(library.articles()[0], True)
    library.release()
    marks = paths.data_dir / "marks.json"
    saved = marks.read_bytes()
    marks.unlink()
    marks.mkdir()
    library = make_library(paths)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=(160, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "marks.json" in visible_text(app.status) and "cannot read" in visible_text(
            app.status)
        assert len(app.article_list.articles) == 24  # everything else is there
        await pilot.press("tab", "enter")
        await app.workers.wait_for_complete()
        await pilot.press("b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "could not save the bookmark" in visible_text(app.status)
        assert app.is_running
    assert marks.is_dir()  # nothing was written over it
    library.release()
    marks.rmdir()
    marks.write_bytes(saved)  # once readable again, the bookmark is back
    again = make_library(paths)
    assert len(again.bookmarks()) == 1
    again.release()
