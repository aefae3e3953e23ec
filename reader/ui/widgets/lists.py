"""The feed list and the article list: virtualised OptionLists with literal (markup-free) rows."""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from reader.models import Article, Feed

UNREAD = Style(bold=True)
ERROR = Style(color="red", bold=True)
DIM = Style(dim=True)

VIRTUAL_VIEWS = (("all", "All"), ("unread", "Unread"), ("bookmarked", "Bookmarked"))


@dataclass(frozen=True)
class View:
    """What the article list shows: a virtual feed, a feed, a tag folder, or search results."""

    kind: str
    """"all", "unread", "bookmarked", "feed", "tag" or "search"."""
    value: str = ""
    """Feed key, tag name or search text."""
    scope: str = ""
    """For searches: the feed key searched ("" = everything)."""


class FeedList(OptionList):
    """Virtual feeds, tag folders (collapsible) and feeds with unread counts and errors."""

    BINDINGS = [
        Binding("enter,l", "app.open", "Open", id="open"),
        Binding("A", "app.mark_all_read", "All read", id="mark_all_read"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.collapsed: set[str] = set()
        """Tags whose folders are closed."""
        self._views: list[View] = []

    def view_at(self, index: int | None) -> View | None:
        """The view the row at `index` opens."""
        if index is None or not 0 <= index < len(self._views):
            return None
        return self._views[index]

    @property
    def current_view(self) -> View | None:
        """The view of the highlighted row."""
        return self.view_at(self.highlighted)

    def populate(self, feeds: list[Feed], counts: dict[str, tuple[int, int]],
                 bookmarked: int) -> None:
        """Rebuild the rows, keeping the highlighted row where it was."""
        keep = self.current_view
        total_unread = sum(u for u, _ in counts.values())
        options: list[Option] = []
        views: list[View] = []

        def add(view: View, text: Text) -> None:
            views.append(view)
            options.append(Option(_one_row(text)))

        for kind, label in VIRTUAL_VIEWS:
            number = bookmarked if kind == "bookmarked" else total_unread
            row = Text(label, UNREAD if kind != "all" else Style())
            if number:
                row.append(f" ({number})", DIM)
            add(View(kind), row)
        tags: dict[str, list[Feed]] = {}
        loose: list[Feed] = []
        for feed in feeds:
            for tag in feed.tags:
                tags.setdefault(tag, []).append(feed)
            if not feed.tags:
                loose.append(feed)
        for tag in sorted(tags, key=str.casefold):
            members = tags[tag]
            unread = sum(counts.get(f.key, (0, 0))[0] for f in members)
            closed = tag in self.collapsed
            row = Text(("▸ " if closed else "▾ ") + tag, Style(bold=True))
            if unread:
                row.append(f" ({unread})", DIM)
            add(View("tag", tag), row)
            if not closed:
                for feed in members:
                    add(View("feed", feed.key), self._feed_row(feed, counts, indent="  "))
        for feed in loose:
            add(View("feed", feed.key), self._feed_row(feed, counts, indent=""))
        self._views = views
        self.set_options(options)
        if keep is not None and keep in views:
            self.highlighted = views.index(keep)
        elif views:
            self.highlighted = 0

    @staticmethod
    def _feed_row(feed: Feed, counts: dict[str, tuple[int, int]], indent: str) -> Text:
        unread, _ = counts.get(feed.key, (0, 0))
        row = Text(indent)
        if feed.last_error:
            row.append("! ", ERROR)
        row.append(feed.title, UNREAD if unread else Style())
        if unread:
            row.append(f" ({unread})", DIM)
        if feed.last_error:
            row.append(f"  {feed.last_error}", ERROR)
        return row

    def select_view(self, view: View) -> None:
        """Highlight the row of `view` if it is listed."""
        if view in self._views:
            self.highlighted = self._views.index(view)


class ArticleList(OptionList):
    """Articles of the current view, newest first, with unread/bookmark markers."""

    BINDINGS = [
        Binding("enter,l", "app.open", "Read", id="open"),
        Binding("m", "app.toggle_read", "Read/unread", id="toggle_read"),
        Binding("b", "app.toggle_bookmark", "Bookmark", id="toggle_bookmark"),
        Binding("o", "app.open_in_browser", "Browser", id="open_in_browser"),
        Binding("A", "app.mark_all_read", "All read", id="mark_all_read"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.articles: list[Article] = []
        self.show_feed = True
        """Show the feed column (for views spanning several feeds)."""

    @property
    def current(self) -> Article | None:
        """The highlighted article."""
        index = self.highlighted
        if index is None or not 0 <= index < len(self.articles):
            return None
        return self.articles[index]

    def populate(self, articles: list[Article], show_feed: bool,
                 keep_id: str | None = None) -> None:
        """Show `articles`; keep the cursor on `keep_id` (or the same article) if present."""
        keep_id = keep_id or (self.current.id if self.current else None)
        self.articles = articles
        self.show_feed = show_feed
        self.set_options([Option(_one_row(self.row(a))) for a in articles])
        ids = [a.id for a in articles]
        if keep_id in ids:
            self.highlighted = ids.index(keep_id)
        elif articles:
            self.highlighted = 0

    def row(self, article: Article) -> Text:
        """One literal row: markers, date, feed, title."""
        text = Text()
        text.append("●" if not article.read else " ", UNREAD)
        text.append("★" if article.bookmarked else " ", Style(color="yellow"))
        stamp = time.strftime("%Y-%m-%d", time.localtime(article.date)) if article.date else ""
        text.append(f" {stamp:10} ", DIM)
        if self.show_feed:
            feed = article.feed_title[:18]
            text.append(f"{feed:18}  ", DIM)
        text.append(article.title, UNREAD if not article.read else Style())
        return text

    def update_article(self, article: Article) -> None:
        """Re-draw one article's row after its state changed."""
        for index, shown in enumerate(self.articles):
            if shown.id == article.id:
                self.articles[index] = article
                self.replace_option_prompt_at_index(index, _one_row(self.row(article)))
                break


def _one_row(text: Text) -> Text:
    """Rows never wrap: one line each, cut with an ellipsis."""
    text.no_wrap = True
    text.overflow = "ellipsis"
    return text
