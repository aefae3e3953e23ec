"""The main screen's notes: writing, editing, deleting and exporting them, and redrawing
what shows them. Mixed into MainScreen (reader.ui.screens.main), whose panes, library and
`save` (every write, failures said in the status line) it uses."""

from __future__ import annotations

from pathlib import Path

from reader.models import Article
from reader.textutil import plural
from reader.ui import messages
from reader.ui.screens.notes import AskScreen, ConfirmScreen, NoteEditor


class NoteActions:
    """Notes on articles, for the main screen."""

    def on_annotate(self, _: messages.Annotate | None = None) -> None:
        """Write a note on the article (quoting the selection, or a chosen paragraph)."""
        article = self._target_article()
        if article is None:
            self.status.set(message="choose an article first")
            return
        reading = self.reading is not None and self.reading.id == article.id
        quote = self.article_view.selected_passage(
            self.selections.get(self.article_view)) if reading else ""
        paragraphs = self.article_view.paragraphs() if reading else []

        async def save(text: str, chosen: str) -> str:
            return await self.save("could not save the note", self.library.add_note, article,
                                   text, chosen)

        def saved(result: tuple[str, str] | None) -> None:
            if result is not None:
                self.notes_changed(article)
                self.status.set(message="note saved")

        self.app.push_screen(NoteEditor(article.title, paragraphs, quote=quote, save=save),
                             saved)

    def on_notes_changed(self, message: messages.NotesChanged) -> None:
        self.notes_changed(message.article)

    def notes_changed(self, article: Article) -> None:
        """Redraw what shows notes: the notes pane, highlights, the row marker, counts."""
        notes = self.library.notes(article.id)
        article.notes = len(notes)
        self.article_list.update_article(article)
        if self.reading is not None and self.reading.id == article.id:
            self.reading.notes = len(notes)
            self.notes_pane.show_notes(notes)
            self.article_view.set_quotes([n.quote for n in notes])
            if not notes and self.focused is self.notes_pane:  # the pane hides: back to reading
                self.focus_pane(self.article_view)
        self._redraw_feeds()
        if self.view.kind == "notes":  # the Notes view lists annotated articles only
            self._load_view(self.view, self.article_list.current.id
                            if self.article_list.current else None)

    def on_edit_note(self, message: messages.EditNote) -> None:
        note = message.note
        if self.reading is None:
            return
        article = self.reading

        async def save(text: str, quote: str) -> str:
            return await self.save("could not save the note", self.library.edit_note, note.id,
                                   text, quote)

        def saved(result: tuple[str, str] | None) -> None:
            if result is not None:
                self.notes_changed(article)
                self.status.set(message="note saved")

        self.app.push_screen(NoteEditor(article.title, self.article_view.paragraphs(),
                                        text=note.text, quote=note.quote, save=save), saved)

    def on_delete_note(self, message: messages.DeleteNote) -> None:
        note = message.note
        if self.reading is None:
            return
        article = self.reading

        async def answered(yes: bool | None) -> None:
            if yes and not await self.save("could not delete the note",
                                           self.library.delete_note, note.id):
                self.notes_changed(article)
                self.status.set(message="note deleted")

        preview = " ".join(note.text.split())[:60]
        self.app.push_screen(ConfirmScreen(f"Delete the note “{preview}”?"), answered)

    def on_jump_to_quote(self, message: messages.JumpToQuote) -> None:
        note = message.note
        if note is None or not note.quote:
            self.status.set(message="this note quotes nothing")
            return
        if self.article_view.scroll_to_quote(note.quote):
            self.focus_pane(self.article_view)
        elif self.reading is not None and (self.library.full_text(self.reading) or {}).get(
                "html"):  # a full text exists: the passage may be in the other version
            shown = "full article" if self.prefer.get(self.reading.id) != "feed" \
                else "feed's text"
            self.status.set(message=f"the quoted passage is not in the {shown} shown; "
                                    "t switches to the other text")
        else:
            self.status.set(message="the quoted passage is no longer in the article")

    def export_notes(self) -> None:
        """Ask for a folder, then export every note and bookmark there as Markdown files."""
        default = str(Path.home() / "reader-notes")

        async def chosen(folder: str | None) -> None:
            if not folder:
                return
            written: list[Path] = []
            if not await self.save("export failed", lambda: written.extend(
                    self.library.export_notes(Path(folder).expanduser()))):
                self.status.set(message=f"{plural(len(written), 'file')} exported to {folder}")

        self.app.push_screen(AskScreen("Export notes and bookmarks as Markdown files to:",
                                       default), chosen)
