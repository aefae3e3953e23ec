"""The main screen: it owns the panes (feeds, articles, the article, its notes, the status
line) and everything they show. Widgets tell it what the user asked for with messages
(reader.ui.messages); it asks the library, off the event loop, and sets what the panes show.
Notes and feeds/refresh have their own rooms (main_notes, main_feeds), mixed in here."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import OptionList

from reader.errors import ReaderError
from reader.library import Library
from reader.models import Article, ArticleText, View
from reader.textutil import plural, safe_link
from reader.ui import messages
from reader.ui.screens.main_commands import CommandActions
from reader.ui.screens.main_feeds import FeedActions
from reader.ui.screens.main_media import MediaActions
from reader.ui.screens.main_moving import Moving
from reader.ui.screens.main_notes import NoteActions
from reader.ui.screens.main_pictures import PictureActions
from reader.ui.screens.main_queries import QueryActions
from reader.ui.screens.notes import ConfirmScreen
from reader.ui.widgets.article_view import ArticleView
from reader.ui.widgets.lists import ArticleList, FeedList
from reader.ui.widgets.panes import KeyHints, NotesPane, StatusLine

NARROW = 100

FIRST_SCREEN = 200
"""Articles shown at start-up before the whole first view is read (a tall terminal's worth)."""
"""Below this many columns only the focused pane is shown."""
WATCH_SECONDS = 2.0
"""How often the app looks whether another reader (a cron refresh) wrote."""


def _text_hint(text: ArticleText) -> str:
    """What the full-text keys would do for this article."""
    if text.source == "full":
        return "  (t: the feed's text)"
    if text.full_available:
        return "  (t: the full article)"
    return "  (f: fetch the full article)"


class MainScreen(NoteActions, FeedActions, CommandActions, MediaActions, PictureActions,
                 Moving, QueryActions, Screen[None]):
    """The panes. tab/shift+tab here move between panes (not Textual's focus chain)."""

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
        Binding("s", "cycle_sort", "Sort order (cycle)", show=False, id="cycle_sort"),
        Binding("question_mark", "app.help", "Help", id="help"),
        Binding("q", "app.quit", "Quit", id="quit"),
    ] + [  # 1-9 open link N; every binding has an id so config.toml can remap it
        Binding(str(n), f"open_link({n})", f"Link {n}", show=False, id=f"open_link_{n}")
        for n in range(1, 10)
    ] + [
        Binding("tab", "next_pane", "Next pane", show=False, id="next_pane"),
        Binding("shift+tab", "previous_pane", "Previous pane", show=False,
                id="previous_pane"),
    ]

    def __init__(self, library: Library) -> None:
        super().__init__()
        self.library = library
        """The reader's data; every blocking call to it runs off the event loop."""
        self.prefer: dict[str, str] = {}
        """article id -> "full" or "feed": the text the user toggled to with t."""
        self.view: View = View("all")
        """What the article list shows."""
        self.reading: Article | None = None
        """The article in the article pane."""
        self.links: list[Any] = []
        """Numbered links of the article being read."""
        self.counts: dict[str, tuple[int, int]] = {}
        """feed key -> (unread, total), as the feed list shows them."""
        self.refreshing = False
        """A refresh runs (a second one is refused)."""
        self.downloading: set[str] = set()
        """Ids of the articles whose enclosure is being downloaded."""
        self._shown_problems = 0
        self.loading_rest = False
        """The list shows the newest screenful only; the rest of the view is being read."""

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
        self.app.call_later(self.setup)

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")
        self.call_after_refresh(self.keep_cursors_visible)

    def on_screen_resume(self) -> None:
        """Back from a dialog (the note editor, help): the focused pane's keys again."""
        self.mark_active_pane()

    @property
    def offline(self) -> bool:
        """Started offline (--offline / config), or the last refresh reached no network."""
        return self.library.offline or self.library.network_down

    @property
    def feed_list(self) -> FeedList:
        return self.query_one(FeedList)

    @property
    def article_list(self) -> ArticleList:
        return self.query_one(ArticleList)

    @property
    def article_view(self) -> ArticleView:
        return self.query_one(ArticleView)

    @property
    def notes_pane(self) -> NotesPane:
        return self.query_one(NotesPane)

    @property
    def status(self) -> StatusLine:
        return self.query_one(StatusLine)

    def setup(self) -> None:
        """Fill the panes once the main screen is mounted."""
        self.feed_list.border_title = "Feeds"
        self.article_list.border_title = "Articles"
        self.article_view.border_title = "Article"
        self.article_view.show_message("Choose an article (enter) to read it here.")
        key_problems = self.app.apply_keymap() + self.bind_commands()
        problems = [p for p in (self.app.theme_problem, *key_problems,
                                *self.settings_problems()) if p]
        self.status.set(offline=self.offline,
                        message="; ".join(problems) or self.failed_syncs() or "? shows every key")
        self._shown_problems = 0
        self.report_problems()
        self.focus_pane(self.feed_list)
        self.load_everything()
        self.set_interval(WATCH_SECONDS, self.watch_elsewhere)
        self.start_schedule()

    @work(exclusive=True, group="load", thread=True)
    def load_everything(self) -> None:
        """Counts and the first view, read in a thread so start-up paints at once: the
        newest screenful first (from the article index), then the whole view."""
        view = self.view
        counts = self.library.counts()
        self.library.bookmarks()
        self.library.annotated()  # both read once here, off the event loop
        sort = self.sort_for(view)  # the index's screenful is the newest: not when sorted
        first = self.library.newest_articles(FIRST_SCREEN) if view.kind == "all" and not sort \
            else None
        if first:
            self.app.call_from_thread(self._loaded, counts, view, first, True)
        self.library.warm_up()  # the converter's imports, before the first article opens
        articles = self.library.view_articles(view, sort=sort)
        self.app.call_from_thread(self._loaded, counts, view, articles)

    def mark_active_pane(self) -> None:
        """Follow the app's focus (also into a dialog over this screen, whose keys the hints
        then leave out)."""
        if self.app.focused is not None:
            self._mark_active(self.app.focused)

    def _mark_active(self, widget: Widget) -> None:
        """Flag the pane holding `widget` (narrow screens show only that one); show its keys."""
        reading_pane = self.query_one("#reading")
        main = self.query_one("#main")
        for pane in (self.feed_list, self.article_list, reading_pane, main):
            active = pane is widget or pane in widget.ancestors
            if pane.has_class("-active") != active:
                pane.set_class(active, "-active")
        reading = reading_pane in widget.ancestors
        if main.has_class("-reading") != reading:  # reading: the list shrinks to a few rows
            main.set_class(reading, "-reading")
            self.call_after_refresh(self.keep_cursors_visible)
        self.query_one(KeyHints).show_hints(self.app.key_hints(widget))

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

    def _loaded(self, counts: dict[str, tuple[int, int]], view: View, articles: list[Article],
                first: bool = False) -> None:
        """`first`: the newest screenful only; the whole view follows (the cursor stays)."""
        self.report_problems()
        self.counts = counts
        self._redraw_feeds()
        if view == self.view:  # else the user opened another view meanwhile
            self.loading_rest = first
            self._show_articles(articles)
        self.load_query_counts()

    def _redraw_feeds(self) -> None:
        """Feed rows with the current counts (only changed rows are redrawn)."""
        self.feed_list.populate(self.library.feeds(), self.counts,
                                len(self.library.bookmarks()), len(self.library.annotated()))

    # -- what the lists ask for ----------------------------------------------------------------
    def on_open_highlighted(self, _: messages.OpenHighlighted | None = None) -> None:
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
        except ReaderError:  # removed meanwhile
            return
        schedule = self.library.schedule_text(feed)
        if feed.account:
            self.status.set(message=self.account_line(feed))
        elif feed.last_error or feed.gone or feed.long_failing:
            detail = feed.last_error or "gone for good"
            if feed.failures > 1:
                detail += f" ({feed.failures} refreshes in a row failed)"
            self.status.set(message=f"{feed.title}: {detail}"
                            + (f"; {schedule}" if schedule else ""))
        elif schedule:
            self.status.set(message=f"{feed.title}: {schedule}")

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.on_open_highlighted()

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
        if view.kind in ("query", "hidden"):
            return self.query_view_title(view)
        return {"all": "All articles", "unread": "Unread", "bookmarked": "Bookmarked",
                "notes": "Notes", "podcasts": "Podcasts"}[view.kind]

    def _show_articles(self, articles: list[Article], keep_id: str | None = None) -> None:
        lst = self.article_list
        lst.marks = self.media_row_marks(articles) if self.view.kind == "podcasts" else {}
        lst.populate(articles, show_feed=self.view.kind != "feed", keep_id=keep_id,
                     search=self.highlight_words(self.view))
        self._title_article_list()

    def _title_article_list(self) -> None:
        """The view's name, how many articles it lists and how many are unread (the feed
        list's numbers are unread counts; here both are said in words)."""
        articles = self.article_list.articles
        # Content(): a feed title is text, never markup (a str border title is parsed).
        if self.loading_rest:
            self.article_list.border_title = Content(f"{self._view_title(self.view)} …")
            return
        unread = sum(not a.read for a in articles)
        self.article_list.border_title = Content(
            f"{self._view_title(self.view)} ({plural(len(articles), 'article')}, "
            f"{unread} unread{self.sort_suffix(self.view)})")

    def open_view(self, view: View, focus: bool = True) -> None:
        """Show a view in the article list (its articles are read in a thread)."""
        self.view = view
        self.article_list.border_title = Content(f"{self._view_title(view)} …")
        self._load_view(view, None)
        if focus:
            self.focus_pane(self.article_list)

    def _view_loaded(self, view: View, articles: list[Article], keep_id: str | None,
                     counts: dict[str, tuple[int, int]] | None = None) -> None:
        """A view's articles, read in a thread (MainQueries._load_view); `counts`: the
        feeds' counts read with them, shown in the same turn."""
        if counts is not None:
            self.counts = counts
            self._redraw_feeds()
        if view == self.view:  # the user may have moved on meanwhile
            self.loading_rest = False
            self._show_articles(articles, keep_id=keep_id)

    def _reload_counts(self) -> None:
        self.counts = self.library.counts()
        self._redraw_feeds()
        self.load_query_counts()

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
        self.article_view.set_search(self.highlight_words(self.view))
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
        text = await self.library.read(functools.partial(
            self.library.text, prefer=self.prefer.get(article.id, "auto"), defer_save=True),
            article)
        footer = await self.library.read(self.enclosure_footer, article)
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
        refs, numbers = self.picture_numbers(text.links)
        self.article_view.show(article.id, header, article.title, text.markdown,
                               quotes=[n.quote for n in notes], footer=footer,
                               pictures=numbers)
        if place:
            self.article_view.scroll_to(0, place, animate=False)
        self.notes_pane.show_notes(notes)
        self.load_pictures(article, refs)
        if not article.read:
            self._set_read(article, True)

    def _target_article(self) -> Article | None:
        if self.focused is self.article_view or self.focused is None:
            return self.reading or self.article_list.current
        return self.article_list.current

    def _set_read(self, article: Article, read: bool) -> None:
        if article.read == read:
            return
        self._show_read([article], read)
        self.save_read(article, read)

    def _show_read(self, articles: list[Article], read: bool) -> None:
        """Articles just marked read/unread: their rows, the list's title, the counts."""
        for article in articles:
            article.read = read
            self.article_list.update_article(article)
            unread, total = self.counts.get(article.feed_key, (0, 0))
            self.counts[article.feed_key] = (unread + (-1 if read else 1), total)
        self._title_article_list()
        self._redraw_feeds()

    def on_articles_passed(self, message: messages.ArticlesPassed) -> None:
        """The cursor moved down past articles: they are read ([ui] mark_read_on_scroll)."""
        passed = [a for a in message.articles if not a.read]
        if passed and self.library.settings.mark_read_on_scroll:
            self._show_read(passed, True)
            self.save_in_background(self.library.set_read, [a.id for a in passed], True)

    @work(group="write")
    async def save_in_background(self, fn: Any, *args: Any) -> None:
        """`save` in a worker: for writes nothing waits on (read marks, the theme)."""
        await self.save("could not save", fn, *args)

    async def save(self, failure: str, fn: Callable[..., Any], *args: Any) -> str:
        """Every write the app makes goes through here: `fn(*args)` on the library's writer
        thread. Returns "" when it is done; else why not, which the status line has said
        (as "`failure`: why"). The app never dies of a failed write, and nothing the user
        typed is dropped on that account (the note editor stays open)."""
        try:
            await self.library.write(fn, *args)
        except ReaderError as exc:
            problem = exc.reason
            if exc.path is not None:  # the status line is one line; the whole path matters
                self.notify(str(exc), title=failure, severity="error", timeout=30,
                            markup=False)
        except OSError as exc:
            problem = exc.strerror or str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the user's work with it
            problem = f"internal error: {type(exc).__name__}: {exc}"
        else:
            return ""
        self.status.set(message=f"{failure}: {problem}")
        return problem

    def on_toggle_read(self, _: messages.ToggleRead | None = None) -> None:
        article = self._target_article()
        if article is not None:
            self._set_read(article, not article.read)

    async def on_toggle_bookmark(self, _: messages.ToggleBookmark | None = None) -> None:
        article = self._target_article()
        if article is None:
            return
        on_ = not article.bookmarked
        if await self.save("could not save the bookmark", self.library.set_bookmark, article,
                           on_):
            return
        article.bookmarked = on_
        self.article_list.update_article(article)
        self._redraw_feeds()
        self.status.set(message="bookmarked" if on_ else "bookmark removed")

    async def on_mark_all_read(self, _: messages.MarkAllRead | None = None) -> None:
        """Mark every article of the view read, after asking (y/n)."""
        if self.focused is self.feed_list and self.feed_list.current_view is not None:
            view = self.feed_list.current_view
            articles = await asyncio.to_thread(self.library.view_articles, view)
        else:
            view = self.view
            articles = list(self.article_list.articles)
            if self.loading_rest:  # only the newest screenful is listed yet
                articles = await asyncio.to_thread(self.library.view_articles, view)
        ids = [a.id for a in articles if not a.read]
        if not ids:
            self.status.set(message="nothing unread here")
            return

        async def answered(yes: bool | None) -> None:
            if not yes:
                self.status.set(message="nothing marked read")
                return
            if await self.save("could not mark them read", self.library.set_read, ids, True):
                return
            for article in articles:
                article.read = True
            self._show_articles(self.article_list.articles)
            self._reload_counts()
            self.status.set(message=f"{plural(len(ids), 'article')} marked read")

        self.app.push_screen(ConfirmScreen(
            f"Mark {plural(len(ids), 'unread article')} in “{self._view_title(view)}” read?"),
            answered)

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        """Open http(s) links in the browser ($BROWSER honoured), never through a shell."""
        link = safe_link(url)
        if link is None:
            self.status.set(message="not opened: only http and https links open")
            return
        try:
            opened = self.app.run_browser(link, new_tab)
        except Exception as exc:  # noqa: BLE001
            opened, why = False, f"could not start a browser ({exc})"
        else:
            why = "no browser could be started (set $BROWSER)"
        if opened:
            self.status.set(message=f"opened {link}")
            return
        self.app.copy_to_clipboard(link)  # OSC 52: terminals that allow it put it there
        self.status.set(message=f"{why}; link copied where the terminal allows: {link}")
        self.notify(link, title="Not opened: the link", timeout=20, markup=False)

    def on_open_in_browser(self, _: messages.OpenInBrowser | None = None) -> None:
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
