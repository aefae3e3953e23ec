"""The app driven by keys (Textual Pilot): every default key, live refresh, hostile text."""

from __future__ import annotations

import webbrowser

import pytest

from reader.config import Settings
from reader.library import Library
from reader.locations import Paths
from reader.ui.app import ReaderApp, safe_link
from reader.ui.widgets.lists import View
from tests.conftest import FeedServer, Route, rss
from tests.ui.conftest import make_library

SIZE = (120, 40)


def visible_text(widget) -> str:  # noqa: ANN001 - any widget
    """What the widget shows on screen, line by line."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


async def open_feed(pilot, app: ReaderApp, title: str) -> None:  # noqa: ANN001
    """Move to the feed titled `title` in the feed list and open it."""
    app.focus_pane(app.feed_list)
    for index in range(app.feed_list.option_count):
        view = app.feed_list.view_at(index)
        if view.kind == "feed" and app.library.find_feed(view.value).title == title:
            app.feed_list.highlighted = index
            break
    else:
        raise AssertionError(f"no feed {title!r}")
    await pilot.press("enter")
    await pilot.pause()


async def test_start_shows_feeds_and_all_articles(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        feeds = visible_text(app.feed_list)
        assert "All" in feeds and "Unread (24)" in feeds and "Bookmarked" in feeds
        assert "▾ samples (24)" in feeds and "AMN Al-Masdar News (5)" in feeds
        assert app.article_list.border_title == "All articles (24 articles, 24 unread)"
        assert app.focused is app.feed_list
        assert "offline" in visible_text(app.status)


async def test_enter_opens_feed_then_article_and_marks_it_read(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        assert app.focused is app.article_list
        assert len(app.article_list.articles) == 5
        assert app.article_list.current.title.startswith("Mattis")
        await pilot.press("l")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.focused is app.article_view
        text = app.article_view.text
        assert text.startswith("Mattis: Russia Must")
        assert "Defense Secretary Jim Mattis" in text
        assert "Telegram" not in text and "[revad2]" not in text
        assert app.reading.read
        assert "AMN Al-Masdar News (4)" in visible_text(app.feed_list)
        assert "Unread (23)" in visible_text(app.feed_list)
        again = sample_library.articles(sample_library.feeds()[0].key)
        assert next(a for a in again if a.title.startswith("Mattis")).read


async def test_back_and_pane_keys(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        assert app.focused is app.article_list
        await pilot.press("tab")
        assert app.focused is app.article_view
        await pilot.press("tab")  # no notes on the article: the notes pane is hidden, skipped
        assert not app.notes_pane.display and app.focused is app.feed_list
        await pilot.press("tab", "enter")  # read the first article, then give it a note
        await app.workers.wait_for_complete()
        await pilot.pause()
        sample_library.add_note(app.reading, "a thought", "")
        app.main_screen.notes_changed(app.reading)
        await pilot.pause()
        assert app.notes_pane.display and app.focused is app.article_view
        await pilot.press("tab")
        assert app.focused is app.notes_pane
        await pilot.press("h")  # h and escape leave the notes pane, back to the article
        assert app.focused is app.article_view
        await pilot.press("tab", "escape")
        assert app.focused is app.article_view
        await pilot.press("tab", "tab")
        assert app.focused is app.feed_list
        await pilot.press("shift+tab", "shift+tab")
        assert app.focused is app.article_view
        await pilot.press("h")
        assert app.focused is app.article_list
        await pilot.press("escape")
        assert app.focused is app.feed_list


async def test_j_k_g_G_and_paging_in_lists(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab")
        lst = app.article_list
        assert lst.highlighted == 0
        await pilot.press("j", "j", "down")
        assert lst.highlighted == 3
        await pilot.press("k", "up")
        assert lst.highlighted == 1
        await pilot.press("G")
        assert lst.highlighted == len(lst.articles) - 1
        await pilot.press("g")
        assert lst.highlighted == 0
        await pilot.press("space")
        page = lst.scrollable_content_region.height - 1
        assert page > 3 and lst.highlighted == page
        await pilot.press("pageup")
        assert lst.highlighted == 0


async def test_scrolling_the_article(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.article_view
        assert view.max_scroll_y > 5
        await pilot.press("j", "j")
        assert view.scroll_y == 2
        await pilot.press("k")
        assert view.scroll_y == 1
        await pilot.press("space")
        assert view.scroll_y > 5
        await pilot.press("G")
        assert view.scroll_y == view.max_scroll_y
        await pilot.press("pageup")
        assert view.scroll_y < view.max_scroll_y
        await pilot.press("g")
        assert view.scroll_y == 0


async def test_J_K_next_previous_article_while_reading(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        first = app.reading
        await pilot.press("J")
        await app.workers.wait_for_complete()
        await pilot.pause()
        second = app.reading
        assert second.id != first.id and second.id == app.article_list.articles[1].id
        assert app.article_view.text.startswith(second.title)
        await pilot.press("K")
        await app.workers.wait_for_complete()
        assert app.reading.id == first.id


async def test_n_p_jump_between_unread(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        articles = app.article_list.articles
        await pilot.press("j")
        await pilot.press("m")  # the second one is now read
        await pilot.press("g")
        await pilot.press("n")  # from the first: skips the read second
        await app.workers.wait_for_complete()
        assert app.reading.id == articles[2].id
        await pilot.press("n")
        await app.workers.wait_for_complete()
        assert app.reading.id == articles[3].id
        await pilot.press("p")  # back past the two now read to the unread first
        await app.workers.wait_for_complete()
        assert app.reading.id == articles[0].id


async def test_m_toggles_read_and_A_marks_all(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Terminal Notes")
        first = app.article_list.current
        await pilot.press("m")
        await app.workers.wait_for_complete()
        assert first.read and "Terminal Notes (5)" in visible_text(app.feed_list)
        await pilot.press("m")
        await app.workers.wait_for_complete()
        assert not first.read and "Terminal Notes (6)" in visible_text(app.feed_list)
        await pilot.press("A")  # asks first: n keeps everything unread
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not first.read and "Terminal Notes (6)" in visible_text(app.feed_list)
        await pilot.press("A", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert all(a.read for a in app.article_list.articles)
        assert "6 articles marked read" in visible_text(app.status)
        rows = visible_text(app.feed_list)
        assert "Terminal Notes (" not in rows and "Unread (18)" in rows
    feed = next(f for f in sample_library.feeds() if f.title == "Terminal Notes")
    assert sample_library.counts()[feed.key] == (0, 6)


async def test_b_bookmarks_and_the_bookmarked_view(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "j")
        target = app.article_list.current
        await pilot.press("b")
        await pilot.pause()
        assert target.bookmarked and "★" in visible_text(app.article_list)
        assert "Bookmarked (1)" in visible_text(app.feed_list)
        await pilot.press("h")
        app.feed_list.highlighted = 2  # Bookmarked
        await pilot.press("enter")
        assert [a.id for a in app.article_list.articles] == [target.id]
        await pilot.press("b")
        await pilot.pause()
        assert not sample_library.bookmarks()


async def test_o_and_number_keys_open_http_links_only(sample_library: Library,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, new=0: opened.append(url) or True)
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "AMN Al-Masdar News")
        await pilot.press("o")
        assert opened == [app.article_list.current.link]
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.press("1")
        assert len(opened) == 2 and opened[1] == app.links[0].url
        assert opened[1].startswith("https://")
        await pilot.press("9")
        assert len(opened) == 2 or len(app.links) >= 9
    assert safe_link("javascript:alert(1)") is None
    assert safe_link("file:///etc/passwd") is None
    assert safe_link("-oProxyCommand=x") is None
    assert safe_link("https://ok.example/a b") is None
    assert safe_link("https://ok.example/") == "https://ok.example/"


async def test_search_from_the_feed_list_covers_everything(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        await pilot.pause()
        await pilot.press(*"mosul", "enter")
        await pilot.pause()
        assert app.view == View("search", "mosul", "")
        titles = [a.title for a in app.article_list.articles]
        assert titles and all("Mosul" in t or "mosul" in t.lower() for t in titles[:1])
        assert app.article_list.border_title.startswith("Search: mosul")


async def test_search_in_a_feed_is_scoped(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Terminal Notes")
        await pilot.press("slash", *"the", "enter")
        await pilot.pause()
        assert app.view.kind == "search" and app.view.scope
        assert {a.feed_title for a in app.article_list.articles} == {"Terminal Notes"}
        await pilot.press("slash", "escape")
        assert app.view.kind == "search"


async def test_help_lists_every_key_and_closes(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        keys = dict((d, k) for k, d in app.binding_rows())
        for description in ("Next unread", "Refresh all", "Bookmark", "Search", "Quit",
                            "Read/unread", "Browser", "Back", "Open link N of the article"):
            assert description in keys
        await pilot.press("escape")
        assert type(app.screen).__name__ != "HelpScreen"


async def test_command_palette_opens(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Refresh all feeds" in titles and "Toggle bookmark" in titles


async def test_q_quits(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 and not app.is_running


async def test_keys_can_be_remapped_from_config(paths: Paths) -> None:
    library = make_library(paths, Settings(keys={"quit": "ctrl+x", "next_unread": "x"}))
    library.seed_if_new()
    await library.refresh()
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("tab", "x")
        await app.workers.wait_for_complete()
        assert app.reading is not None
        await pilot.press("q")  # no longer quits
        await pilot.pause()
        assert app.is_running
        await pilot.press("ctrl+x")
        await pilot.pause()
    assert not app.is_running
    library.release()


async def test_live_refresh_from_a_loopback_server(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Live", [("1", "first")]))
    library = make_library(paths)
    library.add_feed(server.url("/a"))
    await library.refresh()
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_feed(pilot, app, "Live")
        kept = app.article_list.current.id
        server.routes["/a"] = Route(rss("Live", [("2", "second"), ("1", "first")]))
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [a.title for a in app.article_list.articles] == ["first", "second"] or \
            {a.title for a in app.article_list.articles} == {"first", "second"}
        assert app.article_list.current.id == kept  # the cursor stayed on its article
        assert "1 feed refreshed, 1 new article" in visible_text(app.status)
        server.routes["/a"] = Route(b"gone", status=404)
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "! Live" in visible_text(app.feed_list)
        assert "HTTP 404" in visible_text(app.feed_list)
        assert "1 failed (Live)" in visible_text(app.status)
    library.release()


async def test_offline_never_refreshes(paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Live", [("1", "first")]))
    library = make_library(paths)
    library.add_feed(server.url("/a"))
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("R")
        await pilot.pause()
        assert "offline: not refreshing" in visible_text(app.status)
    assert server.hits == []
    library.release()


async def test_hostile_titles_are_shown_literally(hostile_library: Library) -> None:
    app = ReaderApp(hostile_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = visible_text(app.article_list)
        assert "[@click=app.quit]Click me[/]" in rows
        assert "[bold]bold?[/bold] and [/bold] unbalanced" in rows
        assert "[link=file:///etc/passwd]link[/link]" in rows
        assert "\x1b" not in rows and "\x9b" not in rows and "\x07" not in rows
        feeds = visible_text(app.feed_list)
        # literal, cut to the pane; the tag is a path ([red]tag[ / red]): two folders
        assert "▾ [red]tag[" in feeds and "  ▾ red]" in feeds and "  [@c" in feeds
        prompts = [app.feed_list.get_option_at_index(i).prompt.plain
                   for i in range(app.feed_list.option_count)]
        # literal, and cut to the pane's width (the unread count stays visible)
        assert "    [@click=app.quit]… (4)" in prompts, prompts  # two folders deep
        for y in range(0, 6):  # clicks on the rows and on the border title run nothing
            await pilot.click(app.article_list, offset=(30, y))
            await pilot.pause()
            assert app.is_running
        await open_feed(pilot, app, "[@click=app.quit]Feed[/] [2J")
        assert app.article_list.border_title.startswith("\\[@click=app.quit]Feed")
        await pilot.click(app.article_list, offset=(10, 0))  # the title shows the feed name
        await pilot.pause()
        assert app.is_running
        app.focus_pane(app.article_list)
        app.article_list.highlighted = 0
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        shown = visible_text(app.article_view)
        assert "[@click=app.quit]" in shown and "\x1b" not in shown
        await pilot.click(app.article_view, offset=(5, 0))
        await pilot.pause()
        assert app.is_running


async def test_narrow_terminal_shows_one_pane(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.feed_list.display and app.feed_list.size.width > 60
        assert app.article_list.size.width == 0 or not app.article_list.region.width
        await pilot.press("enter")
        await pilot.pause()
        assert app.article_list.size.width > 60 and app.feed_list.region.width == 0


async def test_long_article_shows_at_once_then_completes(sample_library: Library) -> None:
    """A 100 KiB article: the first screen is laid out at once, the rest in a thread."""
    app = ReaderApp(sample_library, offline=True)
    sections = 400
    markdown = "".join(f"## Part {n}\n\nWords of part {n} " + "and more words " * 30 + "\n\n"
                       for n in range(1, sections + 1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = app.article_view
        view.show("long", [("Feed", "Test")], "Long", markdown)
        first = view.text
        assert first.startswith("Long") and "Part 1" in first
        assert f"Part {sections}" not in first  # not laid out yet: it comes from the thread
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert f"Words of part {sections}" in view.text
        assert view.max_scroll_y > 1000


async def test_key_hints_follow_the_focused_pane(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hints = app.main_screen.query_one("#keys")
        assert "Open" in visible_text(hints) and "Bookmark" not in visible_text(hints)
        await pilot.press("tab")
        assert "Bookmark" in visible_text(hints) and "Read/unread" in visible_text(hints)


async def test_theme_from_config_and_unknown_theme(paths: Paths) -> None:
    library = make_library(paths, Settings(theme="nord"))
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme == "nord"
    library.release()
    library = make_library(paths, Settings(theme="no-such-theme"))
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.theme != "no-such-theme"
        assert "unknown theme 'no-such-theme'" in visible_text(app.status)
    library.release()


async def test_refreshes_on_start_when_the_cache_is_older_than_the_interval(
        paths: Paths, server: FeedServer) -> None:
    server.routes["/a"] = Route(rss("Auto", [("1", "first")]))
    library = make_library(paths, Settings(refresh_interval_minutes=60))
    library.add_feed(server.url("/a"))  # never refreshed: older than any interval
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(server.hits_for("/a")) == 1
        assert [a.title for a in app.article_list.articles] == ["first"]
    app = ReaderApp(library)  # just refreshed: starting again does not fetch
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
    assert len(server.hits_for("/a")) == 1
    library.release()


async def test_subscribe_from_the_feed_list(paths: Paths, server: FeedServer) -> None:
    server.routes["/new"] = Route(rss("Brand New", [("1", "hello")]))
    library = make_library(paths)
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("plus")
        await pilot.pause()
        assert type(app.screen).__name__ == "AskScreen"
        await pilot.press(*server.url("/new"), "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Brand New (1)" in visible_text(app.feed_list)
        await pilot.press("plus", *server.url("/new"), "enter")  # twice: a clear refusal
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "not added:" in visible_text(app.status)
        assert "already subscribed" in visible_text(app.status)
    assert [f.url for f in library.feeds()] == [server.url("/new")]
    library.release()


async def test_a_feed_asking_for_a_pause_is_reported_as_waiting(paths: Paths,
                                                              server: FeedServer) -> None:
    server.routes["/busy"] = Route(b"slow down", status=429, headers={"Retry-After": "3600"})
    library = make_library(paths)
    library.add_feed(server.url("/busy"))
    app = ReaderApp(library)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 failed" in visible_text(app.status)
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "1 waiting (the server asked for a pause)" in visible_text(app.status)
        assert len(server.hits_for("/busy")) == 1  # not fetched again before the time
    library.release()


async def test_corrupt_files_found_at_start_are_reported_in_the_status_line(paths: Paths
                                                                            ) -> None:
    library = make_library(paths)
    library.seed_if_new()
    await library.refresh()
    feed = library.feeds()[0]
    article = library.articles(feed.key)[0]
    library.set_bookmark(article)
    library.release()
    (paths.data_dir / "marks.json").write_bytes(b'{"bookmarks": {"1": {"id"')  # torn
    library = make_library(paths)
    app = ReaderApp(library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = visible_text(app.status)
        assert "marks.json was corrupt" in status, status
        [toast] = [n.message for n in app._notifications]
        aside = next(paths.data_dir.glob("marks.json.corrupt-*"))
        assert toast.endswith(f"it was moved to {aside} and left untouched")
        assert app.is_running
    library.release()
    assert list(paths.data_dir.glob("marks.json.corrupt-*"))


async def test_refresh_all_of_many_feeds_parses_in_worker_processes(
        paths: Paths, server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """With 8+ feeds and heavy parsing (here from the first feed) the refresh parses in worker
    processes, started under Textual (whose sys.stderr has no descriptor: every feed once
    failed with 'fds_to_keep')."""
    import concurrent.futures

    import reader.core.parsepool as parsepool_module

    monkeypatch.setattr(parsepool_module.os, "cpu_count", lambda: 2)  # processes even on 1 core
    monkeypatch.setattr(parsepool_module, "PROCESS_POOL_AFTER_S", 0.0)
    pools: list[object] = []
    real_pool = concurrent.futures.ProcessPoolExecutor

    def counting_pool(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        pools.append(real_pool(*args, **kwargs))
        return pools[-1]

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting_pool)
    library = make_library(paths)
    for n in range(10):
        server.routes[f"/f{n}"] = Route(rss(f"Feed {n}", [(f"{n}a", f"Story {n}")]))
        library.add_feed(server.url(f"/f{n}"))
    app = ReaderApp(library, offline=False)
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("R")
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = visible_text(app.status)
        assert "10 feeds refreshed" in status and "failed" not in status, status
    assert pools, "the refresh did not use worker processes"
    assert all(not f.last_error and f.failures == 0 for f in library.feeds())
    assert len(library.articles()) == 10
    library.release()
