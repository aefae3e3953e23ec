"""Run one hostile feed through the whole path and report what happened.

    outcome = run_case(tmp_path, server, Case("id", body=b"...", content_type="..."))

does, in an isolated XDG home: subscribe and refresh a previously stored feed (with a bookmark
and a note), then `reader add` the hostile feed and a good neighbour, `reader refresh`, open a
fresh Library on the same folders, `reader show` each hostile article (the first SHOW_LIMIT),
and drive the TUI (Textual Pilot): open the hostile feed, move through its list, open the
first TUI_ARTICLES articles, collecting every rendered screen. Nothing here asserts the case's
own expectations; `Outcome.check_common()` asserts what holds for every case (no traceback,
neighbour stored, earlier data unchanged, no control character on screen or in output).
"""

from __future__ import annotations

import asyncio
import contextlib
import faulthandler
import io
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.cli import main
from reader.library import Library
from reader.locations import Paths
from reader.models import Article, Feed
from tests.conftest import FeedServer, Route, rss

HANG_GUARD_S = 60
"""Per case: a case still running after this dumps every thread's stack and ends the run."""
SHOW_LIMIT = 50
TUI_ARTICLES = 3
SIZE = (120, 40)
# What may never reach a terminal: C0 (but tab/newline), DEL, C1 and the bidi override and
# isolate controls (U+202A-U+202E, U+2066-U+2069), which reorder what follows on the line.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
GOOD_TITLES = [("g1", "Neighbour one"), ("g2", "Neighbour two")]
OLD_TITLES = [("o1", "Stored before one"), ("o2", "Stored before two")]


@dataclass
class Case:
    """One hostile input: what the server answers for the feed (or a local file)."""

    id: str
    body: bytes | Callable[[str], bytes]
    """The feed bytes, or a function of the feed's URL giving them."""
    content_type: str = "application/rss+xml; charset=utf-8"
    local: bool = False
    """Serve it as a local file (path) instead of over HTTP."""
    status: int = 200
    show_limit: int = SHOW_LIMIT
    """`reader show` the first this many articles."""


@dataclass
class Command:
    """One in-process `reader` command: argv, exit code, stdout, stderr."""

    argv: list[str]
    code: int
    out: str
    err: str


@dataclass
class Outcome:
    """What happened to one case, for the test to assert on."""

    url: str
    paths: Paths
    commands: list[Command] = field(default_factory=list)
    refresh: Command | None = None
    feed: Feed | None = None
    articles: list[Article] = field(default_factory=list)
    """The hostile feed's articles, from a fresh Library after the refresh."""
    shows: dict[str, Command] = field(default_factory=dict)
    """`reader show ID` per article id (the first SHOW_LIMIT articles)."""
    neighbour: list[Article] = field(default_factory=list)
    old_before: Any = None
    old_after: Any = None
    marks_before: bytes = b""
    marks_after: bytes = b""
    screens: list[str] = field(default_factory=list)
    """Every rendered TUI screen, as text (one per step)."""
    screen_links: set[str] = field(default_factory=set)
    """Every hyperlink a rendered segment carries (terminal OSC 8 links)."""
    tui_lists: list[str] = field(default_factory=list)
    """The article list rows as text, once the hostile feed is open."""
    tui_views: list[str] = field(default_factory=list)
    """The article view's text for each opened article."""
    tui_links: list[list[str]] = field(default_factory=list)
    """The numbered links the app offers for each opened article."""
    app_running: bool = False
    tui_error: str = ""

    @property
    def output(self) -> str:
        """Everything the commands printed, stdout and stderr."""
        return "\n".join(c.out + "\n" + c.err for c in self.commands)

    @property
    def errors(self) -> str:
        return self.refresh.err if self.refresh else ""

    def everything(self) -> str:
        """All output, every screen and every stored file of the data and cache folders."""
        parts = [self.output, *self.screens, *self.tui_views]
        for folder in (self.paths.data_dir, self.paths.cache_dir):
            for path in folder.rglob("*"):
                if path.is_file():
                    parts.append(path.read_bytes().decode("utf-8", "replace"))
        return "\n".join(parts)

    def check_common(self) -> None:
        """What must hold whatever the feed was."""
        assert "Traceback" not in self.output, self.output[-3000:]
        assert not self.tui_error, self.tui_error
        assert self.app_running, "the app stopped while showing the hostile feed"
        assert self.refresh is not None and self.refresh.code in (0, 1), self.refresh
        titles = sorted(a.title for a in self.neighbour)
        assert titles == sorted(t for _, t in GOOD_TITLES), "the neighbour feed was not stored"
        assert self.old_after == self.old_before, "a feed stored earlier changed"
        assert self.marks_after == self.marks_before, "bookmarks/notes changed"
        for command in self.commands:
            bad = CONTROL_RE.search(command.out + command.err)
            assert bad is None, (command.argv, bad, command.out[:500], command.err[:500])
        for screen in self.screens:
            bad = CONTROL_RE.search(screen)
            assert bad is None, (bad, screen[:2000])
        for link in self.screen_links:
            assert link.startswith(("http://", "https://")), link
        for command in self.shows.values():
            assert command.code == 0, command

    def check_failed(self, *reasons: str) -> None:
        """The refresh failed for this feed: one line naming the feed and one of `reasons`."""
        assert self.refresh is not None and self.refresh.code == 1, self.refresh
        lines = [ln for ln in self.refresh.err.splitlines() if self.url in ln]
        assert len(lines) == 1, self.refresh.err
        assert any(r.lower() in lines[0].lower() for r in reasons), lines[0]
        assert self.feed is not None and self.feed.last_error
        assert not self.articles


