"""Where config, user data and the disposable cache live. Creates nothing at import."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "reader"


@dataclass(frozen=True)
class Paths:
    """The three folders the reader uses. platformdirs honours XDG_CONFIG/DATA/CACHE_HOME."""

    config_dir: Path
    """Holds config.toml."""
    data_dir: Path
    """User data: subscriptions, read state, bookmarks, notes. Never cleaned away."""
    cache_dir: Path
    """Disposable article cache: metadata index and bodies, per feed."""

    @classmethod
    def from_env(cls) -> Paths:
        """This user's folders, as platformdirs finds them (tests set XDG_* to move them)."""
        return cls(
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        )

    @property
    def config_file(self) -> Path:
        """The TOML settings file."""
        return self.config_dir / "config.toml"
