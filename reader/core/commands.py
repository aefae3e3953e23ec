"""Commands on articles (newsboat's pipe-to and macros): `[commands]` in config.toml names
external programs run on one article, with the article as Markdown on their stdin.

No shell, ever. The user's template is split into arguments once, with shlex, when the
config is read (reader.config.command_template); each argument's `{placeholders}` are then
filled with the article's values. A value never becomes more than the one argument it sits
in, whatever quotes, spaces, `;`, `$()` or newlines it holds (newlines and control characters
are dropped from one-line values). An argument that would start with `-` only because of a
feed's text (a title "-rf") has that leading dash turned into "‐" (U+2010), so it cannot
become an option, unless an argument `--` comes before it (the usual end of options, after
which the text is passed exactly). `{url}` is the article's link when it is http(s), else
the command does not run."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from reader.config import command_template
from reader.models import Article, ArticleText, Enclosure
from reader.textutil import one_line, safe_link

OUTPUT_CAP = 64 * 1024
"""Bytes of a command's output kept (stdout and stderr together); the rest is read and
dropped so that the program never blocks on a full pipe."""
VALUE_CAP = 2000
"""Characters of a one-line value (title, author, feed) put in an argument."""
DASH = "\u2010"
"""What a leading `-` coming from feed text becomes (a hyphen that is no option marker)."""


@dataclass
class CommandResult:
    """What running a command on an article did."""

    name: str
    argv: list[str] = field(default_factory=list)
    status: str = "ok"
    """"ok" (exit 0), "failed" (another exit status), "timeout" (killed), "error" (could not
    start: `error` says why)."""
    exit_code: int | None = None
    output: str = ""
    """What it printed (stdout and stderr), at most OUTPUT_CAP bytes, decoded leniently."""
    truncated: bool = False
    """More was printed than `output` holds."""
    error: str = ""

    def summary(self) -> str:
        """One line for a status line: what happened and the last line printed."""
        if self.status == "error":
            return f"{self.name}: {self.error}"
        what = {"ok": "done", "failed": f"failed (exit {self.exit_code})",
                "timeout": "killed: it ran past its timeout"}[self.status]
        last = next((one_line(x) for x in reversed(self.output.splitlines()) if x.strip()), "")
        return f"{self.name}: {what}" + (f": {last}" if last else "")


@dataclass
class PreparedCommand:
    """A command ready to run on an article: reading the article is done, running is not
    (so that the app reads on the library's turn and runs the program in a plain thread)."""

    name: str
    argv: list[str]
    stdin: bytes
    timeout: float
    error: str = ""
    """Why it cannot run on this article ("" when it can)."""

    def run(self) -> CommandResult:
        """Run it (blocking, up to `timeout` seconds)."""
        if self.error:
            return CommandResult(self.name, status="error", error=self.error)
        return run_command(self.name, self.argv, self.stdin, self.timeout)


def article_values(article: Article) -> dict[str, str]:
    """The values placeholders take for an article (one line each; "" when it has none)."""
    date = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(article.date)) \
        if article.date else ""
    return {"url": safe_link(article.link) or "", "title": one_line(article.title)[:VALUE_CAP],
            "feed": one_line(article.feed_title)[:VALUE_CAP],
            "author": one_line(article.author)[:VALUE_CAP], "id": article.id, "date": date}


def build_argv(template: str, values: dict[str, str]) -> list[str]:
    """The argument list for `template` (the user's text, split once) with `values` filled
    in, each value inside its one argument. ValueError when a placeholder it uses is empty
    for this article's `url` (no http(s) link)."""
    argv: list[str] = []
    ended = False  # an argument "--" came: what follows is never an option
    for parts in command_template(template):
        literal_start = bool(parts) and parts[0][0].startswith("-")
        text = ""
        for literal, name in parts:
            text += literal
            if name is not None:
                if name == "url" and not values.get("url"):
                    raise ValueError("this article has no http(s) link")
                text += values.get(name, "")
        if text.startswith("-") and not literal_start and not ended:
            text = DASH * (len(text) - len(text.lstrip("-"))) + text.lstrip("-")
        ended = ended or text == "--" and literal_start
        argv.append(text)
    return argv


def article_document(article: Article, text: ArticleText, enclosures: list[Enclosure]) -> str:
    """An article as one Markdown document: its title, header fields, then its text (what
    `reader show` prints and what commands read on stdin)."""
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(article.date)) if article.date else ""
    lines = [f"# {article.title}", ""]
    for label, value in (("Feed", article.feed_title), ("Author", article.author),
                         ("Date", when), ("Categories", ", ".join(article.categories)),
                         ("Link", article.link), ("Text", text.describe())):
        if value:
            lines.append(f"{label}: {value}  ")
    lines += ["", text.markdown.rstrip(), ""]
    if enclosures:
        lines += ["Enclosures:", ""] + [f"- {enclosure_line(e)}" for e in enclosures] + [""]
    return "\n".join(lines)


def enclosure_line(enclosure: Enclosure) -> str:
    """`audio/mpeg, 12.3 MB, 1:02:03: https://...` (the parts the feed gives)."""
    described = enclosure.summary
    return f"{described}: {enclosure.url}" if described else enclosure.url


def run_command(name: str, argv: list[str], stdin: bytes, timeout: float) -> CommandResult:
    """Run `argv` (no shell) with `stdin`, its output kept up to OUTPUT_CAP; killed (its whole
    process group) after `timeout` seconds. Never raises for the program's sake."""
    result = CommandResult(name, argv)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True)
    except FileNotFoundError:
        result.status, result.error = "error", f"{argv[0]}: no such program (check [commands] " \
                                               "in config.toml and your PATH)"
        return result
    except OSError as exc:  # not executable, a folder, too many processes
        result.status, result.error = "error", f"{argv[0]}: cannot run it ({exc.strerror or exc})"
        return result
    kept = bytearray()
    dropped = [0]

    def feed() -> None:
        try:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
        except (BrokenPipeError, OSError):  # it did not read it all: its business
            pass
        finally:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except OSError:
                pass

    def drain() -> None:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        while chunk := os.read(fd, 65536):
            room = OUTPUT_CAP - len(kept)
            kept.extend(chunk[:room])
            dropped[0] += max(0, len(chunk) - room)

    threads = [threading.Thread(target=feed, daemon=True),
               threading.Thread(target=drain, daemon=True)]
    for thread in threads:
        thread.start()
    try:
        result.exit_code = proc.wait(timeout=timeout if timeout > 0 else None)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        result.exit_code = proc.wait()
        result.status = "timeout"
    for thread in threads:  # a child it left behind may hold the pipe: do not wait for ever
        thread.join(timeout=2)
    result.output = bytes(kept).decode("utf-8", "replace")
    result.truncated = bool(dropped[0])
    if result.status != "timeout":
        result.status = "ok" if result.exit_code == 0 else "failed"
    return result


def _kill_group(proc: Any) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:  # gone already
        pass
