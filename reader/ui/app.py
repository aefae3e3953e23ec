"""ReaderApp: the app-wide concerns of the reader (its theme, the user's key map, the help
screen and the command palette). The panes and what they show belong to the main screen
(reader.ui.screens.main), which the app is handed a Library for.

The app talks to the Library only through its public API. Blocking work (refresh,
conversion, writes) runs off the event loop: refresh as an async worker whose parsing and
storing happen in the library's executors, writes on the library's writer thread.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from textual.app import App, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

from reader.library import Library
from reader.models import Article, View
from reader.ui import messages
from reader.ui.screens.dialogs import HelpScreen
from reader.ui.screens.main import NARROW, MainScreen, safe_link
from reader.ui.widgets.article_view import ArticleView
from reader.ui.widgets.lists import ArticleList, FeedList
from reader.ui.widgets.panes import NotesPane, StatusLine

__all__ = ["NARROW", "ReaderApp", "run_app", "safe_link"]


TERMINAL_BROWSERS = frozenset({"lynx", "w3m", "links", "links2", "elinks", "browsh",
                               "carbonyl", "www-browser", "cha", "netrik", "retawq"})
"""$BROWSER commands that draw in the terminal: run with the app suspended."""


def _key_label(key: str) -> str:
    """A key as the hints show it."""
    return {"question_mark": "?", "slash": "/", "enter": "⏎", "escape": "esc", "plus": "+",
            "space": "space"}.get(key, key)


class ReaderApp(App[None]):
    """The terminal feed reader."""

    CSS_PATH = "reader.tcss"
    TITLE = "reader"
    COMMAND_PALETTE_BINDING = "ctrl+p"
    BINDINGS: list[Binding] = []  # the keys live with what they act on (the main screen, panes)

    def __init__(self, library: Library, *, offline: bool = False) -> None:
        super().__init__()
        self.library = library
        if offline:
            library.offline = True
        self.main_screen = MainScreen(library)
        """The panes (the app's one screen below any dialog)."""
        self.key_problems: list[str] = []
        """What is wrong with config.toml's [keys] (set when the app starts)."""
        theme = self._start_theme()
        self.theme_problem = ""
        """Set when config.toml names a theme Textual does not have."""
        if theme and theme in self.available_themes:
            self.theme = theme
        elif theme:
            self.theme_problem = (f"unknown theme {theme!r} in config.toml; "
                                  f"themes: {', '.join(sorted(self.available_themes))}")

    def get_default_screen(self) -> Screen[Any]:
        return self.main_screen

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
        self.main_screen.save_in_background(
            self.library.update_ui_state,  # the other choices (sort orders) stay
            {"theme": theme, "config_theme": self.library.settings.theme})

    def on_descendant_focus(self) -> None:
        self.main_screen.mark_active_pane()

    # -- the main screen's panes and state, for callers of the app ---------------------------
    @property
    def feed_list(self) -> FeedList:
        return self.main_screen.feed_list

    @property
    def article_list(self) -> ArticleList:
        return self.main_screen.article_list

    @property
    def article_view(self) -> ArticleView:
        return self.main_screen.article_view

    @property
    def notes_pane(self) -> NotesPane:
        return self.main_screen.notes_pane

    @property
    def status(self) -> StatusLine:
        return self.main_screen.status

    @property
    def reading(self) -> Article | None:
        """The article in the article pane."""
        return self.main_screen.reading

    @property
    def links(self) -> list[Any]:
        """Numbered links of the article being read."""
        return self.main_screen.links

    @property
    def view(self) -> View:
        """What the article list shows."""
        return self.main_screen.view

    def open_view(self, view: View, focus: bool = True) -> None:
        """Show a view in the article list."""
        self.main_screen.open_view(view, focus)

    def focus_pane(self, widget: Widget) -> None:
        """Focus a pane; on narrow screens it becomes the one shown."""
        self.main_screen.focus_pane(widget)

    # -- keys --------------------------------------------------------------------------------
    def apply_keymap(self) -> list[str]:
        """Bind config.toml's [keys]; returns (and notifies) what is wrong with them."""
        if self.library.settings.keys:
            self.set_keymap(self.library.settings.keys)
        self.key_problems = self.keymap_problems()
        for problem in self.key_problems:
            self.notify(problem, title="config.toml", severity="warning", timeout=30,
                        markup=False)
        return self.key_problems

    def keymap_problems(self) -> list[str]:
        """What is wrong with config.toml's [keys]: unknown binding ids, and keys that two
        actions would share where both are active (e.g. quit = "j" beside cursor_down)."""
        keymap = self.library.settings.keys
        screen = self.main_screen
        scopes = [self._bindings_of(self) + self._bindings_of(screen)]
        scopes += [scopes[0] + self._bindings_of(w) for w in
                   (screen.feed_list, screen.article_list, screen.article_view,
                    screen.notes_pane)]
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

    def taken_keys(self) -> dict[str, str]:
        """key -> the binding id it runs, across the app, the main screen and its panes, as
        the user's key map has them (what a command's key must not take)."""
        screen = self.main_screen
        taken: dict[str, str] = {}
        for node in (self, screen, screen.feed_list, screen.article_list, screen.article_view,
                     screen.notes_pane):
            for binding in self._bindings_of(node):
                keys = self._keymap.get(binding.id, binding.key) if binding.id else binding.key
                for key in keys.split(","):
                    taken.setdefault(key.strip(), binding.id or binding.action)
        return taken

    def key_hints(self, widget: Widget) -> list[tuple[str, str]]:
        """(keys, description) of the shown bindings of `widget`, then the screen's, as the
        user's key map has them."""
        hints: dict[str, tuple[str, str]] = {}
        for binding in self._bindings_of(widget) + self._bindings_of(self.main_screen):
            if binding.show and binding.id and binding.id not in hints:
                keys = self._keymap.get(binding.id, binding.key).split(",")[0]
                hints[binding.id] = (_key_label(keys), binding.description)
        hints["palette"] = ("^p", "Palette")
        return list(hints.values())

    def binding_rows(self) -> list[tuple[str, str]]:
        """(keys, description) for every binding, as the user's key map has them."""
        rows: dict[str, tuple[str, str]] = {}
        screen = self.main_screen
        sources: list[Iterable[Binding]] = [
            self._bindings_of(self), self._bindings_of(screen),
            self._bindings_of(screen.feed_list), self._bindings_of(screen.article_list),
            self._bindings_of(screen.article_view), self._bindings_of(screen.notes_pane)]
        for bindings in sources:
            for binding in bindings:
                if binding.id and binding.id.startswith("open_link_"):
                    continue
                if binding.id and binding.id not in rows:
                    keys = self._keymap.get(binding.id, binding.key)
                    rows[binding.id] = (",".join(_key_label(k) for k in keys.split(",")),
                                        binding.description)
        rows["open_link"] = ("1-9", "Open link N of the article")
        for command in self.library.settings.commands.values():
            rows[f"command {command.name}"] = (command.key or "palette",
                                              f"Run {command.name}: {command.run}")
        rows["palette"] = ("ctrl+p", "Command palette (every action)")
        return list(rows.values())

    @staticmethod
    def _bindings_of(node: Any) -> list[Binding]:
        return [b for b in node.BINDINGS if isinstance(b, Binding)]

    def run_browser(self, link: str, new_tab: bool = True) -> bool:
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

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.binding_rows()))

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

    # -- the command palette -------------------------------------------------------------------
    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        for command in super().get_system_commands(screen):
            if command.title == "Screenshot":  # Textual's saves to ~/Downloads, maybe missing
                yield SystemCommand("Screenshot", "Save an SVG picture of the screen",
                                    self.action_save_screenshot)
            else:
                yield command
        main = self.main_screen

        def post(message: Callable[[], Any]) -> Callable[[], None]:
            return lambda: main.post_message(message())

        commands = [
            ("Refresh all feeds", "Fetch every feed now", main.action_refresh_all),
            ("Refresh this feed", "Fetch the highlighted feed", main.action_refresh_feed),
            ("Mark all read", "Mark the articles shown as read", post(messages.MarkAllRead)),
            ("Toggle read", "Mark the article read or unread", post(messages.ToggleRead)),
            ("Toggle bookmark", "Bookmark the article or remove it",
             post(messages.ToggleBookmark)),
            ("Open in browser", "Open the article's link", post(messages.OpenInBrowser)),
            ("Play the episode", "Play the article's enclosure with [media] player",
             post(messages.PlayEnclosure)),
            ("Download the episode", "Download the article's enclosure in the background",
             post(messages.DownloadEnclosure)),
            ("Show the picture", "The picture on screen, full-screen (i)",
             lambda: main.post_message(messages.ViewPicture(
                 main.article_view.current_picture() or 0))),
            ("Show podcasts", "Articles with an audio enclosure",
             lambda: self.open_view(View("podcasts"))),
            ("Search", "Search titles, text and notes", main.action_search),
            ("Write a note", "Annotate the article", post(messages.Annotate)),
            ("Export notes", "Notes and bookmarks as Markdown files", main.export_notes),
            ("Unsubscribe", "Remove the highlighted feed (asks first)",
             post(messages.RemoveFeed)),
            ("Subscribe", "Add a feed by URL or file", post(messages.AddFeed)),
            ("Show notes", "The Notes view", lambda: self.open_view(View("notes"))),
            ("Next unread", "Open the next unread article", main.action_next_unread),
            ("Show all articles", "The All view", lambda: self.open_view(View("all"))),
            ("Show unread articles", "The Unread view", lambda: self.open_view(View("unread"))),
            ("Show bookmarks", "The Bookmarked view",
             lambda: self.open_view(View("bookmarked"))),
            ("Show hidden articles", "What filter rules hid",
             lambda: self.open_view(View("hidden"))),
            ("Sort order", "The next sort order of the list (s)", main.action_cycle_sort),
            ("Help: every key", "Every key and what it does (?)", self.action_help),
        ]
        for command in self.library.settings.commands.values():
            commands.append((f"Run {command.name}", f"On the article: {command.run}",
                             functools.partial(main.action_run_command, command.name)))
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)


def run_app(library: Library, *, offline: bool) -> None:
    """Start the app (blocking until it quits)."""
    if library.settings.images_mode == "auto" and sys.stdout.isatty():
        try:  # asks the terminal for Kitty graphics and Sixel: only before the app starts
            import textual_image.widget  # noqa: F401
        except Exception:  # noqa: BLE001 - no full-screen Kitty/Sixel: half-blocks
            pass
    app = ReaderApp(library, offline=offline)
    app.run()
    for problem in app.key_problems:  # said again where it stays readable
        print(f"reader: config.toml: {problem}", file=sys.stderr)
