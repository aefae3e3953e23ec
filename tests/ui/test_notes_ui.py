"""Notes in the app: write (with a selected or chosen quote), edit, delete, browse, search."""

from __future__ import annotations

from textual.geometry import Offset
from textual.selection import Selection
from textual.widgets import TextArea

from reader.library import Library
from reader.ui.app import ReaderApp
from reader.ui.widgets.lists import View
from tests.ui.test_app import SIZE, open_feed, visible_text


async def read_mattis(pilot, app: ReaderApp) -> None:  # noqa: ANN001
    await open_feed(pilot, app, "AMN Al-Masdar News")
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    assert app.reading.title.startswith("Mattis")


async def test_note_with_a_keyboard_chosen_quote(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        await pilot.press("a")
        await pilot.pause()
        assert type(app.screen).__name__ == "NoteEditor"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert type(app.screen).__name__ == "ParagraphPicker"
        await pilot.press("j", "j", "enter")  # the third paragraph
        await pilot.pause()
        await pilot.press(*"Compare with the 2014 statement", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        [note] = sample_library.notes(app.reading.id)
        assert note.text == "Compare with the 2014 statement"
        assert note.quote.startswith("During a press conference after the Defense Ministerial")
        assert "Compare with the 2014 statement" in visible_text(app.notes_pane)
        assert "▌ During a press conference" in visible_text(app.notes_pane)
        assert not sample_library.bookmarks()  # a note keeps the article, but is no bookmark
        assert "Notes (1)" in visible_text(app.feed_list)
        assert "✎" in visible_text(app.article_list)


async def test_note_quoting_the_selected_text(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        view = app.article_view
        line = next(i for i, text in enumerate(view.text.splitlines())
                    if text.startswith("Mattis said that Russia must"))
        app.main_screen.selections = {
            view: Selection.from_offsets(Offset(0, line), Offset(28, line))}
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert app.screen.quote == "Mattis said that Russia must"
        await pilot.press(*"strong words", "ctrl+s")
        await app.workers.wait_for_complete()
        [note] = sample_library.notes(app.reading.id)
        assert (note.quote, note.text) == ("Mattis said that Russia must", "strong words")


async def test_edit_delete_and_jump_in_the_notes_pane(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        article = app.reading
        quote = "It also states that Russia"
        sample_library.add_note(article, "first thought", quote)
        app.main_screen.notes_changed(article)
        await pilot.pause()
        app.focus_pane(app.notes_pane)
        await pilot.press("e")
        await pilot.pause()
        editor = app.screen
        editor.query_one(TextArea).text = "second thought"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n.text for n in sample_library.notes(article.id)] == ["second thought"]
        app.focus_pane(app.notes_pane)
        await pilot.press("enter")  # jump to the quoted paragraph
        await pilot.pause()
        view = app.article_view
        assert app.focused is view and view.scroll_y > 0
        shown = view.text.splitlines()[int(view.scroll_y):int(view.scroll_y) + view.size.height]
        assert any(line.startswith("It also states") for line in shown)
        app.focus_pane(app.notes_pane)
        await pilot.press("d")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")  # no: kept
        await pilot.pause()
        assert len(sample_library.notes(article.id)) == 1
        await pilot.press("d", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sample_library.notes(article.id) == []
        # no notes left: the pane hides (it took rows from reading) and its count is gone
        assert not app.notes_pane.display and app.notes_pane.border_title == "Notes"
        assert app.focused is app.article_view


async def test_cancel_asks_before_losing_changes(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        await pilot.press("a", *"half a thought")
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")  # keep editing
        await pilot.pause()
        assert type(app.screen).__name__ == "NoteEditor"
        await pilot.press("escape", "y")
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"
        assert sample_library.notes(app.reading.id) == []
        await pilot.press("a", "escape")  # nothing typed: closes without asking
        await pilot.pause()
        assert type(app.screen).__name__ == "MainScreen"


async def test_notes_view_and_search_over_notes(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        sample_library.add_note(app.reading, "zebra crossing idea", "")
        app.main_screen.notes_changed(app.reading)
        app.open_view(View("notes"))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [a.title[:6] for a in app.article_list.articles] == ["Mattis"]
        assert "✎1 Mattis" in visible_text(app.article_list)  # the Notes view shows counts
        app.focus_pane(app.feed_list)
        await pilot.press("slash", *"zebra", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [a.title[:6] for a in app.article_list.articles] == ["Mattis"]


async def test_note_text_is_shown_literally(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        sample_library.add_note(app.reading, "[@click=app.quit]x[/] [bold]", "[/bold]")
        app.main_screen.notes_changed(app.reading)
        await pilot.pause()
        assert "[@click=app.quit]x[/] [bold]" in visible_text(app.notes_pane)
        await pilot.click(app.notes_pane, offset=(5, 1))
        await pilot.pause()
        assert app.is_running


async def test_unsubscribing_asks_and_keeps_annotated_articles(sample_library: Library) -> None:
    app = ReaderApp(sample_library, offline=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await read_mattis(pilot, app)
        sample_library.add_note(app.reading, "keep me", "")
        app.focus_pane(app.feed_list)
        await pilot.press("D")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        assert "1 bookmarked or annotated articles are kept" in app.screen.question
        await pilot.press("n")
        await pilot.pause()
        assert any(f.title.startswith("AMN") for f in sample_library.feeds())
        await pilot.press("D", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not any(f.title.startswith("AMN") for f in sample_library.feeds())
        assert "AMN" not in visible_text(app.feed_list)
        kept = sample_library.articles(annotated=True)
        assert [a.title[:6] for a in kept] == ["Mattis"]
        assert "Defense Secretary" in sample_library.converted(kept[0]).markdown
