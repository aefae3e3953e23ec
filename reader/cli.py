"""The command line: argument parsing and the non-interactive commands.

Exit codes: 0 success, 1 some feeds failed (the rest were stored), 2 usage, config or
storage error, 3 offline, 4 busy: another reader is refreshing (a refresh or a cleanup
waits for nobody) or held the write lock past its wait. Errors are one line each on stderr;
expected failures print no traceback.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from reader import __version__, cli_query, cli_sync
from reader.cli_media import MEDIA_COMMANDS, MEDIA_WRITERS, add_media_parsers, offline_pictures
from reader.cli_output import print_json, visible
from reader.cli_run import cmd_run
from reader.config import load_settings
from reader.errors import ConfigError, LockedError, ReaderError, StoreError
from reader.library import Library, offline_reason
from reader.locations import Paths
from reader.models import Article, Feed, FeedResult, FullTextResult
from reader.textutil import one_line, plural, shorten

EXIT_OK, EXIT_FEEDS_FAILED, EXIT_USAGE, EXIT_OFFLINE, EXIT_BUSY = 0, 1, 2, 3, 4


class CommandError(ReaderError):
    """An expected failure: printed as one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that shows what the user typed with `visible` in its errors (it quotes some
    arguments raw: "unrecognized arguments: ...")."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {visible(message)}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also documents every command in --help)."""
    parser = _Parser(
        prog="reader",
        description="A keyboard-driven terminal feed reader. With no command, start the app.",
    )
    parser.add_argument("--version", action="version", version=f"reader {__version__}")
    parser.add_argument("--offline", action="store_true",
                        help="never touch the network (local feed files are still read)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("add", help="subscribe to a feed (URL, file:// URL or local path)")
    p.add_argument("url")
    p.add_argument("--title", default="", help="a custom title")
    p.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")

    p = sub.add_parser("remove", help="unsubscribe (bookmarked articles are kept)")
    p.add_argument("url", help="feed URL, key or title")

    p = sub.add_parser("feeds", help="list subscriptions with unread counts and status")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("refresh", help="fetch the feeds that are due (see [refresh] interval; "
                                       "all by default), then the full text of new articles "
                                       "of full-text feeds")
    p.add_argument("urls", nargs="*", metavar="URL", help="fetch these feeds, due or not")
    p.add_argument("--all", action="store_true", help="fetch every feed, due or not")
    p.add_argument("--json", action="store_true")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--full-text", action="store_true",
                       help="also fetch every missing full text (as sync-offline)")
    group.add_argument("--no-full-text", action="store_true",
                       help="do not fetch full texts after the refresh")

    p = sub.add_parser("sync-offline", help="refresh, then fetch everything needed to read "
                                            "offline: the full text of full-text feeds' and "
                                            "bookmarked articles")
    p.add_argument("--json", action="store_true")
    p.set_defaults(urls=[], all=True, full_text=True, no_full_text=False)  # refresh --all ...

    p = sub.add_parser("fetch-full", help="fetch articles' web pages now and keep their main "
                                          "text (shown instead of the feed's summary)")
    p.add_argument("ids", nargs="+", metavar="ID")

    p = sub.add_parser("cache-info", help="disk use of the cache, per feed")
    p.add_argument("--json", action="store_true")

    sub.add_parser("cleanup", help="apply the cache limits now and compact the cache "
                                   "(bookmarked and annotated articles are always kept)")

    p = sub.add_parser("articles", help="list articles, newest first")
    p.add_argument("--feed", metavar="URL", help="only this feed (URL, key or title)")
    p.add_argument("--unread", action="store_true", help="only unread articles")
    p.add_argument("--bookmarked", action="store_true", help="only bookmarked articles")
    p.add_argument("--annotated", action="store_true", help="only articles with notes")
    p.add_argument("--search", metavar="TEXT",
                   help="titles, authors, text and notes containing TEXT")
    p.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    p.add_argument("--json", action="store_true")
    cli_query.add_article_options(p)
    cli_query.add_commands(sub)

    p = sub.add_parser("show", help="print one article as Markdown (its full text when "
                                    "fetched)")
    p.add_argument("id", help="article id (or a unique prefix)")
    p.add_argument("--feed-text", action="store_true",
                   help="show the feed's own text even when a full text was fetched")

    for name, text in (("read", "mark articles read"), ("unread", "mark articles unread")):
        p = sub.add_parser(name, help=text)
        p.add_argument("ids", nargs="+", metavar="ID")
    for name, text in (("bookmark", "bookmark an article (kept for good)"),
                       ("unbookmark", "remove a bookmark")):
        p = sub.add_parser(name, help=text)
        p.add_argument("id")

    p = sub.add_parser("notes", help="list notes, newest edited first (or export them)")
    p.add_argument("--json", action="store_true")
    actions = p.add_subparsers(dest="notes_action", metavar="ACTION")
    e = actions.add_parser("export", help="one Markdown file per annotated or bookmarked "
                                          "article, into DIR (Obsidian-compatible)")
    e.add_argument("dir", metavar="DIR")
    e.add_argument("--with-article", action="store_true", help="add the article's text")

    p = sub.add_parser("note", help="add, edit or delete a note on an article")
    actions = p.add_subparsers(dest="note_action", metavar="ACTION", required=True)
    e = actions.add_parser("add", help="write a note on an article; prints the note id")
    e.add_argument("id", metavar="ID", help="article id (or a unique prefix)")
    e.add_argument("--text", required=True, help="the note")
    e.add_argument("--quote", default="", help="the passage the note is about")
    e = actions.add_parser("edit", help="change a note's text (and quote)")
    e.add_argument("note_id", metavar="NOTE_ID", help="note id (or a unique prefix)")
    e.add_argument("--text", required=True, help="the new text")
    e.add_argument("--quote", default=None, help="the new quote (kept when not given)")
    e = actions.add_parser("delete", help="delete a note")
    e.add_argument("note_id", metavar="NOTE_ID", help="note id (or a unique prefix)")

    p = sub.add_parser("run", help="run a command of config.toml's [commands] on an article "
                                   "(its Markdown on stdin); prints what it printed")
    p.add_argument("name", metavar="NAME")
    p.add_argument("id", metavar="ID", help="article id (or a unique prefix)")

    p = sub.add_parser("import", help="import subscriptions: OPML or a newsboat urls file")
    p.add_argument("file")
    p.add_argument("--allow-local-files", action="store_true",
                   help="also subscribe to local files the list names (skipped by default: a "
                        "list from elsewhere may name your private files)")

    p = sub.add_parser("export", help="export subscriptions as OPML 2.0 (stdout by default)")
    p.add_argument("file", nargs="?")
    cli_query.add_export_options(p)
    add_media_parsers(sub)
    cli_sync.add_parsers(sub)  # account, sync
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `reader` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    paths = Paths.from_env()
    try:
        settings = load_settings(paths.config_file)
        for problem in settings.problems:
            _err(f"warning: {problem}")
        library = Library(paths, settings, offline=args.offline)
        try:
            return run(args, library)
        finally:
            library.release()
            for problem in library.problems:
                _err(f"warning: {problem}")
    except ConfigError as exc:
        _err(f"config error: {exc}")
    except LockedError as exc:
        _err(f"busy: {exc}")
        return EXIT_BUSY
    except ReaderError as exc:
        _err(f"error: {exc}")
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    except BrokenPipeError:  # `reader articles | head`: the reader of our output went away
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    return EXIT_USAGE


def run(args: argparse.Namespace, library: Library) -> int:
    """Dispatch one parsed command."""
    command = args.command
    if command in (None, "feeds", "articles", "query-feeds"):
        _first_run(library)
    if command is None:
        return cmd_app(args, library)
    handler = COMMANDS[command]
    if command in WRITERS:
        library.acquire()
    return handler(args, library)


def _first_run(library: Library) -> None:
    """No subscriptions ever: subscribe to the bundled samples and read them (offline)."""
    if library.store.exists:
        return
    library.acquire()
    if library.seed_if_new():
        library.refresh_blocking()
    library.release()


def _err(message: str) -> None:
    print(visible(message), file=sys.stderr)


def _when(stamp: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(stamp)) if stamp else "-"


# -- commands -------------------------------------------------------------------------------

def cmd_app(args: argparse.Namespace, library: Library) -> int:
    """Start the interactive app; a cron `reader refresh` may run beside it."""
    library.acquire()
    from reader.ui.app import run_app  # textual is imported only here

    run_app(library, offline=args.offline)
    return EXIT_OK


def cmd_add(args: argparse.Namespace, library: Library) -> int:
    feed = library.add_feed(args.url, args.title, args.tag)
    if feed.url == "https://" + one_line(args.url):  # example.com/feed.xml: say how it was read
        print(f"note: {one_line(args.url)} is no file here; reading it as {feed.url}")
    print(f"added {feed.url}" + (f" [{', '.join(feed.tags)}]" if feed.tags else ""))
    return EXIT_OK


def cmd_remove(args: argparse.Namespace, library: Library) -> int:
    feed = library.remove_feed(args.url)
    print(f"removed {feed.url}")
    return EXIT_OK


def feed_json(feed: Feed, counts: tuple[int, int], next_due: float = 0.0) -> dict[str, Any]:
    """The documented `--json` shape of a feed."""
    return {
        "key": feed.key, "url": feed.url, "title": feed.title,
        "custom_title": feed.custom_title, "feed_title": feed.feed_title,
        "site_url": feed.site_url, "tags": feed.tags,
        "unread": counts[0], "total": counts[1],
        "last_checked": feed.last_checked or None, "last_success": feed.last_success or None,
        "last_error": feed.last_error or None, "last_warning": feed.last_warning or None,
        "gone": feed.gone, "long_failing": feed.long_failing, "flag": feed.flag or None,
        "failures": feed.failures, "failing_since": feed.failing_since or None,
        "retry_after": feed.retry_after or None,
        "fresh_until": feed.fresh_until or None, "next_due": next_due or None,
        "account": feed.account or None,
    }


def cmd_feeds(args: argparse.Namespace, library: Library) -> int:
    counts = library.counts()
    feeds = library.feeds()
    hidden = library.hidden_counts()
    if args.json:
        print_json([feed_json(f, counts[f.key], library.next_due(f)) | {"hidden": hidden[f.key]}
                    for f in feeds])
        return EXIT_OK
    if not feeds:
        print("no subscriptions; add one with: reader add URL")
    for feed in feeds:
        unread, total = counts[feed.key]
        tags = f" [{', '.join(feed.tags)}]" if feed.tags else ""
        state = f"  ERROR: {feed.last_error}" if feed.last_error else ""
        if not state and not feed.last_checked:
            state = "  (never refreshed)"
        schedule = library.schedule_text(feed)
        if schedule:
            state += f"  {schedule}"
        if feed.gone:
            state += f"\n            GONE: {feed.flag}"
        elif feed.long_failing:
            state += f"\n            FAILING: {feed.flag}"
        state += f"  ({hidden[feed.key]} hidden)" if hidden[feed.key] else ""
        print(f"{unread:>5}/{total:<5} {feed.title}{tags}{state}\n            {feed.url}")
    return EXIT_OK


def _progress(done: int, total: int, result: FeedResult) -> None:
    sys.stderr.write(f"\r\x1b[Krefreshing {done}/{total}")
    sys.stderr.flush()


def cmd_refresh(args: argparse.Namespace, library: Library) -> int:
    if not library.feeds():
        _err("no subscriptions; add one with: reader add URL")
        return EXIT_OK
    show_progress = sys.stderr.isatty() and not args.json
    refs = args.urls or (None if args.all else [f.key for f in library.due_feeds()])
    not_due = len(library.feeds()) - len(refs) if refs is not None and not args.urls else 0
    if refs == [] and not args.json:
        soonest = min(library.next_due(f) for f in library.feeds())
        print(f"nothing to refresh: no feed is due (the next at {_when(soonest)}; "
              "--all fetches every feed)")
        return EXIT_OK
    results = library.refresh_blocking(refs, _progress if show_progress else None) \
        if refs is None or refs else []
    if show_progress:
        sys.stderr.write("\r\x1b[K")
    feeds = {f.key: f for f in library.feeds()}
    titles = {k: f.title if f.title == f.url else f"{f.title} ({f.url})" for k, f in feeds.items()}
    failed = [r for r in results if r.status == "error"]
    offline = [r for r in results if r.status == "offline"]
    waiting = [r for r in results if r.status == "waiting"]
    if args.json:
        print_json({
            "feeds": [{"key": r.feed_key, "url": r.url, "title": feeds[r.feed_key].title,
                       "status": r.status, "new": r.new, "updated": r.updated,
                       "error": r.error or None, "warning": r.warning or None,
                       "new_url": r.new_url or None} for r in results],
            "new": sum(r.new for r in results),
            "updated": sum(r.updated for r in results),
            "failed": len(failed),
            "offline": len(offline),
            "not_due": not_due,
            "full_text": [{"id": r.article_id, "status": r.status, "error": r.error or None}
                          for r in _full_after_refresh(args, library, results, offline)],
        })
    else:
        for r in results:
            if r.new_url:
                print(f"moved: {titles.get(r.feed_key, r.url)} is now at {r.new_url}")
            if r.warning and r.status == "new":
                _err(f"warning: {titles.get(r.feed_key, r.url)}: {r.warning}")
        for r in failed:
            _err(f"error: {titles.get(r.feed_key, r.url)}: {r.error}")
        for r in waiting:
            _err(f"waiting: {titles.get(r.feed_key, r.url)}: {r.error}")
        if offline and library.offline:
            _err(f"offline: {plural(len(offline), 'network feed')} not refreshed")
        elif offline:
            _err(f"offline: no feed server could be reached ({offline_reason(offline)}); "
                 f"{plural(len(offline), 'feed')} not refreshed, nothing changed")
        unchanged = sum(r.status == "unchanged" for r in results)
        print(f"{plural(len(results), 'feed')} refreshed: "
              f"{plural(sum(r.new for r in results), 'new article')}, "
              f"{sum(r.updated for r in results)} updated, "
              f"{plural(unchanged, 'feed')} unchanged, "
              f"{len(failed)} failed" + (f", {len(offline)} offline" if offline else "")
              + (f", {len(waiting)} waiting" if waiting else "")
              + (f", {not_due} not due yet (--all fetches them)" if not_due else ""),
              flush=True)
        _report_full(library, _full_after_refresh(args, library, results, offline))
    if args.full_text and library.settings.images_offline and not library.network_down:
        offline_pictures(library, quiet=args.json)
    if failed:
        return EXIT_FEEDS_FAILED
    if offline and not library.offline:  # no feed server answered: nothing failed or changed
        return EXIT_OFFLINE
    return EXIT_OK


def _full_after_refresh(args: argparse.Namespace, library: Library, results: list[FeedResult],
                        offline: list[FeedResult]) -> list[FullTextResult]:
    """The full texts a refresh fetches once its feeds are stored: new articles' of full-text
    feeds; every missing one with --full-text and sync-offline; none with --no-full-text."""
    if library.network_down:
        return []  # nothing answered: fetching article pages would only time out again
    if args.full_text:
        return _fetch_full(library, library.full_text_targets(retry=True), args.json)
    if not args.no_full_text and not offline:
        new_ids = [i for r in results for i in r.new_ids]
        return _fetch_full(library, library.full_text_targets(new_ids), args.json)
    return []


def _fetch_full(library: Library, articles: list[Article], quiet: bool) -> list[FullTextResult]:
    """Fetch full texts with a progress line on a terminal."""
    if not articles:
        return []
    show = sys.stderr.isatty() and not quiet

    def progress(done: int, total: int, result: FullTextResult) -> None:
        sys.stderr.write(f"\r\x1b[Kfull text {done}/{total}")
        sys.stderr.flush()

    results = library.fetch_full_blocking(articles, progress if show else None)
    if show:
        sys.stderr.write("\r\x1b[K")
    return results


def _report_full(library: Library, results: list[FullTextResult]) -> None:
    if not results:
        return
    for r in results:
        if r.status == "error":
            _full_failed(r)
    count = {k: sum(r.status == k for r in results) for k in ("ok", "error", "offline")}
    line = f"full text: {count['ok']} fetched, {count['error']} failed"
    if count["offline"]:
        line += f", {count['offline']} not fetched (offline)"
    print(line)


def _full_failed(result: FullTextResult) -> None:
    _err(f"full text: {result.article_id} {shorten(result.title, 50)}: {result.error}")


def cmd_fetch_full(args: argparse.Namespace, library: Library) -> int:
    if library.offline:
        raise CommandError("offline: not fetching (started with --offline or offline = true)")
    articles = [library.article(ref) for ref in args.ids]
    results = library.fetch_full_blocking(articles, force=True)
    for r in results:
        if r.status == "ok":
            print(f"fetched {r.article_id} {shorten(r.title, 60)}")
        else:
            _full_failed(r)
    return EXIT_OK if all(r.status == "ok" for r in results) else EXIT_FEEDS_FAILED


def _mb(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    return f"{size / (1024 * 1024):.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.0f} KB"


def cmd_cache_info(args: argparse.Namespace, library: Library) -> int:
    info = library.cache_info()
    if args.json:
        print_json(info)
        return EXIT_OK
    for feed in sorted(info["feeds"], key=lambda f: -f["bytes"]):
        print(f"{_mb(feed['bytes']):>9}  {feed['articles']:>6} articles  "
              f"{feed['full_texts']:>5} full texts  {shorten(feed['title'], 50)}")
    print(f"cache: {_mb(info['cache'])} in {library.store.cache_dir}"
          + (f", pictures {_mb(info['images'])}" if info["images"] else "")
          + (f" ({_mb(info['orphans'])} removable by `reader cleanup`)" if info["orphans"] else ""))
    print(f"your data (subscriptions, read state, bookmarks, notes): {_mb(info['data'])} "
          f"in {library.store.data_dir}")
    return EXIT_OK


def cmd_cleanup(args: argparse.Namespace, library: Library) -> int:
    report = library.cleanup()
    print(f"removed {report['articles']} articles past the cache limits and "
          f"{report['files']} stray files; cache {_mb(report['before'])} -> "
          f"{_mb(report['after'])}")
    return EXIT_OK


def cmd_articles(args: argparse.Namespace, library: Library) -> int:
    gc.disable()  # a one-off listing frees nothing cyclic: the collector would only rescan
    articles = library.articles(args.feed, unread=args.unread, bookmarked=args.bookmarked,
                                search=args.search, annotated=args.annotated,
                                limit=max(args.limit, 0), **cli_query.article_options(args))
    if args.json:
        print_json([a.to_json() for a in articles], compact=True)
        return EXIT_OK
    for a in articles:
        flags = ("N" if not a.read else " ") + ("B" if a.bookmarked else " ")
        flags += "*" if a.notes else " "
        print(f"{a.id}  {flags}  {_when(a.date)}  {a.feed_title[:24]:24}  {a.title}")
    return EXIT_OK


def cmd_show(args: argparse.Namespace, library: Library) -> int:
    article = library.article(args.id)
    try:  # cache the conversion when no other reader holds the lock
        library.acquire()
    except StoreError:
        pass
    sys.stdout.write(library.article_document(article, feed_text=args.feed_text,
                                              defer_save=True))
    sys.stdout.flush()
    try:  # keeping the conversion only saves time later: a read-only cache is no error
        library.save_conversions()
    except (StoreError, OSError):
        pass
    return EXIT_OK


def cmd_read(args: argparse.Namespace, library: Library) -> int:
    read = args.command == "read"
    for ref in args.ids:
        library.mark_read(library.article(ref), read)
    return EXIT_OK


def cmd_bookmark(args: argparse.Namespace, library: Library) -> int:
    article = library.article(args.id)
    on = args.command == "bookmark"
    changed = library.set_bookmark(article, on)
    state = "bookmarked" if on else "unbookmarked"
    print(f"{state} {article.id} {article.title}" + ("" if changed else " (already)"))
    return EXIT_OK


def cmd_notes(args: argparse.Namespace, library: Library) -> int:
    if args.notes_action == "export":
        folder = Path(args.dir).expanduser()
        written = library.export_notes(folder, with_article=args.with_article)
        print(f"exported {plural(len(written), 'file')} to {folder.resolve()}")
        return EXIT_OK
    notes = library.notes()
    if args.json:
        print_json([n.to_json() for n in notes])
        return EXIT_OK
    if not notes:
        print("no notes; write one with: reader note add ID --text TEXT")
    for n in notes:
        quote = f"  > {shorten(n.quote, 30)}" if n.quote else ""
        print(f"{n.id}  {n.article_id}  {_when(n.edited)}  {shorten(n.article_title, 40)}"
              f"{quote}\n    {shorten(n.text, 72)}")
    return EXIT_OK


def cmd_note(args: argparse.Namespace, library: Library) -> int:
    action = args.note_action
    if action == "add":
        note = library.add_note(library.article(args.id), args.text, args.quote)
        print(note.id)
    elif action == "edit":
        note = library.edit_note(args.note_id, args.text, args.quote)
        print(f"edited {note.id}")
    else:
        note = library.find_note(args.note_id)
        library.delete_note(note.id)
        print(f"deleted {note.id}")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, library: Library) -> int:
    path = Path(args.file).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from None
    report = library.import_subscriptions(data, str(path),
                                          allow_local_files=args.allow_local_files)
    for warning in report.warnings:
        _err(f"warning: {warning}")
    print(f"imported {report.kind}: {plural(len(report.added), 'feed')} added, "
          f"{len(report.updated)} updated"
          + (f", {plural(len(report.queries_added), 'query feed')} added"
             if report.query_feeds else ""))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, library: Library) -> int:
    text = cli_query.export_urls(library, _err) if args.urls else library.export_opml()
    if not args.file or args.file == "-":
        sys.stdout.write(text)
        return EXIT_OK
    from reader.storage.store import atomic_write_bytes

    path = Path(args.file).expanduser()
    if not path.parent.is_dir():  # a typo in the folder is not a folder to create
        raise CommandError(f"{path.parent}: no such folder")
    _refuse_to_replace(path)
    try:
        atomic_write_bytes(path, text.encode("utf-8"))
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror or exc}") from None
    print(f"exported {plural(len(library.feeds()), 'feed')} to {path}")
    return EXIT_OK


