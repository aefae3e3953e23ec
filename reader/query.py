"""The query language: which articles a query feed, a filter rule, `reader articles --query`
and the app's `/` choose.

    title ~ "ukraine" and feed = "AMN" and unread and age < 3d
    (tag = "news" or tag = "world") and not bookmarked
    author !~ "staff" and date >= 2026-11-01

Grammar (keywords and field names in any case):

    query      := or_expr END
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | comparison | flag
    comparison := FIELD OPERATOR VALUE
    flag       := unread | read | bookmarked | annotated       (also `unread = no`)
    VALUE      := "quoted \\"string\\"" | 'single' | word | duration (30m 3d 2w) | date

Text fields (title, author, feed, feedurl, link, tag, category) take = != (equal, ignoring
case) and ~ !~ (contains, ignoring case); `tag` and `category` match when any of the
article's tags does, and `tag = "news"` takes in the folders inside it (`news/middle-east`).
`text` takes ~ !~ only: every word of the value starts a word of the article (its title,
author or text), as the app's search does. `age` compares with a
duration (`age < 3d`: newer than three days), `date` with a day or a time (`date >=
2026-11-01`, `date = 2026-11-30` is that whole day, in local time).

Pure: no I/O and no Textual. `parse` raises QueryError, whose message says at which column
what was expected ("at column 14: expected a value after '~'").
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from reader.errors import ReaderError


class QueryError(ReaderError):
    """A query that does not parse; `column` (1-based) is where the problem is."""

    def __init__(self, message: str, column: int) -> None:
        super().__init__(f"at column {column}: {message}")
        self.column = column
        self.detail = message


class Subject(Protocol):
    """What a query looks at: an article with its feed's title, URL and tags."""

    title: str
    author: str
    link: str
    feed_title: str
    feed_url: str
    tags: Sequence[str]
    categories: Sequence[str]
    read: bool
    bookmarked: bool
    notes: int
    date: float

    def has_text(self, words: str) -> bool:
        """Every word of `words` starts a word of the article's title, author or text."""
        ...


TEXT_FIELDS = {"title": "title", "author": "author", "feed": "feed_title",
               "feedurl": "feed_url", "link": "link"}
"""Field -> the Subject attribute it compares (one string each)."""
LIST_FIELDS = {"tag": "tags", "category": "categories"}
"""Field -> the Subject attribute holding several strings (any one may match)."""
FLAGS = ("unread", "read", "bookmarked", "annotated")
ALIASES = {"feedtitle": "feed", "url": "link", "tags": "tag", "categories": "category",
           "content": "text", "rssurl": "feedurl", "starred": "bookmarked",
           "flagged": "bookmarked", "notes": "annotated"}
FIELDS = (*TEXT_FIELDS, *LIST_FIELDS, "text", *FLAGS, "age", "date")
OPERATORS = ("=", "!=", "~", "!~", "<", "<=", ">", ">=")
_OP_ALIASES = {"==": "=", "=~": "~"}
_TRUE, _FALSE = ("yes", "true", "on", "1"), ("no", "false", "off", "0")
_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400,
          "y": 365 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(s|min|m|h|d|w|y)", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
_SPECIAL = '()=!~<>"\''


# -- tokens ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    """One piece of a query: kind is "word", "string", "op", "(", ")" or "end"."""

    kind: str
    text: str
    column: int
    """1-based column of its first character."""

    def describe(self) -> str:
        """The token as an error message names it."""
        if self.kind == "end":
            return "the end"
        if self.kind == "string":
            return f'"{_shorten(self.text)}"'
        return f"'{_shorten(self.text)}'"


def _shorten(text: str) -> str:
    return text if len(text) <= 30 else text[:29] + "…"


