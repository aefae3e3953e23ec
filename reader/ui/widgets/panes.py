"""Small panes: the notes pane and the status line."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.widgets import Static


class NotesPane(Static, can_focus=False):
    """Notes on the article being read. Until notes exist it says how they will appear."""

    EMPTY = ("Notes on the article you are reading will appear here: each quoted passage, "
             "then your note.")

    def on_mount(self) -> None:
        self.border_title = "Notes"
        self.update(Text(self.EMPTY, Style(dim=True)))


class StatusLine(Static):
    """One line: refresh progress, offline state, the last message. Always literal text."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.progress = ""
        self.offline = False
        self.message = ""

    def set(self, *, progress: str | None = None, message: str | None = None,
            offline: bool | None = None) -> None:
        """Change parts of the line and redraw it."""
        if progress is not None:
            self.progress = progress
        if message is not None:
            self.message = message
        if offline is not None:
            self.offline = offline
        text = Text()
        if self.offline:
            text.append("offline ", Style(reverse=True))
            text.append(" ")
        if self.progress:
            text.append(self.progress, Style(bold=True))
            text.append("  ")
        text.append(self.message)
        self.update(text)


class KeyHints(Static):
    """The key hints of the focused pane, on one line.

    Textual's Footer rebuilds one widget per key on every focus change (~150 ms here);
    this redraws one line of text.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)

    def show_hints(self, hints: list[tuple[str, str]]) -> None:
        """Show (keys, description) pairs."""
        text = Text(no_wrap=True, overflow="ellipsis")
        for keys, description in hints:
            text.append(f" {keys}", Style(bold=True, color="yellow"))
            text.append(f" {description} ")
        self.update(text)
