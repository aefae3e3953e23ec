"""reader.argv: a user's command template with hostile values put in, never split or shelled."""

from __future__ import annotations

import pytest

from reader.argv import TemplateError, build_argv


def test_each_placeholder_is_replaced_inside_its_own_argument() -> None:
    argv = build_argv("mpv --no-video --title='{title} ({feed})' {url}",
                      {"url": "https://e.com/a.mp3", "title": "Ep 1", "feed": "Show"})
    assert argv == ["mpv", "--no-video", "--title=Ep 1 (Show)", "https://e.com/a.mp3"]


def test_a_hostile_value_stays_one_argument_and_is_never_expanded() -> None:
    evil = "https://e.com/x.mp3 --script=/tmp/evil.lua; rm -rf ~ `id` $(id) {title}"
    argv = build_argv("player {url}", {"url": evil, "title": "T"})
    assert argv == ["player", evil]


def test_without_a_placeholder_the_value_is_appended_when_asked() -> None:
    assert build_argv("mpv", {"url": "u"}, append="url") == ["mpv", "u"]
    assert build_argv("mpv", {"url": "u"}) == ["mpv"]
    assert build_argv(["vlc", "--play-and-exit", "{url}"], {"url": "u"}) == \
        ["vlc", "--play-and-exit", "u"]


def test_quotes_in_the_template_are_honoured_and_literal_braces_kept() -> None:
    assert build_argv('"/opt/my player/bin" "{x}" {url}', {"url": "u"}) == \
        ["/opt/my player/bin", "{x}", "u"]


@pytest.mark.parametrize("template", ["", "   ", "mpv 'unclosed {url}"])
def test_unusable_templates_say_so(template: str) -> None:
    with pytest.raises(TemplateError):
        build_argv(template, {"url": "u"})