def tokenize(source: str) -> list[Token]:
    """The tokens of `source`, ending with an "end" token; QueryError on an unclosed string
    or a lone '!'."""
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        char = source[i]
        if char.isspace():
            i += 1
        elif char in "()":
            tokens.append(Token(char, char, i + 1))
            i += 1
        elif char in "\"'":
            start, i = i, i + 1
            parts: list[str] = []
            while i < n and source[i] != char:
                if source[i] == "\\" and i + 1 < n:
                    nxt = source[i + 1]
                    parts.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
                    i += 2
                else:
                    parts.append(source[i])
                    i += 1
            if i >= n:
                raise QueryError(f"the string that starts here has no closing {char}",
                                 start + 1)
            tokens.append(Token("string", "".join(parts), start + 1))
            i += 1
        elif char in "=!~<>":
            two = source[i:i + 2]
            if two in ("!=", "!~", "<=", ">=", "==", "=~"):
                tokens.append(Token("op", _OP_ALIASES.get(two, two), i + 1))
                i += 2
            elif char == "!":
                raise QueryError("expected '!=' or '!~' ('!' alone means nothing; use 'not')",
                                 i + 1)
            else:
                tokens.append(Token("op", char, i + 1))
                i += 1
        else:
            start = i
            while i < n and not source[i].isspace() and source[i] not in _SPECIAL:
                i += 1
            tokens.append(Token("word", source[start:i], start + 1))
    tokens.append(Token("end", "", n + 1))
    return tokens


# -- the tree -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Compare:
    """`field op value`, with the value already checked and converted."""

    field: str
    op: str
    value: str | float | tuple[float, float]
    """A string; seconds (age); or (start, end) timestamps of a date (end excluded)."""


@dataclass(frozen=True)
class Flag:
    """A yes/no field: unread, read, bookmarked, annotated (`negated`: `= no`)."""

    field: str
    negated: bool = False


@dataclass(frozen=True)
class Not:
    part: Node


@dataclass(frozen=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Node, ...]


Node = Compare | Flag | Not | And | Or


class _Parser:
    """Recursive descent over the tokens; one method per rule of the grammar."""

    def __init__(self, source: str) -> None:
        self.tokens = tokenize(source)
        self.at = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        if token.kind != "end":
            self.at += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.token
        if token.kind == "word" and token.text.lower() == word:
            self.at += 1
            return True
        return False

    def query(self) -> Node:
        if self.token.kind == "end":
            raise QueryError("expected a query, e.g. title ~ \"word\" and unread",
                             self.token.column)
        node = self.or_expr()
        if self.token.kind != "end":
            after = self.tokens[self.at - 1]
            raise QueryError(f"expected 'and', 'or' or the end after {after.describe()}, "
                             f"found {self.token.describe()}", self.token.column)
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.not_expr()]
        while self.keyword("and"):
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def not_expr(self) -> Node:
        token = self.token
        if self.keyword("not"):
            if self.token.kind == "end":
                raise QueryError("expected a condition after 'not'", self.token.column)
            return Not(self.not_expr())
        if token.kind == "(":
            self.take()
            node = self.or_expr()
            if self.token.kind != ")":
                raise QueryError(f"expected ')' to close the '(' at column {token.column}, "
                                 f"found {self.token.describe()}", self.token.column)
            self.take()
            return node
        return self.condition()

    def condition(self) -> Node:
        token = self.take()
        if token.kind != "word" or token.text.lower() in ("and", "or"):
            raise QueryError(f"expected a field ({', '.join(FIELDS)}), "
                             f"found {token.describe()}", token.column)
        name = token.text.lower()
        name = ALIASES.get(name, name)
        if name not in FIELDS:
            raise QueryError(f"unknown field '{_shorten(token.text)}'; fields: "
                             f"{', '.join(FIELDS)}", token.column)
        if self.token.kind != "op":
            if name in FLAGS:
                return Flag(name)
            raise QueryError(f"expected an operator ({' '.join(OPERATORS)}) after "
                             f"'{token.text}'", self.token.column)
        op_token = self.take()
        value = self.take()
        if value.kind not in ("word", "string") or (
                value.kind == "word" and value.text.lower() in ("and", "or", "not")):
            raise QueryError(f"expected a value after '{op_token.text}', found "
                             f"{value.describe()}", value.column)
        return _compare(name, op_token, value)


def _compare(name: str, op_token: Token, value: Token) -> Node:
    """The checked comparison `name op value` (QueryError when they do not go together)."""
    op, text = op_token.text, value.text
    if name in FLAGS:
        if op not in ("=", "!="):
            raise QueryError(f"{name} takes = or != (or stands alone), not '{op}'",
                             op_token.column)
        if text.lower() not in _TRUE + _FALSE:
            raise QueryError(f"expected yes or no after '{name} {op}', found "
                             f"{value.describe()}", value.column)
        return Flag(name, negated=(text.lower() in _FALSE) == (op == "="))
    if name in TEXT_FIELDS or name in LIST_FIELDS or name == "text":
        allowed = ("~", "!~") if name == "text" else ("=", "!=", "~", "!~")
        if op not in allowed:
            raise QueryError(f"{name} takes {' '.join(allowed)}, not '{op}'", op_token.column)
        return Compare(name, op, text)
    if op in ("~", "!~"):
        raise QueryError(f"{name} takes = != < <= > >=, not '{op}'", op_token.column)
    if name == "age":
        if op in ("=", "!="):
            raise QueryError("age takes < <= > >= (age < 3d: newer than 3 days), "
                             f"not '{op}'", op_token.column)
        return Compare(name, op, _seconds(value))
    return Compare(name, op, _day(value))


