"""Commands on articles in the app: a key runs a real script on the article (its Markdown on
stdin), its output and exit status show; the palette and `?` list the commands."""

from __future__ import annotations

import sys
from pathlib import Path

from reader.config import Command, Settings
from reader.locations import Paths
from reader.ui.app import ReaderApp
from reader.ui.screens.dialogs import CommandOutputScreen, HelpScreen
from tests.ui.conftest import make_library, wait_until
from tests.ui.test_app import SIZE, visible_text


async def setup(paths: Paths, tmp_path: Path) -> tuple[ReaderApp, Path]:
    saved = tmp_path / "saved.md"
    program = tmp_path / "save.py"
    program.write_text(
        "import sys\n"
        f"open({str(saved)!r}, 'w').write(sys.stdin.read())\n"
        "print('saving', repr(sys.argv[1]))\nprint('saved to the archive')\n")
    failing = tmp_path / "fail.py"
    failing.write_text("import sys\nprint('quota exceeded', file=sys.stderr)\nsys.exit(7)\n")
    library = make_library(paths, Settings(commands={
        "save": Command("save", f"{sys.executable} {program} {{title}}", key="W"),
        "fail": Command("fail", f"{sys.executable} {failing}", key="j"),  # j is taken
    }))
    library.seed_if_new()
    await library.refresh()
    return ReaderApp(library, offline=True), saved


async def test_a_key_runs_a_command_on_the_article(paths: Paths, tmp_path: Path) -> None:
    app, saved = await setup(paths, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "[commands] fail: key 'j' is already bound to cursor_down" in \
            visible_text(app.status)
        app.focus_pane(app.article_list)
        await pilot.pause()
        article = app.article_list.current
        await pilot.press("W")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandOutputScreen))
        assert saved.read_text().startswith(f"# {article.title}\n")  # Markdown on stdin
        shown = "\n".join(str(w.render()) for w in app.screen.query("Static"))
        assert f"saving {article.title!r}" in shown and "saved to the archive" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert "save: done: saved to the archive" in visible_text(app.status)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Run save" in titles and "Run fail" in titles
        fail = next(c for c in app.get_system_commands(app.screen) if c.title == "Run fail")
        fail.callback()
        await wait_until(pilot, lambda: "fail: failed (exit 7)" in visible_text(app.status))
        assert isinstance(app.screen, CommandOutputScreen)  # a failure shows what it said
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("W", f"Run save: {sys.executable} {tmp_path / 'save.py'} {{title}}") in \
            app.screen.rows
    app.library.release()
