"""One settings object, read from config.toml. A missing file means defaults."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.errors import ConfigError
from reader.query import Query, QueryError, parse

FILTER_ACTIONS = ("hide", "read", "tag")
"""What a [[filters]] rule does to a new article it matches."""


@dataclass(frozen=True)
class FilterRule:
    """A [[filters]] rule of config.toml, applied once to each new article at refresh."""

    query: Query
    action: str
    """"hide" (listed only among the hidden), "read" (marked read) or "tag"."""
    tag: str = ""
    """The tag the "tag" action gives."""
    feed: str = ""
    """Only articles of this feed (URL, key or title); "" = every feed."""
    name: str = ""
    """How messages name the rule: `[[filters]] 3 (title ~ "x")`."""


@dataclass
class Settings:
    """Every setting the reader reads, with its default."""

    concurrency: int = 16
    """How many feeds are fetched at once."""
    connect_timeout: float = 10.0
    """Seconds to wait for a connection."""
    read_timeout: float = 30.0
    """Seconds to wait for data once connected."""
    feed_timeout: float = 120.0
    """Seconds for one whole feed (or page) download, however the server trickles it; 0: none."""
    max_download_mb: float = 20.0
    """Largest feed body accepted, measured after decompression."""
    refresh_interval_minutes: int = 0
    """Auto-refresh interval in the app; 0 turns it off."""
    offline: bool = False
    """Never touch the network (as `--offline`); local feed files are still read."""
    full_text_feeds: str = "summary-only"
    """Which feeds get their articles' full text fetched automatically after a refresh:
    "summary-only" (feeds whose articles carry only a summary), "all" or "none". A feed's own
    `full_text = true/false` overrides this."""
    full_text_concurrency: int = 4
    """How many article pages are fetched at once."""
    full_text_max_per_feed: int = 100
    """At most this many pages per feed and run are fetched automatically or by sync-offline,
    newest first (`f` fetches any other); a feed of 20,000 summaries costs 100 requests."""
    max_articles_per_feed: int = 1000
    """Cache limit per feed (0: no limit); bookmarked and annotated articles are kept."""
    max_age_days: int = 0
    """Drop cached articles older than this (0: no limit); bookmarked/annotated are kept."""
    theme: str = "textual-dark"
    """Textual theme name."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, for the app's key map."""
    site_rules: list[dict[str, Any]] = field(default_factory=list)
    """Extra clean-up rules for the converter, same shape as the shipped table."""
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-feed options keyed by feed URL (e.g. max_articles, full_text)."""
    query_feeds: list[dict[str, str]] = field(default_factory=list)
    """[[query_feeds]]: {title, query} of each saved query shown as a virtual feed."""
    filters: list[FilterRule] = field(default_factory=list)
    """[[filters]]: rules that hide, mark read or tag new articles at refresh."""
    problems: list[str] = field(default_factory=list)
    """What is wrong in the file without stopping the reader: a bad filter rule or query
    feed is skipped and said here (the CLI and the app show these)."""
    source: Path | None = None
    """The file these settings came from, if any."""

    def feed_option(self, url: str, name: str, default: Any = None) -> Any:
        """A per-feed option, or `default`."""
        return self.feeds.get(url, {}).get(name, default)


FULL_TEXT_MODES = ("summary-only", "all", "none")

# section -> {key: (attribute, type)}
_SCHEMA: dict[str, dict[str, tuple[str, type | tuple[type, ...]]]] = {
    "refresh": {
        "concurrency": ("concurrency", int),
        "connect_timeout": ("connect_timeout", (int, float)),
        "read_timeout": ("read_timeout", (int, float)),
        "feed_timeout": ("feed_timeout", (int, float)),
        "max_download_mb": ("max_download_mb", (int, float)),
        "interval_minutes": ("refresh_interval_minutes", int),
        "offline": ("offline", bool),
    },
    "full_text": {
        "feeds": ("full_text_feeds", str),
        "concurrency": ("full_text_concurrency", int),
        "max_per_feed": ("full_text_max_per_feed", int),
    },
    "cache": {
        "max_articles_per_feed": ("max_articles_per_feed", int),
        "max_age_days": ("max_age_days", int),
    },
    "ui": {"theme": ("theme", str)},
}

EXAMPLE = """\
# reader configuration (all keys optional)
[refresh]
concurrency = 16          # feeds fetched at once
connect_timeout = 10      # seconds
read_timeout = 30         # seconds
feed_timeout = 120        # seconds for a whole download, however slowly it trickles
max_download_mb = 20      # per feed, after decompression
interval_minutes = 0      # auto-refresh in the app; 0 = off
offline = false           # true: never touch the network (like --offline)

[full_text]               # the article's web page, fetched and cleaned, for offline reading
feeds = "summary-only"    # fetched automatically for: "summary-only" feeds, "all", "none"
concurrency = 4           # pages fetched at once
max_per_feed = 100        # newest first, per feed and run (f fetches any other)

[cache]
max_articles_per_feed = 1000   # 0 = no limit; bookmarked/annotated articles are always kept
max_age_days = 0               # 0 = no limit

[ui]
theme = "textual-dark"

[keys]                    # binding id = "keys", e.g. next_article = "J,ctrl+n"

[[query_feeds]]           # a saved query, shown as a virtual feed (see README: queries)
title = "Ukraine this week"
query = 'title ~ "ukraine" and age < 7d'

