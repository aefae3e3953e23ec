"""The main screen's queries: sort orders per view (`s` cycles, remembered in ui.json and
shown in the list's title), `/` with plain words or a query, query feeds and the hidden
articles in the feed list. Mixed into MainScreen (reader.ui.screens.main), whose panes,
library and status line it uses."""

from __future__ import annotations

import time

from textual import work
from textual.timer import Timer

from reader.errors import ReaderError
from reader.library import SORT_ORDERS
from reader.models import Article, View
from reader.query import QueryError, looks_like_query, parse
from reader.ui.screens.dialogs import SearchScreen

COUNT_EVERY = 1.0
"""Seconds between two counts of the query feeds (each lists every article)."""

OWN_ORDER = {"bookmarked": "newest bookmark", "notes": "newest note"}
"""Views whose own order ("" in the cycle) is not the newest article first."""


def sort_key(view: View) -> str:
    """Where a view's sort order is remembered in ui.json (every search shares one)."""
    return f"sort:{view.kind}" if view.kind in ("search", "unread", "all", "hidden", "notes",
                                                "bookmarked") else f"sort:{view.kind}:{view.value}"


class QueryActions:
    """Sort orders, queries in `/`, query feeds and the hidden articles, for the main screen."""

    _sorts: dict[str, str] | None = None
    _counts_timer: Timer | None = None
    _counted_at = float("-inf")

    # -- sort orders ----------------------------------------------------------------------
    def sort_for(self, view: View) -> str:
        """The view's sort order: one of SORT_ORDERS, or "" for the view's own order."""
        if self._sorts is None:
            try:
                state = self.library.ui_state()
            except Exception:  # noqa: BLE001 - unreadable: the default orders
                state = {}
            self._sorts = {k: v for k, v in state.items() if k.startswith("sort:")}
        order = self._sorts.get(sort_key(view), "")
        return order if order in SORT_ORDERS else ""

    def sort_orders(self, view: View) -> list[str]:
        """The orders `s` cycles through for `view` ("" first where it has its own)."""
        return ["", *SORT_ORDERS] if view.kind in OWN_ORDER else list(SORT_ORDERS)

    def sort_label(self, view: View) -> str:
        """The order as the list's title says it."""
        order = self.sort_for(view) or OWN_ORDER.get(view.kind, "newest")
        return {"newest": "newest first", "oldest": "oldest first", "feed": "by feed",
                "title": "by title", "unread": "unread first"}.get(order, order + " first")

    def sort_suffix(self, view: View) -> str:
        """", oldest first" for the list's title when the order is not the view's default."""
        return f", {self.sort_label(view)}" if self.sort_for(view) else ""

    def action_cycle_sort(self) -> None:
        """The next sort order for the view shown; remembered for the next run."""
        view = self.view
        orders = self.sort_orders(view)
        current = self.sort_for(view) or orders[0]
        order = orders[(orders.index(current) + 1) % len(orders)]
        key = sort_key(view)
        assert self._sorts is not None  # sort_for loaded them
        if order == orders[0]:  # the default: nothing to remember
            self._sorts.pop(key, None)
        else:
            self._sorts[key] = order
        keep = self.article_list.current.id if self.article_list.current else None
        self._load_view(view, keep)
        self.status.set(message=f"sorted {self.sort_label(view)}")
        self.save_in_background(self.library.update_ui_state, {key: self._sorts.get(key, "")})

    # -- loading a view -----------------------------------------------------------------------
    @work(exclusive=True, group="view", thread=True)
    def _load_view(self, view: View, keep_id: str | None, counts: bool = False) -> None:
        """Read a view's articles off the event loop (a search reads article bodies); a
        query that cannot be used is said in the status line. With `counts`, the feeds'
        counts too, shown with the list (after a refresh: they once showed a moment before
        it)."""
        found = self.library.counts() if counts else None
        try:
            articles = self.library.view_articles(view, sort=self.sort_for(view))
        except ReaderError as exc:
            self.app.call_from_thread(self.status.set, message=str(exc))
            articles = []
        self.app.call_from_thread(self._view_loaded, view, articles, keep_id, found)

    def highlight_words(self, view: View) -> str:
        """The words to highlight: a plain search's (a query's field names are no words)."""
        if view.kind == "search" and not looks_like_query(view.value):
            return view.value
        return ""

    def query_view_title(self, view: View) -> str:
        """The list's title for a query feed or the hidden articles."""
        return f"Query: {view.value}" if view.kind == "query" else "Hidden by filters"

    # -- search ---------------------------------------------------------------------------------
    def action_search(self) -> None:
        if self.focused is self.feed_list or self.view.kind not in ("feed",):
            scope, label = "", "everything"
        else:
            scope, label = self.view.value, f"in {self._view_title(self.view)}"
        self.ask_search(scope, label)

    def ask_search(self, scope: str, label: str, text: str = "", problem: str = "") -> None:
        """The search prompt; a query that does not parse comes back to be mended, with
        where and what was expected."""

        def done(answer: str | None) -> None:
            if not answer:
                return
            if looks_like_query(answer):
                try:
                    parse(answer)
                except QueryError as exc:
                    self.status.set(message=f"query: {exc}")
                    self.ask_search(scope, label, answer, f"query: {exc}")
                    return
            self.open_view(View("search", answer, scope))

        self.app.push_screen(SearchScreen(label, text, problem), done)

    # -- query feeds and hidden articles in the feed list ----------------------------------------
    def load_query_counts(self) -> None:
        """Count the query feeds and the hidden articles again: at once, or when calls come
        fast (a refresh stores a feed after another) once, COUNT_EVERY after the last count."""
        if self._counts_timer is not None:
            return  # a count is due: it will see this change too
        wait = self._counted_at + COUNT_EVERY - time.monotonic()
        if wait <= 0:
            self._counted_at = time.monotonic()
            self._count_queries()
        else:
            self._counts_timer = self.set_timer(wait, self._count_when_due)

    def _count_when_due(self) -> None:
        self._counts_timer = None
        self._counted_at = time.monotonic()
        self._count_queries()

    @work(exclusive=True, group="query-counts", thread=True)
    def _count_queries(self) -> None:
        """Counts of the query feeds and of the hidden articles (off the event loop: a
        query lists every article, a text query brings the search index up to date)."""
        queries = self.library.query_feeds()
        try:
            counts = self.library.query_counts()
        except ReaderError as exc:
            counts = {}
            self.app.call_from_thread(self.status.set, message=str(exc))
        hidden = sum(self.library.hidden_counts().values())
        rows = [(q.title, counts.get(q.title, (0, 0))[0], q.error) for q in queries]
        self.app.call_from_thread(self._query_counts_loaded, rows, hidden)

    @work(group="write")
    async def save_read(self, article: Article, read: bool) -> None:
        """Save a read mark; then count the query feeds again (the article may be in some)."""
        if not await self.save("could not save", self.library.mark_read, article, read) \
                and self.feed_list.queries:
            self.load_query_counts()

    def _query_counts_loaded(self, rows: list[tuple[str, int, str]], hidden: int) -> None:
        self.feed_list.queries = rows
        self.feed_list.hidden = hidden
        self._redraw_feeds()

    def settings_problems(self) -> list[str]:
        """What config.toml has wrong that does not stop the app (a bad filter rule), each
        also said in a notification that stays a while (the status line moves on)."""
        problems = list(self.library.settings.problems)
        for problem in problems:
            self.notify(problem, title="config.toml", severity="warning", timeout=30,
                        markup=False)
        return problems
