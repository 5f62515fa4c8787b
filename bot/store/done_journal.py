"""Done marks for the SQLite inbox at the cost of a memory store each.

Marking a kept update done in the database is a write, and done marks come at the reply rate: each write
wakes the store's thread, which then takes its turns at the GIL against the busy event loop. Written a
few at a time (so that a crash repeats few replies), a burst of 150 updates cost 37 writes, about 4 %
of the bot's CPU. Instead, each mark goes at once into a small file in BOT_STATE_DIR mapped into memory
(no system call, no thread): the page cache keeps it when the process dies (`kill -9`, an OOM kill),
as it keeps a commit made with `synchronous=NORMAL`, which the marks used before. Now and then the marks
are folded into the database in one write; on the next open, what the file still holds is folded in
before the inbox is read. So a crash repeats no reply for want of its done mark.

The file is a header and two halves of HALF slots: marks fill one half while the other's fold is
written, and a half is cleared once its fold has committed. A slot holds `update_id + 1` (0: empty) as a
64-bit integer in the machine's byte order. One process owns the file (`flock`); another process opening
the same folder (an operator's `state stats` while the bot runs) goes without, and so does a bot whose
journal is full: their marks are written through the database, as before.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import mmap
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

JOURNAL_FILE = "inbox-done.journal"
MAGIC = b"HSB-DONE\x00\x00\x00\x00\x00\x00\x00\x01"  # 16 bytes: the slots after it stay 8-byte aligned
HALF = 512  # slots per half: a fold is one statement (SQLite takes 32766 variables)
SIZE = len(MAGIC) + 2 * HALF * 8


class DoneJournal:
    """The mapped file; used from the event loop's thread only."""

    def __init__(self, fd: int, mapping: mmap.mmap, recovered: list[int]) -> None:
        self._fd = fd
        self._map = mapping
        self._slots = memoryview(mapping)[len(MAGIC) :].cast("q")
        self.recovered = recovered  # marks the last owner left unfolded: fold them before reading
        self._half = 0  # the half that marks go into
        self._count = 0  # marks in it
        self._folding = [False, False]  # a half handed to `take` whose fold has not committed

    @classmethod
    def open(cls, directory: Path) -> DoneJournal | None:
        """The journal, owned by this process; None when another process owns it or it cannot be made
        (a read-only folder, a symlink in its place): the caller writes marks through the database."""
        path = directory / JOURNAL_FILE
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        except OSError as exc:
            log.debug("No done journal at %s (%s)", path, exc.strerror)
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            log.info("Done marks go through the database: %s is in use by another process", path)
            return None
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(f"{path} is not a regular file")
            recovered = _read(fd, path)
            if not recovered:  # (else cleared once the caller has folded them)
                _write_empty(fd)
            mapping = mmap.mmap(fd, SIZE)
        except OSError as exc:
            os.close(fd)
            log.warning("Done marks go through the database: cannot use %s (%s)", path, exc)
            return None
        return cls(fd, mapping, recovered)

    def append(self, update_id: int) -> bool:
        """Keep one mark; False when the journal is full (both halves are waiting for their folds)."""
        if self._count == HALF:
            return False
        self._slots[self._half * HALF + self._count] = update_id + 1
        self._count += 1
        return True

    @property
    def filling(self) -> int:
        """Marks in the half being filled."""
        return self._count

    def take(self) -> tuple[int, list[int]] | None:
        """The half being filled and its marks, to fold; marks go on into the other half. None when
        there is nothing to fold, or the other half's fold has not committed yet."""
        other = 1 - self._half
        if not self._count or self._folding[other]:
            return None
        half, start = self._half, self._half * HALF
        ids = [value - 1 for value in self._slots[start : start + self._count]]
        self._folding[half] = True
        self._half, self._count = other, 0
        return half, ids

    def release(self, half: int) -> None:
        """The fold of `half` committed: its slots are free again."""
        start = len(MAGIC) + half * HALF * 8
        self._map[start : start + HALF * 8] = bytes(HALF * 8)
        self._folding[half] = False

    def pending(self) -> list[int]:
        """Every mark held, folded or not."""
        return [value - 1 for value in self._slots if value]

    def clear(self) -> None:
        """Every mark held is in the database."""
        self._map[:] = MAGIC + bytes(SIZE - len(MAGIC))
        self.recovered = []
        self._half, self._count, self._folding = 0, 0, [False, False]

    def close(self) -> None:
        self._slots.release()
        self._map.close()
        os.close(self._fd)  # and the lock with it


def peek(directory: Path) -> list[int]:
    """The marks the file holds, read without owning it: an operator's view while the bot runs."""
    try:
        fd = os.open(directory / JOURNAL_FILE, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        return _read(fd, directory / JOURNAL_FILE, quiet=True)
    except OSError:
        return []
    finally:
        os.close(fd)


def _read(fd: int, path: Path, *, quiet: bool = False) -> list[int]:
    """The marks a previous owner left; a file that is not a journal is started afresh (its marks, if
    any, are lost: at worst their replies are sent again)."""
    data = os.pread(fd, SIZE + 1, 0)
    if not data:
        return []
    if len(data) != SIZE or not data.startswith(MAGIC):
        if quiet:
            return []
        log.warning("%s is not a done journal (%d bytes); starting it afresh", path, len(data))
        return []
    slots = memoryview(data)[len(MAGIC) :].cast("q")
    return [value - 1 for value in slots if value > 0]


def _write_empty(fd: int) -> None:
    """Real zeros, not a sparse file: the first mark into a page must not wait for the disk to find it a
    block, and on a full disk a store into a hole would kill the process (SIGBUS)."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, SIZE)
    written = os.pwrite(fd, MAGIC + bytes(SIZE - len(MAGIC)), 0)
    if written != SIZE:
        raise OSError(f"short write ({written} of {SIZE} bytes)")
