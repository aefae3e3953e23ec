"""What the widgets tell the main screen (messages up; the screen changes the widgets by
setting attributes and calling their methods: attributes down).

A widget's key posts one of these; the screen, which owns the panes, decides what it means
for the article being read. Workers report with these too (`RefreshProgress`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message

from reader.models import Article


@dataclass
class OpenHighlighted(Message):
    """Open what the list highlights: a view (feed list) or an article (article list)."""


@dataclass
class ToggleRead(Message):
    """Mark the article read or unread."""


@dataclass
class ToggleBookmark(Message):
    """Bookmark the article or remove its bookmark."""


@dataclass
class Annotate(Message):
    """Write a note on the article."""


@dataclass
class OpenInBrowser(Message):
    """Open the article's link in the browser."""


@dataclass
class FetchFull(Message):
    """Fetch the article's web page now."""


@dataclass
class ToggleText(Message):
    """Switch between the fetched full text and the feed's text."""


@dataclass
class PlayEnclosure(Message):
    """Play the article's episode (or other enclosure) with the [media] player."""


@dataclass
class DownloadEnclosure(Message):
    """Download the article's episode into the [media] folder, in the background."""


@dataclass
class ViewPicture(Message):
    """Show picture `number` of the article full-screen (0: the article view has none on
    screen)."""

    number: int


@dataclass
class ArticlesPassed(Message):
    """The cursor moved down past these articles of the list (j, down, page down, J)."""

    articles: list[Article]


@dataclass
class StepArticle(Message):
    """Open the next (`step` 1) or previous (-1) article of the list."""

    step: int


@dataclass
class MarkAllRead(Message):
    """Mark every article of the highlighted view (or the list) read."""


@dataclass
class RemoveFeed(Message):
    """Unsubscribe from the highlighted feed (after asking)."""


@dataclass
class AddFeed(Message):
    """Subscribe to a feed the user types."""


@dataclass
class EditNote(Message):
    """Edit this note."""

    note: Any


@dataclass
class DeleteNote(Message):
    """Delete this note (after asking)."""

    note: Any


@dataclass
class JumpToQuote(Message):
    """Scroll the article to the passage this note quotes."""

    note: Any


@dataclass
class NotesChanged(Message):
    """The notes of an article changed: redraw what shows them."""

    article: Article


@dataclass
class RefreshProgress(Message):
    """A refresh has done `done` of `total` feeds (a sync: of accounts); a newer one
    replaces an unhandled one."""

    done: int
    total: int
    verb: str = "refreshing"
    """What is done: "refreshing" (feeds) or "syncing" (accounts)."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, RefreshProgress)
