"""The article pane: header fields and the converted Markdown, rendered line by line.

Only visible lines are turned into strips (a ScrollView), so a 100 KiB article shows fast.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.selection import Selection
from textual.strip import Strip

from reader.search import highlight_spans
from reader.ui import messages
from reader.ui.pictures import PictureLine, picture_lines, with_pictures
from reader.ui.render import QUOTE_MARK, Block, blocks, layout, passage_text

HEAD_BYTES = 6000
"""Markdown laid out at once when an article opens; the rest follows from a thread."""
HEAD_BLOCKS = 120
"""Blocks laid out at once on a resize; the rest follows from a thread."""


_IMAGE_ONLY = re.compile(r"^(\[image: [^\]]*\]\[\d+\]\s*)+$")

QUOTED = Style(bgcolor="grey23", underline=True)
"""How a passage quoted by a note is marked in the article."""


MATCH = Style(reverse=True, bold=True)
"""A word a search found."""


def highlight(parts: list[Block], quotes: list[str]) -> list[Block]:
    """Mark the passages that notes quote (a quote may span paragraphs: each is marked)."""
    if not quotes:
        return parts
    pieces = [" ".join(p.split()) for q in quotes for p in q.split("\n") if p.strip()]
    for block in parts:
        plain = block.text.plain
        for piece in pieces:
            start = plain.find(piece)
            if start >= 0:
                block.text.stylize(QUOTED, start, start + len(piece))
    return parts


def _head(markdown: str, size: int) -> tuple[str, bool]:
    """The first `size` characters of `markdown`, cut at a paragraph break."""
    if len(markdown) <= size:
        return markdown, False
    cut = markdown.rfind("\n\n", 0, size)
    return markdown[: cut if cut > 0 else size], True


ARTICLE_ACTIONS = (
    Binding("m", "toggle_read", "Read/unread", id="toggle_read"),
    Binding("b", "toggle_bookmark", "Bookmark", id="toggle_bookmark"),
    Binding("a", "annotate", "Note", id="annotate"),
    Binding("o", "open_in_browser", "Browser", id="open_in_browser"),
    Binding("f", "fetch_full", "Full text", id="fetch_full"),
    Binding("t", "toggle_text", "Full/feed text", show=False, id="toggle_text"),
    Binding("P", "play_enclosure", "Play", show=False, id="play_enclosure"),
    Binding("e", "download_enclosure", "Download", show=False, id="download_enclosure"),
)
"""Keys that act on an article, the same in the article list and the article view."""


class ArticleKeys:
    """The ARTICLE_ACTIONS of a widget (mixed into a Widget): each posts its message."""

    post_message: Callable[[Message], bool]

    def action_toggle_read(self) -> None:
        self.post_message(messages.ToggleRead())

    def action_toggle_bookmark(self) -> None:
        self.post_message(messages.ToggleBookmark())

    def action_annotate(self) -> None:
        self.post_message(messages.Annotate())

    def action_open_in_browser(self) -> None:
        self.post_message(messages.OpenInBrowser())

    def action_fetch_full(self) -> None:
        self.post_message(messages.FetchFull())

    def action_toggle_text(self) -> None:
        self.post_message(messages.ToggleText())

    def action_play_enclosure(self) -> None:
        self.post_message(messages.PlayEnclosure())

    def action_download_enclosure(self) -> None:
        self.post_message(messages.DownloadEnclosure())


class ArticleView(ArticleKeys, ScrollView, can_focus=True):
    """Shows one article; scrolls with j/k, space, page keys, g/G."""

    ALLOW_SELECT = True
    BINDINGS = [
        *ARTICLE_ACTIONS,
        Binding("J", "step(1)", "Next", id="next_article"),
        Binding("K", "step(-1)", "Previous", id="previous_article"),
        Binding("i", "view_picture", "Picture", show=False, id="view_picture"),
    ]
    DEFAULT_CSS = """
    ArticleView { overflow-y: auto; overflow-x: hidden; scrollbar-gutter: stable; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._blocks: list[Block] = []
        self._lines: list[Text] = []
        self._cache: dict[int, Strip] = {}
        self._width = 0
        self._generation = 0
        """Bumped by every show(): a background layout for an older article is dropped."""
        self.article_id: str | None = None
        """The article shown, or None."""
        self.markdown = ""
        """The Markdown of the article shown."""
        self.quotes: list[str] = []
        """Passages highlighted (quoted by notes)."""
        self.search = ""
        """The search that led here: its words are highlighted."""
        self._shown: tuple[list[tuple[str, str]], str] = ([], "")
        self._footer: list[tuple[str, str]] = []
        """(label, text) lines under the article (its enclosures)."""
        self.picture_numbers: set[int] = set()
        """Link numbers of the article's pictures (where they stand, they are drawn)."""
        self.pictures: dict[int, Any] = {}
        """number -> the picture (a PIL image), once fetched."""
        self._drawn: dict[tuple[int, int, int], list[Text]] = {}
        self._pending: tuple[list[Block], str, list[Block]] | None = None
        """(header blocks, Markdown, footer) of a long article not laid out whole yet."""

    def action_step(self, step: int) -> None:
        self.post_message(messages.StepArticle(step))

    def action_view_picture(self) -> None:
        self.post_message(messages.ViewPicture(self.current_picture() or 0))

    # -- pictures ---------------------------------------------------------------------------
    def set_pictures(self, arrived: dict[int, Any]) -> None:
        """Pictures of the article arrived: draw them where they stand (one layout for all),
        keeping the reader's place: the line at the top stays at the top."""
        arrived = {n: image for n, image in arrived.items() if n in self.picture_numbers}
        if not arrived:
            return
        top = int(self.scroll_y)
        anchor = self._lines[top] if top < len(self._lines) else None
        above = self._lines[:top]
        text_above = sum(not isinstance(line, PictureLine) for line in above)
        self.pictures.update(arrived)
        self._relayout(force=True)
        if isinstance(anchor, PictureLine):  # on a picture: the same row of it
            row = sum(isinstance(line, PictureLine) and line.number == anchor.number
                      for line in above)
            first = next((i for i, line in enumerate(self._lines)
                          if isinstance(line, PictureLine) and line.number == anchor.number),
                         None)
            top = top if first is None else first + row
        elif top:
            seen = 0
            for index, line in enumerate(self._lines):
                if isinstance(line, PictureLine):
                    continue
                if seen == text_above:
                    top = index
                    break
                seen += 1
        self.scroll_to(y=top, animate=False)

    def _draw(self, number: int, width: int) -> list[Text]:
        image = self.pictures.get(number)
        if image is None:
            return []
        rows = self.scrollable_content_region.height * 2 // 3  # text stays in sight
        key = (number, width, rows)
        drawn = self._drawn.get(key)
        if drawn is None:
            for old in [k for k in self._drawn if k[0] == number]:  # another size: not again
                self._drawn.pop(old, None)
            drawn = self._drawn[key] = picture_lines(image, number, width, rows)
        return drawn

    def current_picture(self) -> int | None:
        """The picture on screen (the first one shown), else the last one above it."""
        top = int(self.scroll_y)
        bottom = top + self.scrollable_content_region.height
        for line in self._lines[top:bottom]:
            if isinstance(line, PictureLine):
                return line.number
        for line in reversed(self._lines[:top]):
            if isinstance(line, PictureLine):
                return line.number
        return None

    def selected_passage(self, selection: Selection | None) -> str:
        """The text the user selected (mouse), as one clean passage; "" when none."""
        if selection is None:
            return ""
        extracted = self.get_selection(selection)
        return passage_text(extracted[0]) if extracted else ""

    # -- content ----------------------------------------------------------------------------
    def show_message(self, message: str) -> None:
        """Show a plain message (no article)."""
        self.article_id = None
        self.markdown = ""
        self.quotes = []
        self.picture_numbers, self.pictures = set(), {}
        self._pending = None
        self._set_blocks([Block(Text(message, Style(dim=True)), Text(), Text())])

    def show(self, article_id: str, header: list[tuple[str, str]], title: str,
             markdown: str, quotes: list[str] | tuple[str, ...] = (),
             footer: list[tuple[str, str]] | None = None,
             pictures: set[int] | None = None) -> None:
        """Show an article: its title, header fields, Markdown body and `footer` lines (label,
        text: its enclosures), all literal text. Passages in `quotes` (quoted by notes) are
        highlighted. `footer` None keeps the lines shown before. `pictures`: the link numbers
        of the pictures to draw when they arrive (`set_picture`); None keeps those of the
        article shown (a new article drops them)."""
        if pictures is not None or article_id != self.article_id:
            self.picture_numbers = set(pictures or ())
            self.pictures = {}
            self._drawn.clear()
        self.article_id = article_id
        self.markdown = markdown
        self.quotes = [q for q in quotes if q.strip()]
        self._shown = (header, title)
        if footer is not None:
            self._footer = list(footer)
        tail = self._tail()
        parts = [Block(Text(title, Style(bold=True)), Text(), Text())]
        for label, value in header:
            if value:
                label_text = Text(f"{label}: ", Style(dim=True))
                parts.append(Block(Text(value), label_text, Text(" " * len(label_text))))
        parts.append(Block(Text("─" * 60, Style(dim=True)), Text(), Text(), wrap=False))
        self._generation += 1
        head, more = _head(markdown, HEAD_BYTES)
        # a long article: the first screens now, the whole text a moment later (_relayout)
        self._pending = (parts, markdown, tail) if more else None
        self._set_blocks(parts + with_pictures(blocks(head), self.picture_numbers)
                         + ([] if more else tail))
        self.scroll_to(0, 0, animate=False)

    def _tail(self) -> list[Block]:
        """The footer lines as blocks, after a rule."""
        if not self._footer:
            return []
        out = [Block(Text(""), Text(), Text()),
               Block(Text("─" * 60, Style(dim=True)), Text(), Text(), wrap=False)]
        for label, value in self._footer:
            label_text = Text(f"{label} ", Style(bold=True))
            out.append(Block(Text(value), label_text, Text(" " * len(label_text))))
        return out

    def _set_blocks(self, parts: list[Block]) -> None:
        self._blocks = highlight(parts, self.quotes)
        self._relayout(force=True)

    def _relayout(self, force: bool = False) -> None:
        width = max(self.scrollable_content_region.width, 20)
        if not force and width == self._width:
            return
        self._width = width
        if self._pending is not None:  # the whole text is still being laid out: again
            self._install(layout(self._blocks[:HEAD_BLOCKS], width, self._draw))
            self._generation += 1
            self._finish_in_background(self._generation, *self._pending)
        elif len(self._blocks) > HEAD_BLOCKS:
            self._install(layout(self._blocks[:HEAD_BLOCKS], width, self._draw))
            self._generation += 1
            self._finish_in_background(self._generation, self._blocks, None)
        else:
            self._install(layout(self._blocks, width, self._draw))

    def _install(self, lines: list[Text]) -> None:
        self._lines = lines
        self._cache.clear()
        self.virtual_size = Size(self._width, len(lines))
        self.refresh()

    def _finish_in_background(self, generation: int, parts: list[Block],
                              markdown: str | None, tail: list[Block] | None = None) -> None:
        width = self._width

        quotes = list(self.quotes)
        numbers = set(self.picture_numbers)

        def work() -> None:
            full = highlight(parts + with_pictures(blocks(markdown), numbers) + (tail or []),
                             quotes) if markdown is not None else parts
            lines = layout(full, width, self._draw)
            self.app.call_from_thread(self._finished, generation, width, full, lines)

        self.run_worker(work, thread=True, exclusive=True, group="article-layout")

    def _finished(self, generation: int, width: int, parts: list[Block],
                  lines: list[Text]) -> None:
        if generation != self._generation or width != self._width:
            return  # another article, or another width, since
        self._pending = None
        self._blocks = parts
        self._install(lines)

    def on_resize(self) -> None:
        self._relayout()

    def set_quotes(self, quotes: list[str]) -> None:
        """Mark a new set of quoted passages, keeping the reading position."""
        if self.article_id is None:
            return
        top = self.scroll_y
        header, title = self._shown
        self.show(self.article_id, header, title, self.markdown, quotes)
        self.scroll_to(y=top, animate=False)

    def set_footer(self, footer: list[tuple[str, str]]) -> None:
        """New lines under the article (its enclosures' marks changed), keeping the place."""
        if self.article_id is None:
            return
        top = self.scroll_y
        header, title = self._shown
        self.show(self.article_id, header, title, self.markdown, self.quotes, footer=footer)
        self.scroll_to(y=top, animate=False)

    def paragraphs(self) -> list[str]:
        """The article's paragraphs as plain text (what a note can quote)."""
        return [b.text.plain for b in blocks(self.markdown)
                if b.paragraph >= 0 and b.text.plain and not _IMAGE_ONLY.match(b.text.plain)]

    def scroll_to_quote(self, quote: str) -> bool:
        """Scroll so the quoted passage is at the top; False if it is not in the text shown.

        The passage's first words are looked for across line breaks (a wrapped paragraph);
        no looser match, which once landed on another paragraph that shared a first word."""
        needle = " ".join(quote.split()[:8])
        if not needle:
            return False
        starts: list[int] = []
        flat: list[str] = []
        position = 0
        for line in self._lines:
            text = " ".join(line.plain.removeprefix(QUOTE_MARK).split())
            starts.append(position)
            flat.append(text)
            position += len(text) + 1
        found = " ".join(flat).find(needle)
        if found < 0:
            return False
        self.scroll_to(y=bisect.bisect_right(starts, found) - 1, animate=False)
        return True

    def set_search(self, query: str) -> None:
        """Highlight the words of this search (\"\" for none)."""
        if query != self.search:
            self.search = query
            self._cache.clear()
            self.refresh()

    @property
    def text(self) -> str:
        """The laid-out text (for tests and selection)."""
        return "\n".join(line.plain for line in self._lines)

    # -- rendering --------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        selection = self.text_selection
        strip = self._cache.get(index) if selection is None else None
        line = self._lines[index]
        if strip is None and isinstance(line, PictureLine):
            strip = line.strip
        if strip is None:
            text = self._lines[index].copy()
            text.stylize_before(base)
            for start, end in highlight_spans(text.plain, self.search):
                text.stylize(MATCH, start, end)
            if selection is not None:
                span = selection.get_span(index)
                if span is not None:
                    start, end = span
                    end = len(text) if end == -1 else end
                    text.stylize(self.screen.get_component_rich_style("screen--selection"),
                                 start, end)
            segments = [Segment(s.text, s.style) for s in text.render(self.app.console)]
            strip = Strip(segments, text.cell_len)
            if selection is None:
                self._cache[index] = strip
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x,
                                                                                  index)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract(self.text), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self._cache.clear()
        self.refresh()

    # -- keys -------------------------------------------------------------------------------
    def page_down(self) -> None:
        self.scroll_page_down(animate=False)

    def page_up(self) -> None:
        self.scroll_page_up(animate=False)
