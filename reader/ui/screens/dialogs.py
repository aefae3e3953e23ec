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

QUERY_HELP = """\
title ~ "ukraine" and feed = "AMN" and unread and age < 3d
(tag = "news" or tag = "world") and not bookmarked
text ~ "grain deal" and date >= 2026-11-01
fields: title author feed feedurl link tag category text
        unread read bookmarked annotated age date
= != equal, ~ !~ contain (ignoring case); age < 30m 12h 3d 2w;
date = 2026-11-30 (the whole day). Plain words stay a plain search."""
"""The query language in brief (README: Queries has it all)."""


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
            yield Static(Text("\nQueries (in / and query feeds)", Style(bold=True)),
                         markup=False)
            yield Static(Text(QUERY_HELP), markup=False)


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
    """Asks for search text (words, or a query); dismisses with it, or None on escape.
    Given `text` and `problem` (a query that did not parse), it shows both to mend."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_search")]

    def __init__(self, scope_label: str, text: str = "", problem: str = "") -> None:
        super().__init__()
        self.scope_label = scope_label
        self.text = text
        self.problem = problem

    def compose(self) -> ComposeResult:
        with Vertical(id="search"):
            yield Static(Text(f"Search {self.scope_label}", Style(bold=True)), markup=False)
            yield Input(self.text, placeholder='words, or a query: title ~ "x" and unread',
                        id="search-input")
            if self.problem:
                yield Static(Text(self.problem, Style(color="red")), markup=False,
                             id="search-problem")

    def on_mount(self) -> None:
        self.query_one(Input).cursor_position = len(self.text)  # to mend it where it ends

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