def _seconds(value: Token) -> float:
    match = _DURATION.fullmatch(value.text)
    if value.kind != "word" or match is None:
        raise QueryError(f"expected a duration like 30m, 12h, 3d or 2w, found "
                         f"{value.describe()}", value.column)
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def _day(value: Token) -> tuple[float, float]:
    """(start, end) of the day (or the minute) a date value names, in local time."""
    match = _DATE.fullmatch(value.text.strip())
    if match is None:
        raise QueryError(f"expected a date like 2026-11-30 (or 2026-11-30T08:00), found "
                         f"{value.describe()}", value.column)
    year, month, day, hour, minute = match.groups()
    try:
        start = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0))
        end = start + (timedelta(minutes=1) if hour is not None else timedelta(days=1))
        return _stamp(start), _stamp(end)
    except (ValueError, OverflowError, OSError):
        raise QueryError(f"{value.describe()} is no date", value.column) from None


def _stamp(moment: datetime) -> float:
    return time.mktime(moment.timetuple())


# -- the parsed query -----------------------------------------------------------------------

Predicate = Callable[[Subject], bool]


@dataclass(frozen=True)
class Query:
    """A parsed query: `matcher(now)` tells which subjects it chooses."""

    source: str
    tree: Node

    @property
    def uses_text(self) -> bool:
        """The query looks at the articles' text (`text ~ ...`)."""
        return bool(self.text_values())

    def text_values(self) -> list[str]:
        """The values `text ~` / `text !~` look for (a caller may look them up at once)."""
        out: list[str] = []

        def walk(node: Node) -> None:
            if isinstance(node, Compare) and node.field == "text":
                out.append(str(node.value))
            elif isinstance(node, Not):
                walk(node.part)
            elif isinstance(node, And | Or):
                for part in node.parts:
                    walk(part)

        walk(self.tree)
        return out

    def matcher(self, now: float | None = None) -> Predicate:
        """A predicate over subjects; `age` is measured from `now` (default: the clock)."""
        return _compile(self.tree, time.time() if now is None else now)

    def matches(self, subject: Subject, now: float | None = None) -> bool:
        """One subject (for many, make one `matcher`)."""
        return self.matcher(now)(subject)


def parse(source: str) -> Query:
    """The parsed query; QueryError (with the column) when it is not one."""
    if not isinstance(source, str):
        raise QueryError("a query is text", 1)
    try:
        return Query(source, _Parser(source).query())
    except RecursionError:
        raise QueryError("too deeply nested", 1) from None


def looks_like_query(text: str) -> bool:
    """True when `text` is meant as a query rather than words to search for: it compares
    (has an operator: = != ~ !~ < <= > >=), or joins yes/no fields with and/or/not
    (`unread and bookmarked`). Plain words stay a plain search: "ukraine war", "unread",
    "Biden's plan", "Windows (11)", "wow!"."""
    try:
        tokens = tokenize(text)
    except QueryError:  # an unclosed quote ("what's new") or a lone '!': an operator says
        return _OPERATOR.search(text) is not None
    if any(t.kind == "op" for t in tokens):
        return True
    words = [t.text.lower() for t in tokens if t.kind == "word"]
    return len(words) > 1 and any(w in ("and", "or", "not") for w in words) and all(
        w in ("and", "or", "not") or ALIASES.get(w, w) in FLAGS for w in words) and all(
        t.kind in ("word", "(", ")", "end") for t in tokens)


_OPERATOR = re.compile(r"!=|!~|[=~<>]")


def _compile(node: Node, now: float) -> Predicate:
    if isinstance(node, And):
        parts = [_compile(p, now) for p in node.parts]
        return lambda s: all(p(s) for p in parts)
    if isinstance(node, Or):
        parts = [_compile(p, now) for p in node.parts]
        return lambda s: any(p(s) for p in parts)
    if isinstance(node, Not):
        part = _compile(node.part, now)
        return lambda s: not part(s)
    if isinstance(node, Flag):
        test = _FLAG_TESTS[node.field]
        return (lambda s: not test(s)) if node.negated else test
    return _compile_compare(node, now)


