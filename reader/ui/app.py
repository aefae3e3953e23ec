"""ReaderApp: three panes (feeds, articles, article) plus notes, all by keyboard.

The app is handed a Library and talks to it only through its public API. Blocking work
(refresh, conversion, writes) runs off the event loop: refresh as an async worker whose
parsing and storing happen in the library's executors, writes on the library's writer thread.
"""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
import sys
import time
import urllib.parse
import webbrowser
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList

from reader.library import Library, offline_reason
from reader.models import Article, ArticleText, FeedResult
from reader.textutil import plural, shorten
from reader.ui.render import QUOTE_MARK
from reader.ui.screens.dialogs import HelpScreen, SearchScreen
from reader.ui.screens.notes import AskScreen, ConfirmScreen, NoteEditor
from reader.ui.widgets.article_view import ArticleView
from reader.ui.widgets.lists import ArticleList, FeedList, View
from reader.ui.widgets.panes import KeyHints, NotesPane, StatusLine

NARROW = 100
"""Below this many columns only the focused pane is shown."""

TERMINAL_BROWSERS = frozenset({"lynx", "w3m", "links", "links2", "elinks", "browsh",
                               "carbonyl", "www-browser", "cha", "netrik", "retawq"})
"""$BROWSER commands that draw in the terminal: run with the app suspended."""


def _key_label(key: str) -> str:
    """A key as the hints show it."""
    return {"question_mark": "?", "slash": "/", "enter": "⏎", "escape": "esc", "plus": "+",
            "space": "space"}.get(key, key)


def safe_link(url: str) -> str | None:
    """The URL if it may be opened: http(s) only, no leading dash, no whitespace tricks."""
    url = (url or "").strip()
    if not url or url.startswith("-") or any(c.isspace() or ord(c) < 32 for c in url):
        return None
    try:
        scheme = urllib.parse.urlsplit(url).scheme.lower()
    except ValueError:  # "http://[::1" (found by tests/hostile/test_fuzz.py)
        return None
    return url if scheme in ("http", "https") else None


class MainScreen(Screen[None]):
    """The panes. tab/shift+tab here move between panes (not Textual's focus chain)."""

    BINDINGS = [
        Binding("tab", "app.next_pane", "Next pane", show=False, id="next_pane"),
        Binding("shift+tab", "app.previous_pane", "Previous pane", show=False,
                id="previous_pane"),
    ]

    def compose(self) -> ComposeResult:
        with Horizontal(id="panes"):
            yield FeedList(id="feeds")
            with Vertical(id="main"):
                yield ArticleList(id="articles")
                with Vertical(id="reading"):
                    yield ArticleView(id="article")
                    yield NotesPane(id="notes")
        yield StatusLine(id="status")
        yield KeyHints(id="keys")

    def on_mount(self) -> None:
        self.app.call_later(self.app.setup)  # type: ignore[attr-defined]

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.call_after_refresh(self.app.keep_cursors_visible)  # type: ignore[attr-defined]

    def on_screen_resume(self) -> None:
        """Back from a dialog (the note editor, help): the focused pane's keys again."""
        self.app._mark_active_pane()  # type: ignore[attr-defined]


