"""The main screen's commands on articles ([commands] in config.toml): their keys, running
one on the article in a thread, and what it printed. Mixed into MainScreen
(reader.ui.screens.main); the work is reader.core.commands', through the library."""

from __future__ import annotations

import asyncio

from textual import work

from reader.errors import ReaderError
from reader.models import Article
from reader.textutil import strip_control
from reader.ui.screens.dialogs import CommandOutputScreen


class CommandActions:
    """Commands on articles, for the main screen."""

    def bind_commands(self) -> list[str]:
        """Bind each command's keys (config.toml); returns what could not be bound: a key
        another action has (the user's [keys] counted) stays that action's."""
        taken = self.app.taken_keys()
        problems = []
        for command in self.library.settings.commands.values():
            for key in filter(None, (k.strip() for k in command.key.split(","))):
                if key in taken:
                    problems.append(f"[commands] {command.name}: key {key!r} is already "
                                    f"bound to {taken[key]}; run it from the palette")
                    continue
                taken[key] = f"command {command.name}"
                self._bindings.bind(key, f"run_command({command.name!r})",
                                    f"Run {command.name}", show=False)
        self.app.key_problems.extend(problems)  # said again on the terminal after quitting
        return problems

    def action_run_command(self, name: str) -> None:
        """Run command `name` on the article read (or highlighted), in the background."""
        article = self._target_article()
        if article is None:
            self.status.set(message=f"{name}: choose an article first")
            return
        self.status.set(message=f"running {name} on “{article.title[:60]}”…")
        self._run_command(name, article)

    @work(group="command")
    async def _run_command(self, name: str, article: Article) -> None:
        try:  # reading the article takes the library's turn; the program runs beside it
            prepared = await self.library.read(self.library.prepare_command, name, article)
        except ReaderError as exc:
            self.status.set(message=str(exc))
            return
        result = await asyncio.to_thread(prepared.run)
        self.status.set(message=strip_control(result.summary()))
        output = strip_control(result.output).strip("\n")
        if result.truncated:
            output += "\n… (cut at 64 kB)"
        if "\n" in output or (output and result.status != "ok"):
            self.app.push_screen(CommandOutputScreen(strip_control(result.summary()).split(
                "\n")[0][:200], output))
