"""A command line from a template the user wrote, with values from elsewhere put in safely.

The template (config.toml's `player = "mpv --no-video {url}"`) is split once, as a shell would
split it (`shlex`); each placeholder is then replaced inside the argument it stands in. The
values (a URL from a feed, a title) are never split, never parsed by a shell, never turned
into extra arguments: `{url}` of `a b; rm -rf ~` is one argument with that text."""

from __future__ import annotations

import shlex
from collections.abc import Mapping


class TemplateError(ValueError):
    """The template cannot be used (empty, unbalanced quotes, an unknown placeholder)."""


def split_template(template: str) -> list[str]:
    """The template's words (shell quoting rules, no shell); TemplateError when it has none
    or its quotes do not close."""
    try:
        words = shlex.split(template)
    except ValueError as exc:
        raise TemplateError(f"cannot split {template!r}: {exc}") from None
    if not words:
        raise TemplateError("the command is empty")
    return words


def build_argv(template: str | list[str], values: Mapping[str, str], *,
               append: str = "") -> list[str]:
    """The argv of `template` with each `{name}` of `values` replaced in the word it stands in.
    `append`: a placeholder name added as the last argument when the template names none of
    the values (`mpv` alone plays `{url}`). Literal braces stay as written; a value is never
    searched for placeholders again (a URL holding `{url}` stays as it is)."""
    words = split_template(template) if isinstance(template, str) else list(template)
    if not words:
        raise TemplateError("the command is empty")
    marks = {f"{{{name}}}": value for name, value in values.items()}
    out: list[str] = []
    used = False
    for word in words:
        pieces: list[str] = []
        position = 0
        while position < len(word):
            found = min(((word.find(m, position), m) for m in marks if m in word[position:]),
                        default=(-1, ""))
            if found[0] < 0:
                pieces.append(word[position:])
                break
            start, mark = found
            pieces.append(word[position:start])
            pieces.append(marks[mark])
            used = True
            position = start + len(mark)
        out.append("".join(pieces))
    if append and not used:
        out.append(values[append])
    return out
