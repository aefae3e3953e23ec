"""One settings object, read from config.toml. A missing file means defaults."""

from __future__ import annotations

import math
import re
import shlex
import string
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


@dataclass(frozen=True)
class Command:
    """An external command run on an article ([commands] in config.toml)."""

    name: str
    run: str
    """The template as the user wrote it: `wallabag add {url}`."""
    key: str = ""
    """Keys that run it in the app ("" : the palette only)."""
    timeout: float = 30.0
    """Seconds before it is killed."""


COMMAND_FIELDS = ("url", "title", "feed", "author", "id", "date")
"""The placeholders a command's arguments may hold."""
_COMMAND_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")


def command_template(text: str) -> list[list[tuple[str, str | None]]]:
    """A command template split into arguments once, shlex-style (the user's quoting), each
    argument as (literal text, placeholder or None) pieces. ValueError, in words, for unbalanced
    quotes, an unknown placeholder or a format spec ({title:>9})."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split it into arguments ({exc})") from None
    if not words:
        raise ValueError("it is empty")
    argv = []
    for word in words:
        try:
            pieces = list(string.Formatter().parse(word))
        except ValueError as exc:
            raise ValueError(f"{word!r}: {exc} (write {{{{ and }}}} for braces)") from None
        for _, name, spec, conversion in pieces:
            if name is not None and (name not in COMMAND_FIELDS or spec or conversion):
                raise ValueError(f"{word!r}: unknown placeholder {{{name}}} (use "
                                 + ", ".join(f"{{{f}}}" for f in COMMAND_FIELDS) + ")")
        argv.append([(literal, name) for literal, name, _, _ in pieces] or [("", None)])
    if any(name is not None for name in (p[1] for p in argv[0])):
        raise ValueError("the program itself cannot be a placeholder")
    return argv


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
    refresh_interval_minutes: float = 0
    """How often each feed is refreshed: the app refreshes feeds this long after their last
    check, and `reader refresh` skips feeds checked more recently (unless --all); 0: the app
    does not refresh by itself. A feed's own `interval` overrides it."""
    max_server_wait: float = 86400.0
    """Seconds: the longest pause a feed may ask for (`<ttl>`, `sy:updatePeriod`,
    Cache-Control max-age, Expires); a feed asking for more is refreshed after this. 0: such
    asks are ignored."""
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
    mark_read_on_scroll: bool = False
    """Moving the cursor down past an article in the article list marks it read."""
    media_player: str = "mpv --no-video {url}"
    """The command that plays an enclosure, a template as [commands] ones: `{url}` is the
    downloaded file when there is one, else the enclosure's URL (added at the end when the
    template does not name it); no shell."""
    media_folder: str = ""
    """Where enclosures are downloaded ("" = the Downloads folder's `reader` folder)."""
    images_mode: str = "auto"
    """Pictures in the article: "auto" (Kitty/Sixel full-screen where the terminal has them,
    half-blocks inline), "halfblock" (half-blocks everywhere) or "off" (numbered links)."""
    images_offline: bool = False
    """`reader sync-offline` also fetches the pictures of the articles it keeps offline."""
    images_max_per_article: int = 40
    """At most this many pictures of one article are fetched (the rest stay alt text)."""
    images_max_mb: float = 10.0
    """Largest picture accepted, after decompression."""
    keys: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, for the app's key map."""
    site_rules: list[dict[str, Any]] = field(default_factory=list)
    """Extra clean-up rules for the converter, same shape as the shipped table."""
    feeds: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Per-feed options keyed by feed URL (e.g. max_articles, full_text)."""
    commands: dict[str, Command] = field(default_factory=dict)
    """Commands on articles ([commands]), by name, in the order written."""
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
_DURATION = (str, int, float)
"""A key whose value is a duration: "30m", "1h30m", "45s", "2d", "off"; a number is minutes."""
_DURATION_PART = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*([dhms])", re.IGNORECASE)
_DURATION_WHOLE = re.compile(r"(\s*[0-9]+(?:\.[0-9]+)?\s*[dhms])+\s*", re.IGNORECASE)
_MINUTES = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_KEYS = {"interval": 60, "max_server_wait": 1}
"""Duration keys of [refresh] -> how many seconds one unit of their attribute is."""


def parse_duration(value: str | int | float) -> float:
    """Seconds in a duration: "30m", "1h30m", "90s", "2d", "0" or "off" (0); a bare number
    is minutes (as newsboat's reload-time). ValueError, in words, for anything else."""
    if isinstance(value, bool):
        raise ValueError("use a duration such as \"30m\"")
    if isinstance(value, (int, float)):
        seconds = float(value) * 60
    else:
        text = value.strip().lower()
        if text in ("off", "never", "0", ""):
            return 0.0
        if _MINUTES.fullmatch(text):
            return parse_duration(float(text))
        if not _DURATION_WHOLE.fullmatch(text):
            raise ValueError(f"{value!r} is not a duration (examples: \"30m\", \"2h\", "
                             "\"1h30m\", \"45s\", \"1d\", \"off\")")
        parts = _DURATION_PART.finditer(text)
        seconds = sum(float(p.group(1)) * _UNIT_SECONDS[p.group(2).lower()] for p in parts)
    if not math.isfinite(seconds) or seconds < 0 or seconds > 366 * 86400:
        raise ValueError(f"{value!r} is not a duration between 0 and a year")
    return seconds

# section -> {key: (attribute, type)}
_SCHEMA: dict[str, dict[str, tuple[str, type | tuple[type, ...]]]] = {
    "refresh": {
        "concurrency": ("concurrency", int),
        "connect_timeout": ("connect_timeout", (int, float)),
        "read_timeout": ("read_timeout", (int, float)),
        "feed_timeout": ("feed_timeout", (int, float)),
        "max_download_mb": ("max_download_mb", (int, float)),
        "interval_minutes": ("refresh_interval_minutes", (int, float)),
        "interval": ("refresh_interval_minutes", _DURATION),
        "max_server_wait": ("max_server_wait", _DURATION),
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
    "ui": {"theme": ("theme", str), "mark_read_on_scroll": ("mark_read_on_scroll", bool)},
    "media": {
        "player": ("media_player", str),
        "folder": ("media_folder", str),
    },
    "images": {
        "mode": ("images_mode", str),
        "offline": ("images_offline", bool),
        "max_per_article": ("images_max_per_article", int),
        "max_mb": ("images_max_mb", (int, float)),
    },
}

IMAGE_MODES = ("auto", "halfblock", "off")

EXAMPLE = """\
# reader configuration (all keys optional)
[refresh]
concurrency = 16          # feeds fetched at once
connect_timeout = 10      # seconds
read_timeout = 30         # seconds
feed_timeout = 120        # seconds for a whole download, however slowly it trickles
max_download_mb = 20      # per feed, after decompression
interval = "off"          # refresh each feed this often ("30m", "2h"); "off": only on demand
max_server_wait = "24h"   # the longest pause a feed may ask for (<ttl>, Cache-Control...)
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
mark_read_on_scroll = false   # true: moving down past an article in the list marks it read

[media]                   # podcasts and other enclosures
player = "mpv --no-video {url}"   # {url}: the file once downloaded; as [commands]; no shell
folder = ""               # where downloads go; "" = ~/Downloads/reader

[images]                  # pictures in the article
mode = "auto"             # "auto" (Kitty/Sixel where the terminal can), "halfblock", "off"
offline = false           # true: sync-offline fetches the pictures too
max_per_article = 40
max_mb = 10               # per picture, after decompression

[keys]                    # binding id = "keys", e.g. next_article = "J,ctrl+n"

[commands]                # run on the article: its Markdown on stdin; no shell
wallabag = "wallabag add {url}"     # placeholders: {url} {title} {feed} {author} {id} {date}
save = { run = "tee -a saved.md", key = "S", timeout = 10 }

[commands.keys]           # or key = ... in the command's table
wallabag = "W"
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
interval = "2h"           # this feed's own refresh interval ("off": only on demand)
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
                if kind is _DURATION:
                    item = _duration(item, f"{where}: {key}") / _DURATION_KEYS[key]
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
        elif section == "commands":
            settings.commands = _commands(value, f"{path}: [commands]")
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
    if settings.images_mode not in IMAGE_MODES:
        raise ConfigError(f"{path}: [images] mode must be one of "
                          + ", ".join(f'"{m}"' for m in IMAGE_MODES))
    try:
        command_template(settings.media_player)
    except ValueError as exc:
        raise ConfigError(f"{path}: [media] player: {exc}") from None
    for url, options in settings.feeds.items():
        if "full_text" in options and not isinstance(options["full_text"], bool):
            raise ConfigError(f'{path}: [feeds."{url}"] full_text must be true or false')
        if "interval" in options:  # kept as seconds
            options["interval"] = _duration(options["interval"], f'{path}: [feeds."{url}"] '
                                            "interval")
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


def _commands(table: Any, where: str) -> dict[str, Command]:
    """[commands]: NAME = "template" or NAME = {run = "template", key = "W", timeout = 10};
    `keys` (a table NAME = "keys") and `timeout` (seconds, for all) are no command names."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table")
    keys, default_timeout = table.get("keys", {}), table.get("timeout", 30)
    if not isinstance(keys, dict) or not all(isinstance(k, str) for k in keys.values()):
        raise ConfigError(f"{where}: keys must be a table of NAME = \"keys\"")
    if isinstance(default_timeout, bool) or not isinstance(default_timeout, (int, float)) \
            or default_timeout <= 0:
        raise ConfigError(f"{where}: timeout must be a number of seconds above 0")
    out: dict[str, Command] = {}
    for name, spec in table.items():
        if name in ("keys", "timeout"):
            continue
        if not _COMMAND_NAME.fullmatch(name):
            raise ConfigError(f"{where}: {name!r} is no command name (letters, digits, - and _)")
        spec = {"run": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict) or not isinstance(spec.get("run"), str) or \
                set(spec) - {"run", "key", "timeout"}:
            raise ConfigError(f'{where}: {name} must be "command {{url}}" or a table with '
                              "run (and key, timeout)")
        timeout, key = spec.get("timeout", default_timeout), spec.get("key", keys.get(name, ""))
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0 \
                or not isinstance(key, str):
            raise ConfigError(f"{where}: {name}: timeout must be seconds above 0, key a string")
        try:
            command_template(spec["run"])
        except ValueError as exc:
            raise ConfigError(f"{where}: {name}: {exc}") from None
        out[name] = Command(name, spec["run"], key.strip(), float(timeout))
    unknown = set(keys) - set(out)
    if unknown:
        raise ConfigError(f"{where}: keys names no command {sorted(unknown)[0]!r}")
    return out


def _duration(value: object, where: str) -> float:
    if not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where} must be a duration such as \"30m\"")
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