def _no_full_text() -> list[str]:
    """Full texts are fetched from the articles' links after a refresh: these point to the
    internet, which no test touches. Off when the command line has the switch."""
    from reader.cli import build_parser

    sub = build_parser()._subparsers._group_actions[0].choices["refresh"]  # noqa: SLF001
    return ["--no-full-text"] if "--no-full-text" in sub._option_string_actions else []


NO_FULL_TEXT = _no_full_text()


def cli(outcome: Outcome, *argv: str) -> Command:
    """Run `reader ARGV` in this process, capturing its output (and any traceback)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException:  # noqa: BLE001 - a traceback is what the test must catch
            err.write(traceback.format_exc())
            code = -1
    command = Command(list(argv), code if code is not None else 0, out.getvalue(),
                      err.getvalue())
    outcome.commands.append(command)
    return command


def _snapshot(paths: Paths, feed_url: str) -> Any:
    library = Library(paths)
    try:
        arts = library.articles(feed_url)
        return [(a.to_json(), library.body(a)) for a in arts]
    finally:
        library.release()


@contextlib.contextmanager
def hang_guard(seconds: float = HANG_GUARD_S) -> Iterator[None]:
    """A generous hang guard: past `seconds`, dump every thread's stack and exit."""
    faulthandler.dump_traceback_later(seconds, exit=True, file=sys.__stderr__)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


def run_case(tmp_path: Path, server: FeedServer, case: Case, *, tui: bool = True) -> Outcome:
    """Subscribe, refresh, store, show and view one hostile case, under the hang guard.
    XDG_* must point under tmp_path already (the `paths` fixture)."""
    with hang_guard():
        return _run_case(tmp_path, server, case, tui=tui)


