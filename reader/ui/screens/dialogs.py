"""Modal screens: help (every key), the search prompt, and a command's output."""

from __future__ import annotations

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class HelpScreen(ModalScreen[None]):
    """Every key binding with what it does (reflecting the user's key map)."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="close_help")]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for keys, description in self.rows:
            table.add_row(Text(keys), Text(description))
        with VerticalScroll(id="help"):
            yield Static(Text("Keys (escape closes)", Style(bold=True)), markup=False)
            yield Static(table)


class CommandOutputScreen(ModalScreen[None]):
    """What a command on an article printed, and how it ended (literal text)."""

    BINDINGS = [Binding("escape,q,enter", "dismiss", "Close", id="close_output")]

    def __init__(self, summary: str, output: str) -> None:
        super().__init__()
        self.summary = summary
        self.output = output

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="command-output"):
            yield Static(Text(self.summary + "  (escape closes)", Style(bold=True)),
                         markup=False)
            yield Static(Text(self.output), markup=False)


class SearchScreen(ModalScreen[str | None]):
    """Asks for search text; dismisses with it, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_search")]

    def __init__(self, scope_label: str) -> None:
        super().__init__()
        self.scope_label = scope_label

    def compose(self) -> ComposeResult:
        with Vertical(id="search"):
            yield Static(Text(f"Search {self.scope_label}", Style(bold=True)), markup=False)
            yield Input(placeholder="words in titles, authors and text", id="search-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