def _refuse_to_replace(path: Path) -> None:
    """CommandError unless `path` is missing or a regular file. A symbolic link would be
    replaced by a regular file (the link the user set up is lost) or, written through, would
    overwrite whatever it points to; a FIFO or device would be replaced, or block the export
    until something reads it. Refusing loses nothing, and `reader export > PATH` (or
    `reader export -`) still writes through any of them, as the user's shell does."""
    import stat

    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror or exc}") from None
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "" if stat.S_ISREG(mode)
            else "a device or socket")
    if kind:
        raise CommandError(f"{path}: is {kind}, not replaced; to write there anyway use "
                           f"reader export > {path}")


COMMANDS = {
    "add": cmd_add, "remove": cmd_remove, "feeds": cmd_feeds, "refresh": cmd_refresh,
    "articles": cmd_articles, "show": cmd_show, "read": cmd_read, "unread": cmd_read,
    "bookmark": cmd_bookmark, "unbookmark": cmd_bookmark, "import": cmd_import,
    "export": cmd_export, "notes": cmd_notes, "note": cmd_note,
    "sync-offline": cli_sync.synced_first(cmd_refresh),
    "fetch-full": cmd_fetch_full, "cache-info": cmd_cache_info, "cleanup": cmd_cleanup,
    "run": cmd_run, **cli_query.COMMANDS, **MEDIA_COMMANDS, **cli_sync.COMMANDS,
}
WRITERS = {"add", "remove", "refresh", "read", "unread", "bookmark", "unbookmark", "import",
           "note", "sync-offline", "fetch-full", "cleanup"} | MEDIA_WRITERS