[[filters]]               # applied once to each new article at refresh
query = 'title ~ "sponsored"'
action = "hide"           # "hide" (see `reader articles --hidden`), "read" or "tag"
# tag = "ads"             # with action = "tag"
# feed = "https://example.com/feed.xml"   # only this feed (URL, key or title)

[feeds."https://example.com/feed.xml"]
max_articles = 200
full_text = true          # always fetch this feed's article pages (false: never)
"""


def load_settings(path: Path) -> Settings:
    """Read `path`; defaults when it does not exist; ConfigError when it is broken."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return _from_dict(data, path)


def _from_dict(data: dict[str, Any], path: Path) -> Settings:
    settings = Settings(source=path)
    for section, value in data.items():
        where = f"{path}: [{section}]"
        if section in _SCHEMA:
            if not isinstance(value, dict):
                raise ConfigError(f"{where} must be a table")
            for key, item in value.items():
                if key not in _SCHEMA[section]:
                    raise ConfigError(f"{where}: unknown key {key!r}")
                attr, kind = _SCHEMA[section][key]
                if isinstance(item, bool) != (kind is bool) or not isinstance(item, kind):
                    raise ConfigError(f"{where}: {key} has the wrong type ({item!r})")
                if isinstance(item, (int, float)) and item < 0:
                    raise ConfigError(f"{where}: {key} must not be negative")
                setattr(settings, attr, item)
        elif section == "keys":
            if not isinstance(value, dict) or not all(
                isinstance(v, str) for v in value.values()
            ):
                raise ConfigError(f"{where}: each binding id maps to a string of keys")
            settings.keys = dict(value)
        elif section == "site_rules":
            if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
                raise ConfigError(f"{where}: use [[site_rules]] tables")
            settings.site_rules = list(value)
        elif section == "filters":
            settings.filters = _filter_rules(value, f"{path}: [[filters]]", settings.problems)
        elif section == "query_feeds":
            settings.query_feeds = _query_feeds(value, f"{path}: [[query_feeds]]",
                                                settings.problems)
        elif section == "feeds":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f'{where}: use [feeds."URL"] tables')
            settings.feeds = {k: dict(v) for k, v in value.items()}
        else:
            raise ConfigError(f"{path}: unknown section [{section}]")
    if settings.concurrency < 1:
        raise ConfigError(f"{path}: [refresh] concurrency must be at least 1")
    if settings.full_text_concurrency < 1:
        raise ConfigError(f"{path}: [full_text] concurrency must be at least 1")
    if settings.full_text_feeds not in FULL_TEXT_MODES:
        raise ConfigError(f"{path}: [full_text] feeds must be one of "
                          + ", ".join(f'"{m}"' for m in FULL_TEXT_MODES))
    for url, options in settings.feeds.items():
        if "full_text" in options and not isinstance(options["full_text"], bool):
            raise ConfigError(f'{path}: [feeds."{url}"] full_text must be true or false')
    return settings


def _filter_rules(value: Any, where: str, problems: list[str]) -> list[FilterRule]:
    """The usable [[filters]] rules; each unusable one is skipped with one line in
    `problems` naming it (the other rules still work)."""
    if not isinstance(value, list):
        problems.append(f"{where}: use [[filters]] tables (an array); no filter applied")
        return []
    rules = []
    for number, rule in enumerate(value, 1):
        if not isinstance(rule, dict):
            problems.append(f"{where} {number}: not a table; rule skipped")
            continue
        source = rule.get("query")
        name = f"{where} {number}" + (f" ({source})" if isinstance(source, str) else "")
        unknown = sorted(set(rule) - {"query", "action", "tag", "feed"})
        action, tag, feed = rule.get("action"), rule.get("tag", ""), rule.get("feed", "")
        if unknown:
            problem = f"unknown key {unknown[0]!r} (keys: query, action, tag, feed)"
        elif not isinstance(source, str):
            problem = 'needs query = "..." (e.g. query = \'title ~ "sponsored"\')'
        elif action not in FILTER_ACTIONS:
            problem = "action must be " + ", ".join(f'"{a}"' for a in FILTER_ACTIONS)
        elif not isinstance(tag, str) or not isinstance(feed, str):
            problem = "tag and feed must be text"
        elif (action == "tag") != bool(tag.strip()):
            problem = ('action "tag" needs tag = "..."' if action == "tag"
                       else f'tag = "..." goes with action "tag", not "{action}"')
        else:
            try:
                rules.append(FilterRule(parse(source), action, tag.strip(), feed.strip(), name))
                continue
            except QueryError as exc:
                problem = str(exc)
        problems.append(f"{name}: {problem}; rule skipped")
    return rules


def _query_feeds(value: Any, where: str, problems: list[str]) -> list[dict[str, str]]:
    """The [[query_feeds]] tables with a title and a query (their queries are checked where
    they are listed, so a bad one shows its error in place)."""
    if not isinstance(value, list):
        problems.append(f"{where}: use [[query_feeds]] tables (an array)")
        return []
    out = []
    for number, table in enumerate(value, 1):
        if (isinstance(table, dict) and set(table) == {"title", "query"}
                and all(isinstance(v, str) for v in table.values())
                and table["title"].strip()):
            out.append({"title": " ".join(table["title"].split()), "query": table["query"]})
        else:
            problems.append(f'{where} {number}: needs exactly title = "..." and query = "..."; '
                            "skipped")
    return out
