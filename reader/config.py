"""One settings object, read from config.toml. A missing file means defaults."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reader.errors import ConfigError


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
    media_player: str = "mpv --no-video {url}"
    """The command that plays an enclosure: split once like a shell would, `{url}` (the
    downloaded file when there is one), `{title}` and `{feed}` put in per argument; no shell."""
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

[media]                   # podcasts and other enclosures
player = "mpv --no-video {url}"   # {url} (the file once downloaded), {title}, {feed}; no shell
folder = ""               # where downloads go; "" = ~/Downloads/reader

[images]                  # pictures in the article
mode = "auto"             # "auto" (Kitty/Sixel where the terminal can), "halfblock", "off"
offline = false           # true: sync-offline fetches the pictures too
max_per_article = 40
max_mb = 10               # per picture, after decompression

[keys]                    # binding id = "keys", e.g. next_article = "J,ctrl+n"

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
    if not settings.media_player.strip():
        raise ConfigError(f"{path}: [media] player must name a command")
    for url, options in settings.feeds.items():
        if "full_text" in options and not isinstance(options["full_text"], bool):
            raise ConfigError(f'{path}: [feeds."{url}"] full_text must be true or false')
    return settings