_FLAG_TESTS: dict[str, Predicate] = {
    "unread": lambda s: not s.read, "read": lambda s: s.read,
    "bookmarked": lambda s: s.bookmarked, "annotated": lambda s: s.notes > 0,
}


def _compile_compare(node: Compare, now: float) -> Predicate:
    field, op, value = node.field, node.op, node.value
    negate = op in ("!=", "!~")
    test: Predicate
    if field == "text":
        words = str(value)
        test = lambda s: s.has_text(words)  # noqa: E731
    elif field in TEXT_FIELDS or field in LIST_FIELDS:
        wanted = str(value).casefold()
        contains = op in ("~", "!~")

        below = wanted + "/" if field == "tag" else None  # tags nest: news/middle-east

        def one(text: str) -> bool:
            folded = (text or "").casefold()
            if contains:
                return wanted in folded
            return folded == wanted or below is not None and folded.startswith(below)

        if field in TEXT_FIELDS:
            attr = TEXT_FIELDS[field]
            test = lambda s: one(getattr(s, attr))  # noqa: E731
        else:
            attr = LIST_FIELDS[field]
            test = lambda s: any(one(t) for t in getattr(s, attr))  # noqa: E731
    elif field == "age":
        limit = float(value)  # type: ignore[arg-type]
        compare = _NUMBER_OPS[op]
        return lambda s: compare(now - (s.date or 0.0), limit)
    else:
        start, end = value  # type: ignore[misc]
        return _date_test(op, start, end)
    return (lambda s: not test(s)) if negate else test


_NUMBER_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b,
}


def _date_test(op: str, start: float, end: float) -> Predicate:
    """A date compared with a day [start, end): `<` before it, `<=` before its end, ..."""
    tests: dict[str, Predicate] = {
        "=": lambda s: start <= s.date < end, "!=": lambda s: not start <= s.date < end,
        "<": lambda s: s.date < start, "<=": lambda s: s.date < end,
        ">": lambda s: s.date >= end, ">=": lambda s: s.date >= start,
    }
    return tests[op]


