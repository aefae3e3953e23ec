"""Small panes: the notes pane and the status line."""

from __future__ import annotations

from typing import Any

from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from reader.ui import messages
from reader.ui.render import QUOTE_MARK

QUOTE_PREVIEW = 100
"""Characters of a quote shown in the notes pane (enter jumps to the whole passage)."""
NOTE_PREVIEW = 2000
"""Characters of a note shown in the notes pane (the editor has all of it)."""


class NotesPane(OptionList):
    """The notes on the article being read: each quoted passage, then the note.

    j/k move, e edits, d deletes (after asking), enter jumps to the quoted passage.
    """

    BINDINGS = [
        Binding("e", "edit_note", "Edit note", id="edit_note"),
        Binding("d", "delete_note", "Delete note", id="delete_note"),
        Binding("enter", "jump_to_quote", "Go to the quoted passage", id="jump_to_quote"),
        Binding("h,escape", "screen.back", "Back", id="back"),  # one id: remapped together
    ]
    """Hidden while the article has no notes: an empty pane would take rows from reading."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(markup=False, id=id)
        self.notes: list[Any] = []

    def action_edit_note(self) -> None:
        if self.current is not None:
            self.post_message(messages.EditNote(self.current))

    def action_delete_note(self) -> None:
        if self.current is not None:
            self.post_message(messages.DeleteNote(self.current))

    def action_jump_to_quote(self) -> None:
        self.post_message(messages.JumpToQuote(self.current))

    def on_mount(self) -> None:
        self.border_title = "Notes"
        self.show_notes([])

    def show_notes(self, notes: list[Any]) -> None:
        """Show these notes (objects with .quote and .text), or the empty message."""
        keep = self.highlighted
        self.notes = list(notes)
        self.display = bool(notes)
        if not notes:
            self.clear_options()
            self.border_title = "Notes"
            return
        options = []
        for note in notes:
            prompt = Text()
            if note.quote:
                quote = " ".join(note.quote.split())
                if len(quote) > QUOTE_PREVIEW:
                    quote = quote[:QUOTE_PREVIEW].rsplit(" ", 1)[0] + " …"
                prompt.append(QUOTE_MARK + quote + "\n", Style(italic=True, dim=True))
            text = note.text
            if len(text) > NOTE_PREVIEW:  # a 10 MB note once kept its article from opening
                more = len(text) - NOTE_PREVIEW
                text = f"{text[:NOTE_PREVIEW]} … ({more:,} more characters: e shows them all)"
            prompt.append(text)
            options.append(Option(prompt))
        self.set_options(options)
        self.highlighted = min(keep or 0, len(notes) - 1)
        self.border_title = f"Notes ({len(notes)})"

    @property
    def current(self) -> Any | None:
        """The highlighted note, if any."""
        index = self.highlighted
        if not self.notes or index is None or not 0 <= index < len(self.notes):
            return None
        return self.notes[index]


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
