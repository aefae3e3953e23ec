"""The query language (reader.query): its grammar, its errors, each field and operator, and
newsboat's filter expressions translated."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.query import (
    FIELDS,
    QueryError,
    from_newsboat,
    looks_like_query,
    parse,
    quote,
    to_newsboat,
)

NOW = time.mktime(datetime(2026, 11, 30, 12, 0).timetuple())


@dataclass
class Item:
    """A Subject for the tests."""

    title: str = "Ukraine: talks resume"
    author: str = "Jane Doe"
    link: str = "https://news.example.com/a/1"
    feed_title: str = "AMN Al-Masdar News"
    feed_url: str = "https://amn.example/feed"
    tags: list[str] = field(default_factory=lambda: ["news", "world/europe"])
    categories: list[str] = field(default_factory=lambda: ["Politics"])
    read: bool = False
    bookmarked: bool = False
    notes: int = 0
    date: float = NOW - 2 * 86400
    words: str = "talks resume in geneva"

    def has_text(self, words: str) -> bool:
        return all(any(w.startswith(x) for w in self.words.split())
                   for x in words.lower().split())


def chooses(source: str, item: Item | None = None) -> bool:
    return parse(source).matches(item or Item(), NOW)


def test_the_issue_example_parses_and_chooses() -> None:
    query = 'title ~ "ukraine" and feed = "amn al-masdar news" and unread and age < 3d'
    assert chooses(query)
    assert not chooses(query, Item(read=True))
    assert not chooses(query, Item(date=NOW - 4 * 86400))


@pytest.mark.parametrize(("source", "expected"), [
    ('title ~ "UKRAINE"', True), ('title !~ "ukraine"', False),
    ('title = "ukraine: talks resume"', True), ('title != "ukraine: talks resume"', False),
    ('title = "ukraine"', False), ("author ~ doe", True), ('author = "jane doe"', True),
    ('feed ~ "masdar"', True), ('feed = "AMN"', False), ('feedurl ~ "amn.example"', True),
    ('link ~ "news.example.com"', True), ('link !~ "example"', False),
    ('tag = "news"', True), ('tag = "new"', False), ('tag ~ "wor"', True),
    ('tag = "world"', True), ('tag = "world/africa"', False), ('tag = "worl"', False),
    ('tag != "news"', False), ('tag !~ "sport"', True), ('category = politics', True),
    ('text ~ "gene"', True), ('text ~ "geneva talks"', True), ('text ~ "paris"', False),
    ('text !~ "paris"', True),
    ("unread", True), ("read", False), ("bookmarked", False), ("annotated", False),
    ("unread = yes", True), ("unread = no", False), ("unread != no", True),
    ("bookmarked = false", True),
    ("age < 3d", True), ("age < 1d", False), ("age > 47h", True), ("age >= 2w", False),
    ("age <= 3000m", True), ("age > 2880m", False),
    ("date = 2026-11-28", True), ("date = 2026-11-29", False), ("date != 2026-11-28", False),
    ("date < 2026-11-28", False), ("date <= 2026-11-28", True), ("date > 2026-11-28", False),
    ("date >= 2026-11-28", True), ("date > 2026-11-27", True),
    ("date >= 2026-11-28T12:00", True), ("date > 2026-11-28T12:00", False),
    ("not unread", False), ("not not unread", True),
    ("read or unread", True), ("read and unread", False),
    ("(read or bookmarked) or unread", True), ("read or bookmarked and unread", False),
    ("(read or unread) and not bookmarked", True),
    ('TITLE ~ "talks" AND Unread', True), ('feedtitle ~ amn', True), ('url ~ "a/1"', True),
    ('tags = world', True), ("tag = world/europe", True), ('tag != "world"', False),
    ('content ~ geneva', True), ("starred", False),
])
def test_each_field_and_operator(source: str, expected: bool) -> None:
    assert chooses(source) is expected


def test_annotated_and_bookmarked_flags() -> None:
    assert chooses("annotated and bookmarked", Item(notes=2, bookmarked=True))
    assert not chooses("annotated", Item(notes=0))


def test_strings_with_escapes_and_both_quotes() -> None:
    item = Item(title='He said "no" \\ then left')
    assert chooses(r'title ~ "said \"no\" \\ then"', item)
    assert chooses("title ~ 'said \"no\"'", item)
    assert chooses("title = " + quote(item.title), item)


@pytest.mark.parametrize(("source", "column", "expected"), [
    ('title ~ "ukraine" and feed ~', 29, "expected a value after '~'"),
    ("title ~", 8, "expected a value after '~'"),
    ("titel = x", 1, "unknown field 'titel'"),
    ("title x", 7, "expected an operator"),
    ("title ~ ukraine war", 17, "expected 'and', 'or' or the end after 'ukraine'"),
    ("(unread", 8, "expected ')' to close the '(' at column 1"),
    ("unread)", 7, "expected 'and', 'or' or the end"),
    ('title ~ "open', 9, "no closing \""),
    ("title ! x", 7, "'!' alone"),
    ("", 1, "expected a query"),
    ("   ", 4, "expected a query"),
    ("and unread", 1, "expected a field"),
    ("unread and", 11, "expected a field"),
    ("not", 4, "expected a condition after 'not'"),
    ("age < 3", 7, "expected a duration like 30m"),
    ("age = 3d", 5, "age takes < <= > >="),
    ("age ~ 3d", 5, "age takes = != < <= > >=, not '~'"),
    ("date < 2026-02-30", 8, "is no date"),
    ("date < yesterday", 8, "expected a date like 2026-11-30"),
    ("title < x", 7, "title takes = != ~ !~"),
    ("text = x", 6, "text takes ~ !~"),
    ("unread = maybe", 10, "expected yes or no"),
    ("unread ~ yes", 8, "unread takes = or !="),
    ("title ~ and", 9, "expected a value after '~'"),
])
def test_errors_say_where_and_what_was_expected(source: str, column: int, expected: str
                                                ) -> None:
    with pytest.raises(QueryError) as caught:
        parse(source)
    assert caught.value.column == column
    assert str(caught.value).startswith(f"at column {column}: ")
    assert expected in str(caught.value)


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(QueryError):
        parse("(" * 5000 + "unread" + ")" * 5000)
    with pytest.raises(QueryError):
        parse("not " * 5000 + "unread")


ALPHABET = st.sampled_from(list('()=!~<>"\'\\ ab3dw-T:') + ["title", "and", "or", "not",
                                                            "unread", "age", "date", "tag",
                                                            "2026-11-30", "\x00", "é"])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(ALPHABET, max_size=14).map("".join),
                 st.lists(ALPHABET, max_size=14).map(" ".join)))
def test_any_text_parses_or_gives_a_positioned_error(source: str) -> None:
    try:
        query = parse(source)
    except QueryError as exc:
        assert 1 <= exc.column <= len(source) + 1
        assert str(exc).startswith(f"at column {exc.column}: ")
        return
    assert isinstance(query.matches(Item(), NOW), bool)  # and it evaluates
    assert isinstance(looks_like_query(source), bool)
    newsboat = to_newsboat(query)
    if newsboat is not None:  # what is exported for newsboat comes back
        parse(from_newsboat(newsboat))


@pytest.mark.parametrize(("text", "expected"), [
    ("ukraine war", False), ("unread", False), ("title", False), ("not news", False),
    ("title ~ ukraine", True), ('"exact words"', False), ("unread and bookmarked", True),
    ("title ~", True), ("(unread or bookmarked) and not read", True),
    ("what's new", False), ("Biden's plan's cost", False), ("Windows (11)", False),
    ("wow!", False), ('title ~ "open', True), ("date >", True),
])
def test_plain_words_stay_a_plain_search(text: str, expected: bool) -> None:
    assert looks_like_query(text) is expected


def test_fields_are_listed_in_the_errors() -> None:
    with pytest.raises(QueryError) as caught:
        parse("nope = 1")
    assert all(name in str(caught.value) for name in FIELDS)


@pytest.mark.parametrize(("newsboat", "ours"), [
    ('unread = "yes"', "unread"),
    ('unread = "no"', "not unread"),
    ('unread != "yes"', "not unread"),
    ('title =~ "ukraine" and age < 3', 'title ~ "ukraine" and age < 3d'),
    ('title =~ "sponsored|advert"', '(title ~ "sponsored" or title ~ "advert")'),
    ('title !=~ "a|b"', '(title !~ "a" and title !~ "b")'),
    ('feedtitle = "AMN" or author =~ "(?i)doe"', 'feed = "AMN" or author ~ "doe"'),
    ('( tags # "news" or rssurl =~ "example\\.com" ) and unread = "yes"',
     '(tag = "news" or feedurl ~ "example.com") and unread'),
    ('tags !# "sport"', 'tag != "sport"'),
    ('content =~ "geneva"', 'text ~ "geneva"'),
])
def test_newsboat_filters_translate(newsboat: str, ours: str) -> None:
    assert from_newsboat(newsboat) == ours
    parse(ours)


@pytest.mark.parametrize(("newsboat", "expected"), [
    ('title =~ "^breaking"', "more than plain words"),
    ('flags # "s"', "'flags #' has no counterpart"),
    ("age between 1:3", "expected an operator and a value"),
    ('content = "x"', "'content =' has no counterpart"),
    ('title = "x" !', "not a newsboat filter expression"),
])
def test_newsboat_filters_that_do_not_carry_over_say_why(newsboat: str, expected: str) -> None:
    with pytest.raises(QueryError) as caught:
        from_newsboat(newsboat)
    assert expected in str(caught.value)


NEWSBOAT_ALPHABET = st.sampled_from(list('()=!~<>#"\\ ab3|^.') + [
    "title", "and", "or", "unread", "age", "tags", "content", "feedtitle", '"yes"', "=~",
    "!=~", "between", "\x00"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=50), st.lists(NEWSBOAT_ALPHABET, max_size=12).map(" ".join)))
def test_any_newsboat_expression_translates_or_says_why(expression: str) -> None:
    try:
        translated = from_newsboat(expression)
    except QueryError as exc:
        assert exc.column >= 1
        return
    parse(translated)  # what comes out always parses


@pytest.mark.parametrize(("ours", "newsboat"), [
    ('title ~ "ukraine" and unread and age < 3d',
     '(title =~ "ukraine" and unread = "yes" and age < 3)'),
    ("not (read or tag = news)", '(unread = "yes" and tags !# "news")'),
    ('feed = "AMN" or author !~ "a.b"', '(feedtitle = "AMN" or author !=~ "a\\\\.b")'),
    ("not age < 2d", "age >= 2"),
    ("date > 2026-01-01", None), ("bookmarked", None), ("age < 3h", None),
    ('tag ~ "new"', None), ('text ~ "x"', None),
])
def test_queries_said_in_newsboats_filter_language(ours: str, newsboat: str | None) -> None:
    assert to_newsboat(parse(ours)) == newsboat
