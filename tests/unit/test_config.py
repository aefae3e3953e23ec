"""config.toml: defaults, values, and clear errors naming file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import EXAMPLE, ConfigError, Settings, load_settings


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.toml") == Settings()


def test_values_are_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[refresh]\nconcurrency = 4\nread_timeout = 2.5\n[cache]\nmax_age_days = 9\n'
                    '[keys]\nquit = "ctrl+q"\n[feeds."https://x/rss"]\nmax_articles = 3\n'
                    '[[site_rules]]\nhosts = ["x.example"]\ndrop_lines = ["promo"]\n')
    s = load_settings(path)
    assert (s.concurrency, s.read_timeout, s.max_age_days) == (4, 2.5, 9)
    assert s.keys == {"quit": "ctrl+q"}
    assert s.feed_option("https://x/rss", "max_articles") == 3
    assert s.feed_option("https://other/", "max_articles", 7) == 7
    assert s.site_rules == [{"hosts": ["x.example"], "drop_lines": ["promo"]}]


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(EXAMPLE)
    assert load_settings(path).concurrency == 16


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[refresh]\nconcurrency = 4\n[ui\n", r"config\.toml: .*\(at line 3"),
        ("[refresh]\nconcurrency = 'many'\n", "concurrency has the wrong type"),
        ("[refresh]\nconcurrency = true\n", "wrong type"),
        ("[refresh]\nconcurrency = 0\n", "at least 1"),
        ("[refresh]\nread_timeout = -1\n", "must not be negative"),
        ("[refresh]\nspeed = 1\n", "unknown key 'speed'"),
        ("[colours]\n", r"unknown section \[colours\]"),
        ("site_rules = 3\n", r"\[\[site_rules\]\]"),
    ],
)
def test_broken_config_names_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_non_utf8_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[ui]\ntheme = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path)
