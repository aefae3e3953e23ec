"""Modal screens for notes: the note editor, the paragraph picker, confirmations, export."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from reader.ui.render import QUOTE_MARK

DIM = Style(dim=True)


def literal(text: str, style: Style | str = "") -> Text:
    """Text from a user or a feed, shown as is (never parsed as markup)."""
    return Text(text, style=style)


class ConfirmScreen(ModalScreen[bool]):
    """A yes/no question: y confirms, n or escape declines."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm_no"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm", classes="dialog"):
            yield Static(literal(self.question, Style(bold=True)))
            yield Static(literal("y yes · n no", DIM))

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ParagraphPicker(ModalScreen[str | None]):
    """Choose the paragraph a note is about, by keyboard (j/k, enter)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel_picker"),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
    ]

    def __init__(self, paragraphs: list[str]) -> None:
        super().__init__()
        self.paragraphs = paragraphs

    def compose(self) -> ComposeResult:
        with Vertical(id="picker", classes="dialog"):
            yield Static(literal("Quote which paragraph? (j/k, enter; escape cancels)",
                                 Style(bold=True)))
            yield OptionList(*(Option(literal(p)) for p in self.paragraphs), markup=False,
                             id="paragraphs")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.paragraphs[event.option_index])

    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteEditor(ModalScreen[tuple[str, str] | None]):
    """Write or edit a note and the passage it quotes. ctrl+s saves, escape cancels."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_note"),
        Binding("escape", "cancel", "Cancel", id="cancel_note"),
        Binding("ctrl+o", "pick_quote", "Choose quote", id="pick_quote"),
        Binding("ctrl+r", "remove_quote", "No quote", id="remove_quote"),
    ]

    def __init__(self, article_title: str, paragraphs: list[str], *, text: str = "",
                 quote: str = "") -> None:
        super().__init__()
        self.article_title = article_title
        self.paragraphs = paragraphs
        self.quote = quote
        self._original = (text, quote)
        self._text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="note-editor", classes="dialog"):
            yield Static(literal(f"Note on: {self.article_title}", Style(bold=True)))
            yield Static(id="quote")
            yield TextArea(self._text, soft_wrap=True, tab_behavior="focus", id="note-text")
            yield Static(literal("ctrl+s save · ctrl+o choose the quoted paragraph · "
                                 "ctrl+r no quote · escape cancel", DIM))

    def on_mount(self) -> None:
        self._show_quote()
        self.query_one(TextArea).focus()

    def _show_quote(self) -> None:
        quote = self.query_one("#quote", Static)
        if self.quote:
            quote.update(literal(QUOTE_MARK + self.quote, Style(italic=True)))
        else:
            quote.update(literal("(no quoted passage: select text in the article before "
                                 "pressing a, or choose a paragraph with ctrl+o)", DIM))

    @property
    def text(self) -> str:
        """The note as typed so far."""
        return self.query_one(TextArea).text

    @property
    def changed(self) -> bool:
        """True when the note or its quote differ from what the editor opened with."""
        return (self.text, self.quote) != self._original

    def action_save(self) -> None:
        if not self.text.strip() and not self.quote:
            self.notify("A note needs some text or a quote", severity="warning")
            return
        self.dismiss((self.text, self.quote))

    def action_cancel(self) -> None:
        if not self.changed:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("Discard the changes to this note?"), answered)

    def action_pick_quote(self) -> None:
        if not self.paragraphs:
            self.notify("This article has no paragraphs to quote", severity="warning")
            return

        def picked(paragraph: str | None) -> None:
            if paragraph:
                self.quote = paragraph
                self._show_quote()

        self.app.push_screen(ParagraphPicker(self.paragraphs), picked)

    def action_remove_quote(self) -> None:
        self.quote = ""
        self._show_quote()


class AskScreen(ModalScreen[str | None]):
    """Asks for one line of text (a folder, a feed URL); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_ask")]

    def __init__(self, question: str, default: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="ask", classes="dialog"):
            yield Static(literal(self.question, Style(bold=True)))
            yield Input(self.default, placeholder=self.placeholder, id="answer")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