def _run_case(tmp_path: Path, server: FeedServer, case: Case, *, tui: bool) -> Outcome:
    paths = Paths.from_env()
    old_url, good_url = server.url("/old.xml"), server.url("/good.xml")
    server.routes["/old.xml"] = Route(rss("Stored before", OLD_TITLES), etag='"old"')
    server.routes["/good.xml"] = Route(rss("Good neighbour", GOOD_TITLES))
    if case.local:
        target = tmp_path / f"{re.sub(r'[^a-z0-9]+', '-', case.id.lower())}.xml"
        url = str(target)
        body = case.body(url) if callable(case.body) else case.body
        target.write_bytes(body)
    else:
        path = f"/hostile/{re.sub(r'[^a-z0-9]+', '-', case.id.lower())}.xml"
        url = server.url(path)
        body = case.body(url) if callable(case.body) else case.body
        server.routes[path] = Route(body, status=case.status,
                                    headers={"Content-Type": case.content_type})
    outcome = Outcome(url=url, paths=paths)

    # Earlier data: a stored feed with a bookmark and a note.
    assert cli(outcome, "add", old_url).code == 0
    assert cli(outcome, "refresh", *NO_FULL_TEXT).code == 0
    first_old = json.loads(cli(outcome, "articles", "--feed", old_url, "--json").out)[0]["id"]
    assert cli(outcome, "bookmark", first_old).code == 0
    assert cli(outcome, "note", "add", first_old, "--text", "my note").code == 0
    outcome.old_before = _snapshot(paths, old_url)
    marks = paths.data_dir / "marks.json"
    outcome.marks_before = marks.read_bytes()

    cli(outcome, "add", url)
    cli(outcome, "add", good_url)
    outcome.refresh = cli(outcome, "refresh", *NO_FULL_TEXT)

    library = Library(paths)  # a fresh one: the store must load
    try:
        outcome.feed = library.find_feed(url)
        outcome.articles = library.articles(url)
        outcome.neighbour = library.articles(good_url)
    finally:
        library.release()
    outcome.old_after = _snapshot(paths, old_url)
    outcome.marks_after = marks.read_bytes()
    for article in outcome.articles[:case.show_limit]:
        outcome.shows[article.id] = cli(outcome, "show", article.id)
    if tui:
        try:
            asyncio.run(_drive_tui(outcome, paths))
        except Exception:  # noqa: BLE001
            outcome.tui_error = traceback.format_exc()
    return outcome


def _screen(app: Any, outcome: Outcome) -> str:
    """The whole screen as text; hyperlinks on segments are collected too."""
    strips = app.screen._compositor.render_strips()
    lines = []
    for strip in strips:
        lines.append("".join(seg.text for seg in strip))
        for seg in strip:
            if seg.style is not None and seg.style.link:
                outcome.screen_links.add(seg.style.link)
    text = "\n".join(lines)
    outcome.screens.append(text)
    return text


async def _drive_tui(outcome: Outcome, paths: Paths) -> None:
    from reader.ui.app import ReaderApp  # textual only for the TUI part

    library = Library(paths)
    library.acquire()
    try:
        app = ReaderApp(library, offline=True)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            _screen(app, outcome)
            assert outcome.feed is not None
            app.focus_pane(app.feed_list)
            for index in range(app.feed_list.option_count):
                view = app.feed_list.view_at(index)
                if view is not None and view.kind == "feed" and \
                        library.find_feed(view.value).key == outcome.feed.key:
                    app.feed_list.highlighted = index
                    break
            else:
                raise AssertionError("the hostile feed is not in the feed list")
            await pilot.press("enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            _screen(app, outcome)
            lst = app.article_list
            outcome.tui_lists = [lst.row(a).plain for a in lst.articles[:SHOW_LIMIT]]
            for _ in range(3):  # move through the list
                await pilot.press("j")
            await pilot.press("G")
            await pilot.pause()
            _screen(app, outcome)
            await pilot.press("g")
            for index in range(min(TUI_ARTICLES, len(lst.articles))):
                app.focus_pane(lst)
                lst.highlighted = index
                await pilot.press("enter")
                await app.workers.wait_for_complete()
                await pilot.pause()
                outcome.tui_views.append(app.article_view.text)
                outcome.tui_links.append([link.url for link in app.links])
                _screen(app, outcome)
                await pilot.press("space")
                await pilot.pause()
                _screen(app, outcome)
                await pilot.press("escape")
                await pilot.pause()
            outcome.app_running = app.is_running and app.return_code is None
    finally:
        library.release()