def quote(text: str) -> str:
    """`text` as a quoted query string (for building queries from values)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- newsboat's filter language -------------------------------------------------------------

_NB_TOKEN = re.compile(r'\s+|(?P<paren>[()])|(?P<string>"(?:\\.|[^"\\])*")'
                       r'|(?P<op>!=~|=~|!=|<=|>=|!#|=|<|>|#)|(?P<word>[^\s()"=!<>#]+)')
_NB_TEXT = {"title": "title", "author": "author", "link": "link", "feedtitle": "feed",
            "rssurl": "feedurl", "content": "text", "description": "text"}
_NB_OPS = {"=": "=", "!=": "!=", "=~": "~", "!=~": "!~"}
_REGEX_META = set("^$*+?()[]{}\\")
"""Regular-expression characters that stop a pattern carrying over ('.' is taken as the
dot it nearly always means: `example.com`)."""


def from_newsboat(expression: str) -> str:
    """A newsboat filter expression (its `query:` feeds and killfile) in this language, e.g.
    `title =~ "ukraine" and unread = "yes" and age < 3` -> `title ~ "ukraine" and unread
    and age < 3d`. What has no counterpart here (regular expressions beyond plain words and
    `a|b`, `between`, flags, dates) raises QueryError naming it."""
    out: list[str] = []
    tokens = [(m.lastgroup, m.group(), m.start() + 1) for m in _NB_TOKEN.finditer(expression)
              if m.lastgroup]
    if sum(len(m.group()) for m in _NB_TOKEN.finditer(expression)) != len(expression):
        raise QueryError("not a newsboat filter expression", 1)
    i = 0
    while i < len(tokens):
        kind, text, column = tokens[i]
        if kind == "paren" or text.lower() in ("and", "or"):
            out.append(text.lower())
            i += 1
            continue
        if kind != "word":
            raise QueryError(f"expected an attribute, found {text!r}", column)
        if i + 2 >= len(tokens) or tokens[i + 1][0] != "op":
            raise QueryError(f"expected an operator and a value after {text!r}", column)
        op, value = tokens[i + 1][1], tokens[i + 2][1]
        if value.startswith('"'):
            value = re.sub(r'\\(["\\])', r"\1", value[1:-1])
        out.append(_nb_condition(text.lower(), op, value, column))
        i += 3
    translated = " ".join(out).replace("( ", "(").replace(" )", ")")
    parse(translated)  # what came out is always checked
    return translated


def _nb_condition(attribute: str, op: str, value: str, column: int) -> str:
    """One newsboat comparison in this language."""
    if attribute == "unread" and op in ("=", "!=") and value.lower() in ("yes", "no"):
        return "unread" if (value.lower() == "yes") == (op == "=") else "not unread"
    if attribute == "age" and op in ("<", "<=", ">", ">=") and value.isdigit():
        return f"age {op} {value}d"
    if attribute == "tags" and op in ("#", "!#"):
        return f"tag {'=' if op == '#' else '!='} {quote(value)}"
    field = _NB_TEXT.get(attribute)
    if field is None or op not in _NB_OPS or (field == "text" and op in ("=", "!=")):
        raise QueryError(f"'{attribute} {op}' has no counterpart here", column)
    if op in ("=", "!="):
        return f"{field} {op} {quote(value)}"
    words = _plain_alternatives(value)
    if words is None:
        raise QueryError(f"the regular expression {value!r} is more than plain words "
                         "(only 'word' and 'one|other' carry over)", column)
    ours = _NB_OPS[op]
    joined = f" {'or' if ours == '~' else 'and'} ".join(
        f"{field} {ours} {quote(w)}" for w in words)
    return f"({joined})" if len(words) > 1 else joined


def _plain_alternatives(regex: str) -> list[str] | None:
    """The literal words of `word` or `one|other|(?i)third`, None when it is a real pattern."""
    regex = regex.removeprefix("(?i)")
    words = []
    for part in regex.split("|"):
        literal, i = [], 0
        while i < len(part):
            if part[i] == "\\" and i + 1 < len(part) and not part[i + 1].isalnum():
                literal.append(part[i + 1])
                i += 2
            elif part[i] in _REGEX_META:
                return None
            else:
                literal.append(part[i])
                i += 1
        if not "".join(literal).strip():
            return None
        words.append("".join(literal))
    return words


_NB_FIELDS = {"title": "title", "author": "author", "link": "link", "feed": "feedtitle",
              "feedurl": "rssurl"}
_NB_INVERSE = {"=": "!=", "!=": "=", "~": "!~", "!~": "~", "<": ">=", "<=": ">", ">": "<=",
               ">=": "<"}


def to_newsboat(query: Query) -> str | None:
    """The query in newsboat's filter language, for a urls file newsboat reads; None when
    part of it has no counterpart there (dates, bookmarked, annotated, `tag ~`, ages that
    are not whole days)."""
    try:
        return _nb_node(query.tree, False)
    except ValueError:
        return None


def _nb_node(node: Node, negated: bool) -> str:
    """newsboat has no `not`: negations are pushed down (De Morgan) to the comparisons."""
    if isinstance(node, Not):
        return _nb_node(node.part, not negated)
    if isinstance(node, And | Or):
        joiner = " or " if isinstance(node, And) == negated else " and "
        return "(" + joiner.join(_nb_node(p, negated) for p in node.parts) + ")"
    if isinstance(node, Flag):
        if node.field not in ("unread", "read"):
            raise ValueError(node.field)
        unread = (node.field == "unread") ^ node.negated ^ negated
        return f'unread = "{"yes" if unread else "no"}"'
    op = _NB_INVERSE[node.op] if negated else node.op
    if node.field == "age":
        days = float(node.value) / 86400  # type: ignore[arg-type]
        if days != int(days):
            raise ValueError("age")
        return f"age {op} {int(days)}"
    if node.field == "tag" and op in ("=", "!="):
        return f"tags {'#' if op == '=' else '!#'} {_nb_quote(str(node.value))}"
    if node.field not in _NB_FIELDS:
        raise ValueError(node.field)
    value = str(node.value)
    if op in ("~", "!~"):
        value = re.sub(r"([][.^$*+?(){}|\\])", r"\\\1", value)
    return f"{_NB_FIELDS[node.field]} {_NB_REVERSE.get(op, op)} {_nb_quote(value)}"


_NB_REVERSE = {"~": "=~", "!~": "!=~"}


def _nb_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
