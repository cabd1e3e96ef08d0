"""The profile folder: everything callviewer stores, except API keys (those live in the OS keyring).

    <profile>/callviewer.db      SQLite cache (WAL)
    <profile>/settings.ini       window state (QSettings, INI format)
    <profile>/logs/              rotating logs
    <profile>/recordings/        downloaded recordings
    <profile>/profile-id         a random id that keys this profile's keyring entries
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from callviewer.errors import ProfileError

APP_NAME = "callviewer"
APP_ID = "ai.callviewer.CallViewer"  # reverse-DNS application id


def default_profile_dir() -> Path:
    env = os.environ.get("CALLVIEWER_PROFILE")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def profile_root(root: str | os.PathLike | None = None) -> Path:
    """The folder `Profile.open(root)` uses, without creating anything."""
    path = Path(root).expanduser() if root else default_profile_dir()
    return path.resolve()


@dataclass(frozen=True)
class Profile:
    root: Path

    @classmethod
    def open(cls, root: str | os.PathLike | None = None) -> Profile:
        path = profile_root(root)
        try:
            path.mkdir(parents=True, exist_ok=True)
            for sub in ("logs", "recordings"):
                (path / sub).mkdir(exist_ok=True)
        except OSError as e:
            raise ProfileError(_unusable(path, e)) from None
        return cls(path)

    @property
    def db_path(self) -> Path:
        return self.root / "callviewer.db"

    @property
    def settings_path(self) -> Path:
        return self.root / "settings.ini"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def recordings_dir(self) -> Path:
        return self.root / "recordings"

    @property
    def profile_id(self) -> str:
        f = self.root / "profile-id"
        try:
            value = f.read_text().strip()
            if value:
                return value
        except FileNotFoundError:
            pass
        except (OSError, UnicodeDecodeError) as e:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else type(e).__name__
            raise ProfileError(f"cannot read {f}: {reason}") from None
        import uuid

        value = uuid.uuid4().hex
        tmp = f.with_suffix(".tmp")
        try:
            tmp.write_text(value + "\n")
            os.replace(tmp, f)
        except OSError as e:
            raise ProfileError(f"cannot write to the profile folder {self.root}: "
                               f"{e.strerror or e}") from None
        return value


def _unusable(path: Path, e: OSError) -> str:
    """One line on why the profile folder `path` cannot be made or used."""
    if path.exists() and not path.is_dir():
        return f"the profile {path} is a file, not a folder"
    if isinstance(e, (NotADirectoryError, FileExistsError)):
        return f"cannot create the profile folder {path}: a part of that path is a file"
    return f"cannot create the profile folder {path}: {e.strerror or e}"
