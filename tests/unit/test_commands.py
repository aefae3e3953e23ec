"""Commands on articles: the argv is built from the user's template split once, feed text
never adds or splits an argument, and the program runs without a shell, capped and timed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.cli import main
from reader.config import ConfigError, load_settings
from reader.core.commands import DASH, OUTPUT_CAP, article_values, build_argv, run_command
from reader.locations import Paths
from reader.models import Article
from reader.textutil import one_line
from tests.conftest import FeedServer, Route, rss

HOSTILE = [
    "plain title",
    "two  spaces and 'single' \"double\" quotes",
    "; rm -rf ~ ; echo pwned",
    "$(touch /tmp/pwned) `touch /tmp/pwned2` ${HOME}",
    "line one\nline two\r\nthree",
    "-rf",
    "--output=/etc/passwd",
    "tab\tand\x00nul and \x1b[2J escape",
    "{url} {title} {{braces}}",
    "ünïcödé ✓ and ‮ bidi",
]


def article(title: str = "T", link: str = "https://example.com/a?b=1&c=2;d") -> Article:
    return Article(id="abcd1234", feed_key="k", guid="g", title=title, link=link,
                   feed_title="Feed -x", author="-A. Author", published=1_700_000_000.0)


@pytest.mark.parametrize("title", HOSTILE)
def test_a_hostile_title_is_one_argument_and_never_an_option(title: str) -> None:
    values = article_values(article(title))
    argv = build_argv("prog add {url} --tag saved {title} -- {title}", values)
    assert len(argv) == 8  # as the user wrote it, whatever the title holds
    assert argv[:3] == ["prog", "add", "https://example.com/a?b=1&c=2;d"]
    expected = one_line(title)
    assert argv[7] == expected  # after "--": exactly the text
    assert argv[5] == (DASH * (len(expected) - len(expected.lstrip("-")))
                       + expected.lstrip("-"))
    assert not argv[5].startswith("-") and argv[6] == "--"
    assert all("\n" not in a and "\x00" not in a and "\x1b" not in a for a in argv)


@settings(max_examples=300, deadline=None)
@given(title=st.text(max_size=80), author=st.text(max_size=20), feed=st.text(max_size=20))
def test_any_text_fills_its_argument_and_no_other(title: str, author: str, feed: str) -> None:
    item = article(title)
    item.author, item.feed_title = author, feed
    argv = build_argv("notify-send 'Saved: {title}' by:{author} {feed}", article_values(item))
    assert len(argv) == 4
    assert argv[1] == "Saved: " + one_line(title)
    assert argv[2] == "by:" + one_line(author)
    assert not argv[3].startswith("-")


@pytest.mark.parametrize("link", ["javascript:alert(1)", "file:///etc/passwd", "-oProxy=x",
                                  "https://a.example/ b", "", "ftp://x/"])
def test_url_is_http_only_else_the_command_does_not_run(link: str) -> None:
    with pytest.raises(ValueError, match="no http"):
        build_argv("prog {url}", article_values(article(link=link)))
    assert build_argv("prog {title}", article_values(article(link=link))) == ["prog", "T"]


@pytest.mark.parametrize(("template", "message"), [
    ("wallabag add {link}", "unknown placeholder {link}"),
    ("echo {title!r}", "unknown placeholder"),
    ("echo {title:>30}", "unknown placeholder"),
    ("echo 'unbalanced", "cannot split it into arguments"),
    ("echo {", "braces"),
    ("{url}", "the program itself cannot be a placeholder"),
    ("", "empty"),
])
def test_bad_templates_are_config_errors(tmp_path: Path, template: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[commands]\nbad = {json.dumps(template)}\n")
    with pytest.raises(ConfigError, match=message):
        load_settings(path)


def test_commands_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[commands]\ntimeout = 5\nwallabag = "wallabag add {url}"\n'
                    'save = { run = "tee -a saved.md", key = "S", timeout = 2 }\n'
                    '[commands.keys]\nwallabag = "W"\n')
    commands = load_settings(path).commands
    assert list(commands) == ["wallabag", "save"]
    assert (commands["wallabag"].key, commands["wallabag"].timeout) == ("W", 5)
    assert (commands["save"].key, commands["save"].timeout) == ("S", 2)
    path.write_text('[commands.keys]\nnope = "N"\n')
    with pytest.raises(ConfigError, match="keys names no command 'nope'"):
        load_settings(path)
    path.write_text('[commands]\n"bad name" = "x"\n')
    with pytest.raises(ConfigError, match="no command name"):
        load_settings(path)


# -- running --------------------------------------------------------------------------------
def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "cmd.py"
    path.write_text("import sys\n" + body)
    return str(path)


def test_the_program_gets_stdin_and_its_output_and_status_are_kept(tmp_path: Path) -> None:
    program = script(tmp_path, "data = sys.stdin.read()\nprint(len(data), sys.argv[1:])\n"
                               "print('oops', file=sys.stderr)\nsys.exit(3)\n")
    result = run_command("t", [sys.executable, program, "a b", "$(x)"], b"hello", 10)
    assert (result.status, result.exit_code) == ("failed", 3)
    assert "5 ['a b', '$(x)']" in result.output and "oops" in result.output
    assert result.summary() == "t: failed (exit 3): oops"


def test_a_flood_of_output_is_capped_and_a_hang_is_killed(tmp_path: Path) -> None:
    flood = script(tmp_path, "sys.stdout.write('x' * 5_000_000)\n")
    result = run_command("flood", [sys.executable, flood], b"", 20)
    assert result.status == "ok" and result.truncated and len(result.output) == OUTPUT_CAP
    hang = script(tmp_path, "import time\nprint('started', flush=True)\ntime.sleep(60)\n")
    result = run_command("hang", [sys.executable, hang], b"", 1)
    assert result.status == "timeout" and "started" in result.output
    assert "killed" in result.summary()


def test_a_missing_program_is_one_clear_line() -> None:
    result = run_command("gone", ["no-such-program-here"], b"", 5)
    assert result.status == "error"
    assert result.summary() == ("gone: no-such-program-here: no such program (check "
                                "[commands] in config.toml and your PATH)")


def test_reader_run_on_the_command_line(paths: Paths, server: FeedServer, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    server.routes["/a"] = Route(rss("Feed", [("1", "-rf $(reboot); echo")]))
    program = script(tmp_path, "doc = sys.stdin.read()\nprint(sys.argv[1:])\n"
                               "print(doc.splitlines()[0])\n")
    paths.config_file.parent.mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text(
        f'[commands]\nshow = "{sys.executable} {program} {{title}} {{url}}"\n'
        f'fail = "{sys.executable} -c \'import sys; sys.exit(4)\'"\n'
        'missing = "no-such-program-here {id}"\n')
    assert main(["add", server.url("/a")]) == 0
    assert main(["refresh"]) == 0
    capsys.readouterr()
    assert main(["articles", "--json"]) == 0
    [item] = json.loads(capsys.readouterr().out)
    assert main(["run", "show", item["id"]]) == 0
    out = capsys.readouterr().out
    assert f"['‐rf $(reboot); echo', '{item['link']}']" in out
    assert "# -rf $(reboot); echo" in out  # the article's Markdown came on stdin
    assert main(["run", "fail", item["id"]]) == 1
    assert "fail: failed (exit 4)" in capsys.readouterr().err
    assert main(["run", "missing", item["id"]]) == 2
    assert "no such program" in capsys.readouterr().err
    assert main(["run", "nope", item["id"]]) == 2
    assert "no command 'nope'" in capsys.readouterr().err
