"""The polling heartbeat: a file refreshed after every answered getUpdates, read by `python -m bot health`.

Kept apart from the runner so that `python -m bot health`, run every 30 s by Docker or Kubernetes, imports
neither telegram nor the catalogue. It lives in the state dir; when that is read-only (the bot still works,
it keeps state in memory) it moves to the temp dir, so health reflects polling, not the disk.
"""

from __future__ import annotations

import errno
import hashlib
import os
import tempfile
import time
from pathlib import Path

from bot.ops.settings import Settings

HEARTBEAT_FILE = "heartbeat"
BEAT_EVERY = 1.0  # seconds: answered getUpdates closer together than this refresh the heartbeat once


def heartbeat_path(settings: Settings) -> Path:
    return settings.bot_state_dir / HEARTBEAT_FILE


def fallback_path(settings: Settings) -> Path:
    """Where the heartbeat goes when the state dir cannot be written: one per user and state dir."""
    digest = hashlib.sha256(str(settings.bot_state_dir.resolve()).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"http-status-bot-{os.getuid()}-{digest}.heartbeat"


def heartbeat_paths(settings: Settings) -> tuple[Path, Path]:
    return heartbeat_path(settings), fallback_path(settings)


def _write(path: Path, data: bytes) -> None:
    """Overwrite in place, never through a symlink (someone could point it at a file we must not touch).

    Overwritten rather than truncated and rewritten: it runs after every answered getUpdates, and
    truncating cost ~0.25 ms of CPU each time (ext4), this a few µs.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        path.unlink()  # a symlink where our file should be: replace it, leave its target alone
        fd = os.open(path, flags | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


def beat(paths: tuple[Path, ...]) -> None:
    """Touch the heartbeat in the first place that can be written. Failing to write it is not fatal."""
    data = f"{time.time():.0f}\n".encode("ascii")
    for path in paths:
        try:
            _write(path, data)
            return
        except OSError:
            continue


class Heartbeat:
    """`beat` after answered getUpdates, at most once every BEAT_EVERY seconds: a busy bot answers
    several a second, and four system calls each would be wasted on a file read every 30 s."""

    def __init__(self, paths: tuple[Path, ...], every: float = BEAT_EVERY) -> None:
        self.paths = paths
        self.every = every
        self._last = -every

    def __call__(self) -> None:
        now = time.monotonic()
        if now - self._last >= self.every:
            self._last = now
            beat(self.paths)