class ReaderApp(App[None]):
    """The terminal feed reader."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    COMMAND_PALETTE_BINDING = "ctrl+p"

    BINDINGS = [
        Binding("j,down", "cursor_down", "Down", show=False, id="cursor_down"),
        Binding("k,up", "cursor_up", "Up", show=False, id="cursor_up"),
        Binding("h,escape", "back", "Back", id="back"),
        Binding("J", "next_article", "Next article", show=False, id="next_article"),
        Binding("K", "previous_article", "Previous article", show=False, id="previous_article"),
        Binding("n", "next_unread", "Next unread", id="next_unread"),
        Binding("p", "previous_unread", "Prev unread", show=False, id="previous_unread"),
        Binding("space,pagedown", "page_down", "Page down", show=False, id="page_down"),
        Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
        Binding("g,home", "top", "Top", show=False, id="top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="bottom"),
        Binding("r", "refresh_feed", "Refresh", id="refresh_feed"),
        Binding("R", "refresh_all", "Refresh all", id="refresh_all"),
        Binding("z", "zoom", "Zoom", show=False, id="zoom"),
        Binding("slash", "search", "Search", id="search"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("q", "quit", "Quit", id="quit"),
    ] + [  # 1-9 open link N; every binding has an id so config.toml can remap it
        Binding(str(n), f"open_link({n})", f"Link {n}", show=False, id=f"open_link_{n}")
        for n in range(1, 10)
    ]

    def __init__(self, library: Library, *, offline: bool = False) -> None:
        super().__init__()
        self.library = library
        if offline:
            library.offline = True
        self.prefer: dict[str, str] = {}
        """article id -> "full" or "feed": the text the user toggled to with t."""
        self.view: View = View("all")
        """What the article list shows."""
        self.reading: Article | None = None
        """The article in the article pane."""
        self.links: list[Any] = []
        """Numbered links of the article being read."""
        self.counts: dict[str, tuple[int, int]] = {}
        self.refreshing = False
        self.key_problems: list[str] = []
        """What is wrong with config.toml's [keys] (set when the app starts)."""
        self.main_screen = MainScreen()
        theme = self._start_theme()
        self.theme_problem = ""
        """Set when config.toml names a theme Textual does not have."""
        if theme and theme in self.available_themes:
            self.theme = theme
        elif theme:
            self.theme_problem = (f"unknown theme {theme!r} in config.toml; "
                                  f"themes: {', '.join(sorted(self.available_themes))}")

    def _start_theme(self) -> str:
        """The theme last chosen in the palette, unless config.toml's theme changed since."""
        configured = self.library.settings.theme
        try:
            remembered = self.library.ui_state()
        except Exception:  # noqa: BLE001 - unreadable: config.toml's theme
            return configured
        if remembered.get("theme") and remembered.get("config_theme") == configured:
            return remembered["theme"]
        return configured

    def watch_theme(self, theme: str) -> None:
        """A theme chosen in the palette is remembered for the next run."""
        if not self.is_running or theme == self._start_theme():
            return
        self._write(self.library.save_ui_state,
                    {"theme": theme, "config_theme": self.library.settings.theme})

    @property
    def offline(self) -> bool:
        """Started offline (--offline / config), or the last refresh reached no network."""
        return self.library.offline or self.library.network_down

    # -- layout ---------------------------------------------------------------------------
    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

    @property
    def feed_list(self) -> FeedList:
        return self.main_screen.query_one(FeedList)

    @property
    def article_list(self) -> ArticleList:
        return self.main_screen.query_one(ArticleList)

    @property
    def article_view(self) -> ArticleView:
        return self.main_screen.query_one(ArticleView)

    @property
    def notes_pane(self) -> NotesPane:
        return self.main_screen.query_one(NotesPane)

    @property
    def status(self) -> StatusLine:
        return self.main_screen.query_one(StatusLine)

    def keymap_problems(self) -> list[str]:
        """What is wrong with config.toml's [keys]: unknown binding ids, and keys that two
        actions would share where both are active (e.g. quit = "j" beside cursor_down)."""
        keymap = self.library.settings.keys
        scopes = [self._bindings_of(self) + self._bindings_of(self.main_screen)]
        scopes += [scopes[0] + self._bindings_of(w) for w in
                   (self.feed_list, self.article_list, self.article_view, self.notes_pane)]
        known = {b.id for scope in scopes for b in scope if b.id}
        problems = [f"[keys] {name}: no such binding id" for name in keymap if name not in known]
        clashes: set[tuple[str, str, str]] = set()
        for scope in scopes:
            owner: dict[str, str] = {}
            for binding in scope:
                if not binding.id:
                    continue
                for key in keymap.get(binding.id, binding.key).split(","):
                    key = key.strip()
                    other = owner.setdefault(key, binding.id)
                    if other != binding.id and (binding.id in keymap or other in keymap):
                        clashes.add((key, *sorted((other, binding.id))))
        problems += [f"[keys] {key!r} is bound to both {a} and {b}"
                     for key, a, b in sorted(clashes)]
        return problems

    def setup(self) -> None:
        """Fill the panes once the main screen is mounted."""
        if self.library.settings.keys:
            self.set_keymap(self.library.settings.keys)
        self.key_problems = self.keymap_problems()
        for problem in self.key_problems:
            self.notify(problem, title="config.toml", severity="warning", timeout=30,
                        markup=False)
        self.feed_list.border_title = "Feeds"
        self.article_list.border_title = "Articles"
        self.article_view.border_title = "Article"
        self.article_view.show_message("Choose an article (enter) to read it here.")
        problems = [p for p in (self.theme_problem, *self.key_problems) if p]
        self.status.set(offline=self.offline,
                        message="; ".join(problems) or "? shows every key")
        self._shown_problems = 0
        self.report_problems()
        self.focus_pane(self.feed_list)
        self.load_everything()
        interval = self.library.settings.refresh_interval_minutes
        if interval and not self.library.offline:
            self.set_interval(interval * 60, self.action_refresh_all)
            oldest = min((f.last_checked for f in self.library.feeds()), default=0)
            if time.time() - oldest > interval * 60:
                self.call_after_refresh(self.action_refresh_all)

    def on_descendant_focus(self) -> None:
        self._mark_active_pane()

    def _mark_active_pane(self) -> None:
        if self.focused is not None:
            self._mark_active(self.focused)

    def _mark_active(self, widget: Widget) -> None:
        """Flag the pane holding `widget` (narrow screens show only that one); show its keys."""
        reading_pane = self.main_screen.query_one("#reading")
        main = self.main_screen.query_one("#main")
        for pane in (self.feed_list, self.article_list, reading_pane, main):
            active = pane is widget or pane in widget.ancestors
            if pane.has_class("-active") != active:
                pane.set_class(active, "-active")
        reading = reading_pane in widget.ancestors
        if main.has_class("-reading") != reading:  # reading: the list shrinks to a few rows
            main.set_class(reading, "-reading")
            self.call_after_refresh(self.keep_cursors_visible)
        self.main_screen.query_one(KeyHints).show_hints(self.key_hints(widget))

    def key_hints(self, widget: Widget) -> list[tuple[str, str]]:
        """(keys, description) of the shown bindings of `widget`, then the app's."""
        hints: dict[str, tuple[str, str]] = {}
        for binding in self._bindings_of(widget) + self._bindings_of(self):
            if binding.show and binding.id and binding.id not in hints:
                keys = self._keymap.get(binding.id, binding.key).split(",")[0]
                hints[binding.id] = (_key_label(keys), binding.description)
        hints["palette"] = ("^p", "Palette")
        return list(hints.values())

    # -- loading --------------------------------------------------------------------------
    @work(exclusive=True, group="load", thread=True)
    def load_everything(self) -> None:
        """Counts and the first view, read in a thread so start-up paints at once."""
        import reader.convert  # noqa: F401 - warm the converter's imports before the first open

        counts = self.library.counts()
        self.library.bookmarks()
        self.library.annotated()  # both read once here, off the event loop
        articles = self._articles_for(self.view)
        self.call_from_thread(self._loaded, counts, articles)

    def report_problems(self) -> None:
        """Show corrupt files the library found and set aside since the last call (files are
        read lazily, so this runs after loading and after each refresh)."""
        problems = self.library.problems[self._shown_problems:]
        if problems:
            self._shown_problems += len(problems)
            self.status.set(message="; ".join(problems))
            for problem in problems:  # the status line is one line; the whole path matters
                self.notify(problem, title="A file was set aside", severity="warning",
                            timeout=30, markup=False)

    def _loaded(self, counts: dict[str, tuple[int, int]], articles: list[Article]) -> None:
        self.report_problems()
        self.counts = counts
        self._redraw_feeds()
        self._show_articles(articles)

    def _redraw_feeds(self) -> None:
        """Feed rows with the current counts (only changed rows are redrawn)."""
        self.feed_list.populate(self.library.feeds(), self.counts,
                                len(self.library.bookmarks()), len(self.library.annotated()))

    def _articles_for(self, view: View) -> list[Article]:
        lib = self.library
        if view.kind == "feed":
            return lib.articles(view.value)
        if view.kind == "unread":
            return lib.articles(unread=True)
        if view.kind == "bookmarked":
            marks = lib.bookmarks()
            found = lib.articles(bookmarked=True)
            return sorted(found, key=lambda a: marks.get(a.id, {}).get("at", 0), reverse=True)
        if view.kind == "notes":
            latest: dict[str, float] = {}
            for note in lib.notes():
                latest[note.article_id] = max(latest.get(note.article_id, 0.0), note.edited)
            found = lib.articles(annotated=True)
            return sorted(found, key=lambda a: latest.get(a.id, 0.0), reverse=True)
        if view.kind == "tag":
            keys = {f.key for f in lib.feeds() if view.value in f.tags}
            return [a for a in lib.articles() if a.feed_key in keys]
        if view.kind == "search":
            return lib.articles(view.scope or None, search=view.value)
        return lib.articles()

    def _view_title(self, view: View) -> str:
        if view.kind == "feed":
            try:
                return self.library.find_feed(view.value).title
            except Exception:  # noqa: BLE001 - the feed was removed meanwhile
                return "Articles"
        if view.kind == "tag":
            return f"Tag: {view.value}"
        if view.kind == "search":
            return f"Search: {view.value}"
        return {"all": "All articles", "unread": "Unread", "bookmarked": "Bookmarked",
                "notes": "Notes"}[view.kind]

    def _show_articles(self, articles: list[Article], keep_id: str | None = None) -> None:
        lst = self.article_list
        lst.populate(articles, show_feed=self.view.kind != "feed", keep_id=keep_id,
                     search=self.view.value if self.view.kind == "search" else "")
        self._title_article_list()

    def _title_article_list(self) -> None:
        """The view's name, how many articles it lists and how many are unread (the feed
        list's numbers are unread counts; here both are said in words)."""
        articles = self.article_list.articles
        unread = sum(not a.read for a in articles)
        # Content(): a feed title is text, never markup (a str border title is parsed).
        self.article_list.border_title = Content(
            f"{self._view_title(self.view)} ({plural(len(articles), 'article')}, "
            f"{unread} unread)")

    def open_view(self, view: View, focus: bool = True) -> None:
        """Show a view in the article list (its articles are read in a thread)."""
        self.view = view
        self.article_list.border_title = Content(f"{self._view_title(view)} …")
        self._load_view(view, None)
        if focus:
            self.focus_pane(self.article_list)

    @work(exclusive=True, group="view", thread=True)
    def _load_view(self, view: View, keep_id: str | None) -> None:
        """Read a view's articles off the event loop (a search reads article bodies)."""
        articles = self._articles_for(view)
        self.call_from_thread(self._view_loaded, view, articles, keep_id)

    def _view_loaded(self, view: View, articles: list[Article], keep_id: str | None) -> None:
        if view == self.view:  # the user may have moved on meanwhile
            self._show_articles(articles, keep_id=keep_id)

    def _reload_counts(self) -> None:
        self.counts = self.library.counts()
        self._redraw_feeds()

    # -- opening --------------------------------------------------------------------------
    def action_open(self) -> None:
        focused = self.focused
        if focused is self.feed_list:
            view = self.feed_list.current_view
            if view is None:
                return
            if view.kind == "tag" and self.view == view:  # second enter folds the folder
                self._toggle_folder(view.value)
                return
            self.open_view(view)
        elif focused is self.article_list:
            article = self.article_list.current
            if article is not None:
                self.open_article(article)

    @on(OptionList.OptionHighlighted, "#feeds")
    def _feed_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """A feed whose last refresh failed: the whole reason in the status line."""
        view = self.feed_list.current_view
        if view is None or view.kind != "feed":
            return
        try:
            feed = self.library.find_feed(view.value)
        except Exception:  # noqa: BLE001 - removed meanwhile
            return
        if feed.last_error or feed.gone or feed.long_failing:
            detail = feed.last_error or "gone for good"
            if feed.failures > 1:
                detail += f" ({feed.failures} refreshes in a row failed)"
            self.status.set(message=f"{feed.title}: {detail}")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_open()

    def _toggle_folder(self, tag: str) -> None:
        if tag in self.feed_list.collapsed:
            self.feed_list.collapsed.discard(tag)
        else:
            self.feed_list.collapsed.add(tag)
        self._reload_counts()

    def open_article(self, article: Article, focus: bool = True) -> None:
        """Show an article (then mark it read). Nothing else is redrawn before it shows."""
        self.reading = article
        self.article_view.border_title = Content(article.feed_title or "Article")
        self.article_view.set_search(self.view.value if self.view.kind == "search" else "")
        self._convert(article)
        self.set_timer(0.15, lambda: self._still_loading(article.id))
        if focus:
            self.focus_pane(self.article_view)

    def _still_loading(self, article_id: str) -> None:
        if self.reading is None or self.reading.id != article_id:
            return
        try:
            view = self.article_view
        except NoMatches:  # the timer fired while the app was closing
            return
        if view.article_id != article_id:
            view.show_message("Loading…")

    @work(exclusive=True, group="convert")
    async def _convert(self, article: Article, keep_place: bool = False) -> None:
        # The Markdown cache is written when the app quits, not while the reader waits.
        text = await self.library.write(functools.partial(
            self.library.text, prefer=self.prefer.get(article.id, "auto"), defer_save=True),
            article)
        if self.reading is None or self.reading.id != article.id:
            return
        self.links = list(text.links)
        header = [
            ("Feed", article.feed_title),
            ("Author", article.author),
            ("Date", time.strftime("%Y-%m-%d %H:%M", time.localtime(article.date))
             if article.date else ""),
            ("Link", article.link),
            ("Text", text.describe() + _text_hint(text)),
        ]
        notes = self.library.notes(article.id)
        place = self.article_view.scroll_y if keep_place else 0
        self.article_view.show(article.id, header, article.title, text.markdown,
                               quotes=[n.quote for n in notes])
        if place:
            self.article_view.scroll_to(0, place, animate=False)
        self.notes_pane.show_notes(notes)
        if not article.read:
            self._set_read(article, True)

    # -- full text ----------------------------------------------------------------------------
    def action_fetch_full(self) -> None:
        """Fetch the article's web page now and show its main text."""
        article = self._target_article()
        if article is None:
            self.status.set(message="choose an article first")
            return
        if self.library.offline:
            self.status.set(message="offline: the full article cannot be fetched now")
            return
        self._fetch_full(article)

    @work(group="fulltext-one")
    async def _fetch_full(self, article: Article) -> None:
        self.status.set(message=f"fetching the full article: {shorten(article.title, 50)}")
        try:
            results = await self.library.fetch_full([article], force=True)
        except Exception as exc:  # noqa: BLE001 - say it, keep the feed text
            self.status.set(message=f"full text failed: {exc}")
            return
        result = results[0]
        if result.status == "ok":
            self.prefer.pop(article.id, None)
            self.status.set(message="showing the full article (t: the feed's text)")
        elif result.status == "offline":
            self.library.network_down = True
            self.status.set(offline=True, message=f"full text not fetched: {result.error}")
        else:
            self.status.set(message=f"full text failed: {result.error}; the feed's text stays")
        if self.reading is not None and self.reading.id == article.id:
            self._convert(article, keep_place=result.status != "ok")

    def action_toggle_text(self) -> None:
        """Switch the article view between the fetched full text and the feed's text."""
        article = self.reading
        if article is None:
            self.status.set(message="open an article first")
            return
        if not (self.library.full_text(article) or {}).get("html"):
            self.status.set(message="no full text yet: f fetches the article's page")
            return
        now = self.prefer.get(article.id, "full")
        self.prefer[article.id] = "feed" if now == "full" else "full"
        self.status.set(message="showing the feed's text" if now == "full"
                        else "showing the full article")
        self._convert(article)

    @work(exclusive=True, group="fulltext")
    async def _fetch_new_full_texts(self, new_ids: list[str]) -> None:
        """After a refresh: full text of new articles of full-text feeds, in the background."""
        targets = await self.library.write(self.library.full_text_targets, new_ids)
        if not targets or self.library.offline:
            return

        def progress(done: int, total: int, result: Any) -> None:
            self.status.set(progress=f"full text {done}/{total}" if done < total else "")
            if result.status == "ok" and self.reading is not None \
                    and self.reading.id == result.article_id \
                    and self.prefer.get(result.article_id) != "feed":
                self._convert(self.reading, keep_place=True)

        results = await self.library.fetch_full(targets, progress)
        self.status.set(progress="")
        failed = sum(r.status == "error" for r in results)
        fetched = sum(r.status == "ok" for r in results)
        if fetched or failed:  # pages that could not be reached at all say nothing here
            self.status.set(message=f"full text of {plural(fetched, 'new article')} fetched"
                            + (f", {failed} failed (f retries)" if failed else ""))

    # -- notes ------------------------------------------------------------------------------
    def _selected_quote(self) -> str:
        """Text the user selected in the article (mouse), as one clean passage."""
        selection = self.main_screen.selections.get(self.article_view)
        if selection is None:
            return ""
        extracted = self.article_view.get_selection(selection)
        if not extracted:
            return ""
        lines = [line.removeprefix(QUOTE_MARK).strip() for line in extracted[0].splitlines()]
        return " ".join(line for line in lines if line)

    def action_annotate(self) -> None:
        """Write a note on the article (quoting the selection, or a chosen paragraph)."""
        article = self._target_article()
        if article is None:
            self.status.set(message="choose an article first")
            return
        reading = self.reading is not None and self.reading.id == article.id
        quote = self._selected_quote() if reading else ""
        paragraphs = self.article_view.paragraphs() if reading else []

        async def saved(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            text, chosen = result
            try:
                await self.library.write(self.library.add_note, article, text, chosen)
            except Exception as exc:  # noqa: BLE001 - say it; the editor text is gone
                self.status.set(message=f"could not save the note: {exc}")
                return
            self._notes_changed(article)
            self.status.set(message="note saved")

        self.push_screen(NoteEditor(article.title, paragraphs, quote=quote), saved)

    def _notes_changed(self, article: Article) -> None:
        """Redraw what shows notes: the notes pane, highlights, the row marker, counts."""
        notes = self.library.notes(article.id)
        article.notes = len(notes)
        self.article_list.update_article(article)
        if self.reading is not None and self.reading.id == article.id:
            self.reading.notes = len(notes)
            self.notes_pane.show_notes(notes)
            self.article_view.set_quotes([n.quote for n in notes])
            if not notes and self.focused is self.notes_pane:  # the pane hides: back to reading
                self.focus_pane(self.article_view)
        self._redraw_feeds()
        if self.view.kind == "notes":  # the Notes view lists annotated articles only
            self._load_view(self.view, self.article_list.current.id
                            if self.article_list.current else None)

    def action_edit_note(self) -> None:
        note = self.notes_pane.current
        if note is None or self.reading is None:
            return
        article = self.reading

        async def saved(result: tuple[str, str] | None) -> None:
            if result is None:
                return
            text, quote = result
            await self.library.write(self.library.edit_note, note.id, text, quote)
            self._notes_changed(article)
            self.status.set(message="note saved")

        self.push_screen(NoteEditor(article.title, self.article_view.paragraphs(),
                                    text=note.text, quote=note.quote), saved)

    def action_delete_note(self) -> None:
        note = self.notes_pane.current
        if note is None or self.reading is None:
            return
        article = self.reading

        async def answered(yes: bool | None) -> None:
            if yes:
                await self.library.write(self.library.delete_note, note.id)
                self._notes_changed(article)
                self.status.set(message="note deleted")

        preview = " ".join(note.text.split())[:60]
        self.push_screen(ConfirmScreen(f"Delete the note “{preview}”?"), answered)

    def action_jump_to_quote(self) -> None:
        note = self.notes_pane.current
        if note is None or not note.quote:
            self.status.set(message="this note quotes nothing")
            return
        if self.article_view.scroll_to_quote(note.quote):
            self.focus_pane(self.article_view)
        elif self.reading is not None and (self.library.full_text(self.reading) or {}).get(
                "html"):  # a full text exists: the passage may be in the other version
            shown = "full article" if self.prefer.get(self.reading.id) != "feed" \
                else "feed's text"
            self.status.set(message=f"the quoted passage is not in the {shown} shown; "
                                    "t switches to the other text")
        else:
            self.status.set(message="the quoted passage is no longer in the article")

    def action_remove_feed(self) -> None:
        """Unsubscribe from the highlighted feed, after asking; kept articles stay."""
        view = self.feed_list.current_view
        if view is None or view.kind != "feed":
            self.status.set(message="highlight a feed to unsubscribe from it")
            return
        feed = self.library.find_feed(view.value)
        kept = self.library.kept_ids()
        keeping = sum(1 for a in self.library.articles(feed.key) if a.id in kept)
        question = f"Unsubscribe from “{feed.title}”?"
        if keeping:
            question += f" Its {keeping} bookmarked or annotated articles are kept."

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            await self.library.write(self.library.remove_feed, feed.key)
            if self.view.kind == "feed" and self.view.value == feed.key:
                self.open_view(View("all"), focus=False)
            self._reload_counts()
            self.status.set(message=f"unsubscribed from {feed.title}")

        self.push_screen(ConfirmScreen(question), answered)

    def action_export_notes(self) -> None:
        default = str(Path.home() / "reader-notes")

        async def chosen(folder: str | None) -> None:
            if not folder:
                return
            try:
                written = await self.library.write(self.library.export_notes,
                                                   Path(folder).expanduser())
            except Exception as exc:  # noqa: BLE001
                self.status.set(message=f"export failed: {exc}")
                return
            self.status.set(message=f"{plural(len(written), 'file')} exported to {folder}")

        self.push_screen(AskScreen("Export notes and bookmarks as Markdown files to:", default),
                         chosen)

    def action_add_feed(self) -> None:
        """Subscribe to a feed (URL or local file), then fetch it in the background."""

        async def chosen(url: str | None) -> None:
            if not url:
                return
            try:
                feed = await self.library.write(self.library.add_feed, url)
            except Exception as exc:  # noqa: BLE001 - e.g. already subscribed, bad scheme
                self.status.set(message=f"not added: {exc}")
                return
            self._reload_counts()
            self.status.set(message=f"subscribed to {feed.url}; fetching it")
            if self.library.offline:
                self.status.set(message=f"subscribed to {feed.url} (offline: fetched later)")
            elif self.refreshing:
                self.status.set(message=f"subscribed to {feed.url}; the next refresh reads it")
            else:
                self._first_fetch(feed.key)

        self.push_screen(AskScreen("Subscribe to (feed URL or file):",
                                   placeholder="https://example.com/feed.xml"), chosen)

    @work(exclusive=True, group="refresh")
    async def _first_fetch(self, key: str) -> None:
        """Fetch a feed just added; when it fails (404, not a feed) say why and ask before
        keeping the subscription."""
        self.refreshing = True
        try:
            [result] = await self.library.refresh([key])
        except Exception as exc:  # noqa: BLE001 - say it; the subscription stays
            self.status.set(message=f"could not fetch the new feed: {exc}")
            return
        finally:
            self.refreshing = False
        self._after_refresh()
        feed = self.library.find_feed(key)
        if result.status != "error":
            self.status.set(message=f"subscribed to {feed.title}: "
                                    f"{plural(result.new, 'article')}")
            return
        self.status.set(message=f"{feed.url}: {result.error}")

        async def answered(keep: bool | None) -> None:
            if keep:
                self.status.set(message=f"kept {feed.url}; it failed: {result.error}")
                return
            try:
                await self.library.write(self.library.remove_feed, key)
            except Exception as exc:  # noqa: BLE001
                self.status.set(message=f"could not unsubscribe: {exc}")
                return
            self._reload_counts()
            self.status.set(message=f"not subscribed to {feed.url}")

        self.push_screen(ConfirmScreen(
            f"{shorten(feed.url, 60)}: {shorten(result.error, 120)}. "
            "Keep the subscription anyway?"), answered)

    # -- read state and bookmarks -----------------------------------------------------------
    def _target_article(self) -> Article | None:
        if self.focused is self.article_view or self.focused is None:
            return self.reading or self.article_list.current
        return self.article_list.current

    def _set_read(self, article: Article, read: bool) -> None:
        if article.read == read:
            return
        article.read = read
        self.article_list.update_article(article)
        self._title_article_list()
        unread, total = self.counts.get(article.feed_key, (0, 0))
        self.counts[article.feed_key] = (unread + (-1 if read else 1), total)
        self._redraw_feeds()
        self._write(self.library.mark_read, article, read)

    @work(group="write")
    async def _write(self, fn: Any, *args: Any) -> None:
        try:
            await self.library.write(fn, *args)
        except Exception as exc:  # noqa: BLE001 - say it, keep running
            self.status.set(message=f"could not save: {exc}")

    def action_toggle_read(self) -> None:
        article = self._target_article()
        if article is not None:
            self._set_read(article, not article.read)

    async def action_toggle_bookmark(self) -> None:
        article = self._target_article()
        if article is None:
            return
        on_ = not article.bookmarked
        try:
            await self.library.write(self.library.set_bookmark, article, on_)
        except Exception as exc:  # noqa: BLE001
            self.status.set(message=f"could not save the bookmark: {exc}")
            return
        article.bookmarked = on_
        self.article_list.update_article(article)
        self._redraw_feeds()
        self.status.set(message="bookmarked" if on_ else "bookmark removed")

    async def action_mark_all_read(self) -> None:
        """Mark every article of the view read, after asking (y/n)."""
        if self.focused is self.feed_list and self.feed_list.current_view is not None:
            view = self.feed_list.current_view
            articles = await asyncio.to_thread(self._articles_for, view)
        else:
            view = self.view
            articles = list(self.article_list.articles)
        ids = [a.id for a in articles if not a.read]
        if not ids:
            self.status.set(message="nothing unread here")
            return

        async def answered(yes: bool | None) -> None:
            if not yes:
                self.status.set(message="nothing marked read")
                return
            try:
                await self.library.write(self.library.set_read, ids, True)
            except Exception as exc:  # noqa: BLE001 - say it; nothing was marked
                self.status.set(message=f"could not mark them read: {exc}")
                return
            for article in articles:
                article.read = True
            self._show_articles(self.article_list.articles)
            self._reload_counts()
            self.status.set(message=f"{plural(len(ids), 'article')} marked read")

        self.push_screen(ConfirmScreen(
            f"Mark {plural(len(ids), 'unread article')} in “{self._view_title(view)}” read?"),
            answered)

    # -- moving ---------------------------------------------------------------------------
    def _focused_list(self) -> OptionList | ArticleList | None:
        focused = self.focused
        return focused if isinstance(focused, (OptionList, ArticleList)) else None

    def action_cursor_down(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_cursor_down()
        elif self.focused is self.article_view:
            self.article_view.scroll_down(animate=False)

    def action_cursor_up(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_cursor_up()
        elif self.focused is self.article_view:
            self.article_view.scroll_up(animate=False)

    def action_page_down(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_page_down()
        elif self.focused is self.article_view:
            self.article_view.page_down()

    def action_page_up(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_page_up()
        elif self.focused is self.article_view:
            self.article_view.page_up()

    def action_top(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_first()
        elif self.focused is self.article_view:
            self.article_view.scroll_home(animate=False)

    def action_bottom(self) -> None:
        if (lst := self._focused_list()) is not None:
            lst.action_last()
        elif self.focused is self.article_view:
            self.article_view.scroll_end(animate=False)

    def _panes(self) -> list[Widget]:
        panes: list[Widget] = [self.feed_list, self.article_list, self.article_view]
        if self.notes_pane.display:  # hidden while the article has no notes
            panes.append(self.notes_pane)
        return panes

    def keep_cursors_visible(self) -> None:
        """After a resize or a layout change the cursor rows stay on screen."""
        if self.article_list.highlighted is not None:
            self.article_list.scroll_to_row(self.article_list.highlighted)
        if self.feed_list.highlighted is not None:
            self.feed_list.scroll_to_highlight()

    def action_zoom(self) -> None:
        """The article alone on the screen, and back (z)."""
        screen = self.main_screen
        if screen.maximized is not None:
            screen.minimize()
            self.status.set(message="")
            return
        if self.reading is None:
            self.status.set(message="open an article first")
            return
        self.focus_pane(self.article_view)
        screen.maximize(self.article_view, container=False)
        self.status.set(message="z or escape: back to the panes")

    def focus_pane(self, widget: Widget) -> None:
        """Focus a pane; on narrow screens it becomes the one shown."""
        self._mark_active(widget)
        widget.focus()

    def action_next_pane(self) -> None:
        panes = self._panes()
        current = panes.index(self.focused) if self.focused in panes else -1
        self.focus_pane(panes[(current + 1) % len(panes)])

    def action_previous_pane(self) -> None:
        panes = self._panes()
        current = panes.index(self.focused) if self.focused in panes else 0
        self.focus_pane(panes[(current - 1) % len(panes)])

    def action_back(self) -> None:
        if self.main_screen.maximized is not None:
            self.action_zoom()
        elif self.focused is self.notes_pane:
            self.focus_pane(self.article_view)
        elif self.focused is self.article_view:
            self.focus_pane(self.article_list)
        elif self.focused is self.article_list:
            self.focus_pane(self.feed_list)

    def _step_article(self, step: int, unread_only: bool) -> None:
        lst = self.article_list
        if not lst.articles:
            return
        current = lst.highlighted if lst.highlighted is not None else -step
        if self.reading is not None and self.reading.id in [a.id for a in lst.articles]:
            current = [a.id for a in lst.articles].index(self.reading.id)
        index = current + step
        while 0 <= index < len(lst.articles):
            if not unread_only or not lst.articles[index].read:
                lst.highlighted = index
                if self.focused is self.article_view or unread_only:
                    self.open_article(lst.articles[index], focus=self.focused is not lst)
                return
            index += step
        if unread_only and self.view.kind == "feed" and self._step_feed(step):
            return
        self.status.set(message="no more unread articles here" if unread_only
                        else "no more articles")

    def _step_feed(self, step: int) -> bool:
        """n/p at the end of a feed: on to the next (previous) feed with unread articles, in
        the feed list's order, as newsboat does. False when there is none."""
        keys = self.feed_list.feed_keys() or [f.key for f in self.library.feeds()]
        if self.view.value not in keys:
            return False
        here = keys.index(self.view.value)
        order = keys[here + 1:] + keys[:here] if step > 0 else \
            list(reversed(keys[:here])) + list(reversed(keys[here + 1:]))
        for key in order:
            if self.counts.get(key, (0, 0))[0] <= 0:
                continue
            articles = [a for a in self._articles_for(View("feed", key)) if not a.read]
            if not articles:
                continue
            self.view = View("feed", key)
            self._show_articles(self._articles_for(self.view))
            self.feed_list.select_view(self.view)
            target = articles[0] if step > 0 else articles[-1]
            self.article_list.highlighted = next(
                i for i, a in enumerate(self.article_list.articles) if a.id == target.id)
            self.open_article(self.article_list.articles[self.article_list.highlighted],
                              focus=self.focused is not self.article_list)
            self.status.set(message=f"next unread: {self._view_title(self.view)}"
                            if step > 0 else
                            f"previous unread: {self._view_title(self.view)}")
            return True
        return False

    def action_next_article(self) -> None:
        self._step_article(1, unread_only=False)

    def action_previous_article(self) -> None:
        self._step_article(-1, unread_only=False)

    def action_next_unread(self) -> None:
        self._step_article(1, unread_only=True)

    def action_previous_unread(self) -> None:
        self._step_article(-1, unread_only=True)

    # -- links ----------------------------------------------------------------------------
    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Open http(s) links in the browser ($BROWSER honoured), never through a shell."""
        link = safe_link(url)
        if link is None:
            self.status.set(message="not opened: only http and https links open")
            return
        try:
            opened = self._run_browser(link, new_tab)
        except Exception as exc:  # noqa: BLE001
            opened, why = False, f"could not start a browser ({exc})"
        else:
            why = "no browser could be started (set $BROWSER)"
        if opened:
            self.status.set(message=f"opened {link}")
            return
        self.copy_to_clipboard(link)  # OSC 52: terminals that allow it put it on the clipboard
        self.status.set(message=f"{why}; link copied where the terminal allows: {link}")
        self.notify(link, title="Not opened: the link", timeout=20, markup=False)

    def _run_browser(self, link: str, new_tab: bool) -> bool:
        """Start the browser on `link` (argv, never a shell). A terminal browser (lynx, w3m,
        or any plain command without a display) gets the terminal: the app is suspended
        until it quits. A plain command with a display runs detached; the app never waits."""
        try:
            controller = webbrowser.get()
        except webbrowser.Error:
            controller = None
        if not isinstance(controller, webbrowser.GenericBrowser) or isinstance(
                controller, webbrowser.BackgroundBrowser):  # GUI browsers webbrowser knows
            return bool(webbrowser.open(link, new=2 if new_tab else 0))
        argv = [controller.name] + [arg.replace("%s", link) for arg in controller.args]
        display = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") \
            or sys.platform == "darwin"
        if controller.basename in TERMINAL_BROWSERS or not display:
            try:
                with self.suspend():
                    return subprocess.run(argv, check=False).returncode == 0
            except SuspendNotSupported:  # no terminal to hand over (headless)
                return False
        subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        return True

    def action_open_in_browser(self) -> None:
        article = self._target_article()
        if article is not None and article.link:
            self.open_url(article.link)
        else:
            self.status.set(message="this article has no link")

    def action_open_link(self, number: int) -> None:
        """Open link N of the article being read."""
        if self.reading is None:
            self.status.set(message="open an article first")
            return
        link = next((lk for lk in self.links if lk.number == number), None)
        if link is None:
            self.status.set(message=f"this article has no link {number}")
            return
        self.open_url(link.url)

    # -- refresh --------------------------------------------------------------------------
    def action_refresh_feed(self) -> None:
        view = self.feed_list.current_view if self.focused is self.feed_list else self.view
        if view is not None and view.kind == "feed":
            self.start_refresh([view.value])
        elif view is not None and view.kind == "tag":
            self.start_refresh([f.key for f in self.library.feeds() if view.value in f.tags])
        elif self.reading is not None:
            self.start_refresh([self.reading.feed_key])
        else:
            self.start_refresh(None)

    def action_refresh_all(self) -> None:
        self.start_refresh(None)

    def start_refresh(self, keys: list[str] | None) -> None:
        """Refresh in the background (ignored offline or while a refresh runs)."""
        if self.library.offline:
            self.status.set(message="offline: not refreshing (started with --offline "
                                    "or offline = true in config.toml)")
            return
        if self.refreshing:
            self.status.set(message="a refresh is already running")
            return
        self._refresh(keys)

    @work(exclusive=True, group="refresh")
    async def _refresh(self, keys: list[str] | None) -> None:
        self.refreshing = True
        total = len(keys) if keys is not None else len(self.library.feeds())
        self.status.set(progress=f"refreshing 0/{total}")
        try:
            results = await self.library.refresh(keys, self._refresh_progress)
        except Exception as exc:  # noqa: BLE001
            self.status.set(progress="", message=f"refresh failed: {exc}")
            return
        finally:
            self.refreshing = False
        failed = [r for r in results if r.status == "error"]
        new = sum(r.new for r in results)
        if self.library.network_down:
            message = (f"no feed server answered ({offline_reason(results)}); "
                       "showing what is cached")
        else:
            message = (f"{plural(len(results), 'feed')} refreshed, "
                       f"{plural(new, 'new article')}")
        if failed:
            names = ", ".join(self._feed_title(r.feed_key) for r in failed[:3])
            message += f", {len(failed)} failed ({names}{'…' if len(failed) > 3 else ''})"
        waiting = sum(r.status == "waiting" for r in results)
        if waiting:
            message += f", {waiting} waiting (the server asked for a pause)"
        self.status.set(progress="", message=message, offline=self.offline)
        self.report_problems()
        self._after_refresh()
        new_ids = [i for r in results for i in r.new_ids]
        if new_ids and not self.offline:
            self._fetch_new_full_texts(new_ids)

    def _feed_title(self, key: str) -> str:
        return next((f.title for f in self.library.feeds() if f.key == key), key)

    def _refresh_progress(self, done: int, total: int, result: FeedResult) -> None:
        self.status.set(progress=f"refreshing {done}/{total}")
        if result.status == "new" or result.status == "error":
            self._after_refresh()

    def _after_refresh(self) -> None:
        self._reload_counts()
        keep = self.article_list.current.id if self.article_list.current else None
        self._load_view(self.view, keep)

    # -- search and help ------------------------------------------------------------------
    def action_search(self) -> None:
        if self.focused is self.feed_list or self.view.kind not in ("feed",):
            scope, label = "", "everything"
        else:
            scope, label = self.view.value, f"in {self._view_title(self.view)}"

        def done(text: str | None) -> None:
            if text:
                self.open_view(View("search", text, scope))

        self.push_screen(SearchScreen(label), done)

    def binding_rows(self) -> list[tuple[str, str]]:
        """(keys, description) for every binding, as the user's key map has them."""
        rows: dict[str, tuple[str, str]] = {}
        sources: list[Iterable[Binding]] = [
            self._bindings_of(self), self._bindings_of(self.main_screen),
            self._bindings_of(self.feed_list),
            self._bindings_of(self.article_list), self._bindings_of(self.article_view),
            self._bindings_of(self.notes_pane)]
        for bindings in sources:
            for binding in bindings:
                if binding.id and binding.id.startswith("open_link_"):
                    continue
                if binding.id and binding.id not in rows:
                    keys = self._keymap.get(binding.id, binding.key)
                    rows[binding.id] = (",".join(_key_label(k) for k in keys.split(",")),
                                        binding.description)
        rows["open_link"] = ("1-9", "Open link N of the article")
        rows["palette"] = ("ctrl+p", "Command palette (every action)")
        return list(rows.values())

    @staticmethod
    def _bindings_of(node: Any) -> list[Binding]:
        return [b for b in node.BINDINGS if isinstance(b, Binding)]

    def action_save_screenshot(self) -> None:
        """An SVG of the screen in ~/Downloads, or the home folder when there is none."""
        folder = Path.home() / "Downloads"
        if not folder.is_dir():
            folder = Path.home()
        try:
            path = self.save_screenshot(path=str(folder))
        except OSError as exc:
            self.status.set(message=f"screenshot not saved: {exc}")
            return
        self.status.set(message=f"screenshot saved: {path}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_rows()))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":  # Textual's saves to ~/Downloads, maybe missing
                yield SystemCommand("Screenshot", "Save an SVG picture of the screen",
                                    self.action_save_screenshot)
            else:
                yield command
        commands = [
            ("Refresh all feeds", "Fetch every feed now", self.action_refresh_all),
            ("Refresh this feed", "Fetch the highlighted feed", self.action_refresh_feed),
            ("Mark all read", "Mark the articles shown as read", self.action_mark_all_read),
            ("Toggle read", "Mark the article read or unread", self.action_toggle_read),
            ("Toggle bookmark", "Bookmark the article or remove it",
             self.action_toggle_bookmark),
            ("Open in browser", "Open the article's link", self.action_open_in_browser),
            ("Search", "Search titles, text and notes", self.action_search),
            ("Write a note", "Annotate the article", self.action_annotate),
            ("Export notes", "Notes and bookmarks as Markdown files", self.action_export_notes),
            ("Unsubscribe", "Remove the highlighted feed (asks first)", self.action_remove_feed),
            ("Subscribe", "Add a feed by URL or file", self.action_add_feed),
            ("Show notes", "The Notes view", lambda: self.open_view(View("notes"))),
            ("Next unread", "Open the next unread article", self.action_next_unread),
            ("Show all articles", "The All view", lambda: self.open_view(View("all"))),
            ("Show unread articles", "The Unread view", lambda: self.open_view(View("unread"))),
            ("Show bookmarks", "The Bookmarked view",
             lambda: self.open_view(View("bookmarked"))),
            ("Help: every key", "Every key and what it does (?)", self.action_help),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)



def _text_hint(text: ArticleText) -> str:
    """What the full-text keys would do for this article."""
    if text.source == "full":
        return "  (t: the feed's text)"
    if text.full_available:
        return "  (t: the full article)"
    return "  (f: fetch the full article)"


def run_app(library: Library, *, offline: bool) -> None:
    """Start the app (blocking until it quits)."""
    app = ReaderApp(library, offline=offline)
    app.run()
    for problem in getattr(app, "key_problems", []):  # said again where it stays readable
        print(f"reader: config.toml: {problem}", file=sys.stderr)


