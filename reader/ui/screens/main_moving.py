"""The main screen's moving: cursor keys in the focused pane, between panes, between
articles (and on to the next feed with unread articles), the article alone (zoom). Mixed
into MainScreen (reader.ui.screens.main), whose panes it moves in."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import OptionList

from reader.models import View
from reader.ui import messages
from reader.ui.widgets.lists import ArticleList


class Moving:
    """Moving around the panes, for the main screen."""

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
        if self.maximized is not None:
            self.minimize()
            self.status.set(message="")
            return
        if self.reading is None:
            self.status.set(message="open an article first")
            return
        self.focus_pane(self.article_view)
        self.maximize(self.article_view, container=False)
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
        if self.maximized is not None:
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
                if step > 0 and 0 <= current < index and self.focused is lst:  # J: passed
                    self.post_message(messages.ArticlesPassed(lst.articles[current:index]))
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
            listed = self.library.view_articles(View("feed", key))
            unread = [i for i, a in enumerate(listed) if not a.read]
            if not unread:
                continue
            self.view = View("feed", key)
            self._show_articles(listed)
            self.feed_list.select_view(self.view)
            self.article_list.highlighted = unread[0] if step > 0 else unread[-1]
            self.open_article(self.article_list.articles[self.article_list.highlighted],
                              focus=self.focused is not self.article_list)
            self.status.set(message=f"next unread: {self._view_title(self.view)}"
                            if step > 0 else
                            f"previous unread: {self._view_title(self.view)}")
            return True
        return False

    def on_step_article(self, message: messages.StepArticle) -> None:
        self._step_article(message.step, unread_only=False)

    def action_next_article(self) -> None:
        self._step_article(1, unread_only=False)

    def action_previous_article(self) -> None:
        self._step_article(-1, unread_only=False)

    def action_next_unread(self) -> None:
        self._step_article(1, unread_only=True)

    def action_previous_unread(self) -> None:
        self._step_article(-1, unread_only=True)
