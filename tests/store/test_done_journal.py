"""The done journal on its own: marks survive the process, halves are folded in turn and never
overwritten before their fold commits, and a file it cannot trust never stops the bot."""

from __future__ import annotations

import fcntl
import logging
import os

from bot.store.done_journal import HALF, JOURNAL_FILE, MAGIC, SIZE, DoneJournal


def opened(directory) -> DoneJournal:
    journal = DoneJournal.open(directory)
    assert journal is not None
    return journal


def recovered(directory) -> list[int]:
    """What a next owner would find."""
    journal = opened(directory)
    try:
        return journal.recovered
    finally:
        journal.close()


def test_marks_outlive_the_process_that_made_them(tmp_path):
    journal = opened(tmp_path)
    for update_id in (0, 7, 2**40):
        assert journal.append(update_id)
    journal.close()  # as a crash leaves it: nothing cleared, nothing folded
    again = opened(tmp_path)
    assert again.recovered == [0, 7, 2**40]
    again.clear()
    again.close()
    assert recovered(tmp_path) == []


def test_a_half_is_folded_while_marks_go_into_the_other(tmp_path):
    journal = opened(tmp_path)
    for update_id in range(HALF):
        assert journal.append(update_id)
    assert journal.filling == HALF
    taken = journal.take()
    assert taken is not None
    half, ids = taken
    assert ids == list(range(HALF)) and journal.filling == 0
    for update_id in range(HALF, 2 * HALF):
        assert journal.append(update_id)
    assert not journal.append(2 * HALF)  # full: the first half's fold has not committed
    assert journal.take() is None  # and the second cannot be folded over it
    assert sorted(journal.pending()) == list(range(2 * HALF))
    journal.release(half)
    assert sorted(journal.pending()) == list(range(HALF, 2 * HALF))
    second = journal.take()
    assert second is not None and second[1] == list(range(HALF, 2 * HALF))
    assert journal.append(2 * HALF)  # into the first half again
    journal.close()
    assert sorted(recovered(tmp_path)) == [*range(HALF, 2 * HALF + 1)]  # released: not again


def test_one_process_owns_the_journal(tmp_path):
    first = opened(tmp_path)
    assert DoneJournal.open(tmp_path) is None  # a second owner (flock conflicts across descriptors)
    first.close()
    opened(tmp_path).close()


def test_a_file_that_is_not_a_journal_is_started_afresh(tmp_path, caplog):
    (tmp_path / JOURNAL_FILE).write_bytes(b"\xff" * 100)
    with caplog.at_level(logging.WARNING):
        journal = opened(tmp_path)
    assert journal.recovered == []
    assert "is not a done journal (100 bytes)" in caplog.text
    assert journal.append(5)
    journal.close()
    data = (tmp_path / JOURNAL_FILE).read_bytes()
    assert len(data) == SIZE and data.startswith(MAGIC)
    assert recovered(tmp_path) == [5]


def test_a_symlink_in_its_place_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"precious")
    (tmp_path / JOURNAL_FILE).symlink_to(target)
    assert DoneJournal.open(tmp_path) is None
    assert target.read_bytes() == b"precious"


def test_an_unwritable_folder_has_no_journal(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if os.access(folder, os.W_OK):  # root writes anywhere: make the file unopenable instead
            (folder / JOURNAL_FILE).mkdir()
        assert DoneJournal.open(folder) is None
    finally:
        folder.chmod(0o700)


def test_the_file_is_private_and_not_sparse(tmp_path):
    opened(tmp_path).close()
    info = (tmp_path / JOURNAL_FILE).stat()
    assert info.st_mode & 0o777 == 0o600
    assert info.st_size == SIZE and info.st_blocks * 512 >= SIZE  # real zeros: no fault waits for a disk


def test_a_lock_held_elsewhere_is_reported(tmp_path, caplog):
    fd = os.open(tmp_path / JOURNAL_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with caplog.at_level(logging.INFO):
            assert DoneJournal.open(tmp_path) is None
        assert "in use by another process" in caplog.text
    finally:
        os.close(fd)
