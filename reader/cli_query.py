"""The command line's queries: `reader articles --query/--sort/--hidden` and `reader
query-feeds` (list, add, remove). reader.cli hooks these in with a few lines."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from reader.errors import LibraryError
from reader.library import SORT_ORDERS, Library
from reader.query import QueryError, parse


def add_article_options(parser: argparse.ArgumentParser) -> None:
    """`reader articles` options: --query, --sort, --hidden."""
    parser.add_argument("--query", metavar="EXPR",
                        help='only articles the query chooses, e.g. \'title ~ "ukraine" and '
                             'unread and age < 3d\' (see README: queries)')
    parser.add_argument("--sort", choices=SORT_ORDERS, default="newest",
                        help="the order: newest (default), oldest, feed, title, unread first")
    parser.add_argument("--hidden", action="store_true",
                        help="only the articles filter rules hid (listed nowhere else)")


def article_options(args: argparse.Namespace) -> dict[str, Any]:
    """Library.articles keywords from the parsed options; a query that does not parse is a
    one-line error naming the column (exit 2)."""
    query = None
    if args.query is not None:
        try:
            query = parse(args.query)
        except QueryError as exc:
            raise LibraryError(f"--query: {exc}") from None
    return {"query": query, "sort": args.sort, "hidden": args.hidden}


def add_export_options(parser: argparse.ArgumentParser) -> None:
    """`reader export --urls`."""
    parser.add_argument("--urls", action="store_true",
                        help="a newsboat urls file instead, with the query feeds newsboat's "
                             "filters can say")


def export_urls(library: Library, warn: Callable[[str], None]) -> str:
    """The newsboat urls file; a warning for each query feed left out."""
    text, left_out = library.export_urls()
    for line in left_out:
        warn(f"warning: {line}")
    return text


def add_commands(sub: Any) -> None:
    """The `query-feeds` command."""
    p = sub.add_parser("query-feeds", help="list saved queries shown as virtual feeds (or add "
                                           "or remove one)")
    p.add_argument("--json", action="store_true")
    actions = p.add_subparsers(dest="query_action", metavar="ACTION")
    e = actions.add_parser("add", help="save a query as a virtual feed")
    e.add_argument("title")
    e.add_argument("query", metavar="EXPR", help='e.g. \'tag = "news" and unread\'')
    e = actions.add_parser("remove", help="delete a saved query feed")
    e.add_argument("title")
    p = sub.add_parser("unhide", help="show articles a filter rule hid again "
                                      "(see reader articles --hidden)")
    p.add_argument("ids", nargs="+", metavar="ID")


def cmd_query_feeds(args: argparse.Namespace, library: Library) -> int:
    """List query feeds with their counts, or add or remove one."""
    if args.query_action == "add":
        library.acquire()
        try:
            feed = library.add_query_feed(args.title, args.query)
        except QueryError as exc:
            raise LibraryError(f"query: {exc}") from None
        print(f"added query feed {feed.title}: {feed.source}")
        return 0
    if args.query_action == "remove":
        library.acquire()
        feed = library.remove_query_feed(args.title)
        print(f"removed query feed {feed.title}")
        return 0
    feeds = library.query_feeds()
    counts = library.query_counts()
    if args.json:
        sys.stdout.write(json.dumps([{
            "title": q.title, "query": q.source, "from": q.origin, "error": q.error or None,
            "unread": counts.get(q.title, (0, 0))[0], "total": counts.get(q.title, (0, 0))[1],
        } for q in feeds], indent=2) + "\n")
        return 0
    if not feeds:
        print('no query feeds; add one with: reader query-feeds add TITLE \'EXPR\'')
    for q in feeds:
        unread, total = counts.get(q.title, (0, 0))
        state = f"  ERROR: {q.error}" if q.error else ""
        print(f"{unread:>5}/{total:<5} {q.title}{state}\n            {q.source}")
    return 0


def cmd_unhide(args: argparse.Namespace, library: Library) -> int:
    """Show hidden articles again (ids or unique prefixes)."""
    library.acquire()
    articles = [library.article(ref) for ref in args.ids]
    shown = library.unhide(a.id for a in articles)
    print(f"{shown} shown again" + ("" if shown == len(articles) else
                                    f" ({len(articles) - shown} were not hidden)"))
    return 0


COMMANDS = {"query-feeds": cmd_query_feeds, "unhide": cmd_unhide}
