"""User pictures override the bundled cards; oversized ones are fixed, broken ones refused with a log line."""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

import pytest
from pictures import bomb_png
from PIL import Image

from bot.art.illustrations import LONG_SIDE, MAX_BYTES, MAX_SIDES, Illustrations

CODES = (404, 500)


def _image_bytes(
    size: tuple[int, int], colour: str = "#e8622c", fmt: str = "JPEG", **options: object
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, fmt, **options)
    return out.getvalue()


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    folder = tmp_path / "cards"
    folder.mkdir()
    for code in CODES:
        (folder / f"{code}.jpg").write_bytes(_image_bytes((1280, 720), colour=f"#{code:06d}"))
    return folder


@pytest.fixture
def user(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    return folder


def test_bundled_card_without_user_folder(bundled: Path) -> None:
    picture = Illustrations(CODES, None, bundled).picture(404)
    assert picture is not None
    assert picture.path == bundled / "404.jpg"
    assert picture.data is None
    assert picture.key.startswith("bundled:404:")
    assert len(picture.key.rsplit(":", 1)[1]) == 12
    assert picture.read() == (bundled / "404.jpg").read_bytes()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("404.jpg", "JPEG"),
        ("404.jpeg", "JPEG"),
        ("404.png", "PNG"),
        ("404 Not Found.jpg", "JPEG"),
        ("404 x.PNG", "PNG"),
    ],
)
def test_user_picture_overrides_by_name(bundled: Path, user: Path, name: str, fmt: str) -> None:
    (user / name).write_bytes(_image_bytes((800, 600), fmt=fmt))
    illustrations = Illustrations(CODES, user, bundled)
    picture = illustrations.picture(404)
    assert picture is not None
    assert picture.path == user / name
    assert picture.data is None
    assert picture.key.startswith("user:404:")
    # other codes keep their bundled card
    other = illustrations.picture(500)
    assert other is not None and other.path == bundled / "500.jpg"


def test_webp_is_accepted_and_sent_as_jpeg(bundled: Path, user: Path) -> None:
    (user / "404.webp").write_bytes(_image_bytes((800, 600), fmt="WEBP"))
    picture = Illustrations(CODES, user, bundled).picture(404)
    assert picture is not None and picture.path == user / "404.webp"
    assert picture.data is not None
    assert Image.open(io.BytesIO(picture.data)).format == "JPEG"


def test_plain_name_wins_over_named_and_strays_are_ignored(bundled: Path, user: Path) -> None:
    for name in ("404 Not Found.jpg", "404.png", "4040.jpg", "404.txt", ".404.jpg", "999.jpg", "x404.jpg"):
        (user / name).write_bytes(_image_bytes((100, 100), fmt="PNG" if name.endswith("png") else "JPEG"))
    picture = Illustrations(CODES, user, bundled).picture(404)
    assert picture is not None and picture.path == user / "404.png"


def test_codes_as_strings_and_unknown_names(bundled: Path) -> None:
    illustrations = Illustrations(CODES, None, bundled)
    picture = illustrations.picture("404")
    assert picture is not None and picture.name == "404"
    assert illustrations.picture("home") is None
    assert illustrations.picture(418) is None  # not in the codes
    assert Illustrations((418,), None, bundled).picture(418) is None  # no card at all


def test_oversized_picture_is_downscaled(bundled: Path, user: Path) -> None:
    (user / "404.png").write_bytes(_image_bytes((9000, 1500), fmt="PNG"))
    picture = Illustrations(CODES, user, bundled).picture(404)
    assert picture is not None and picture.path == user / "404.png"
    assert picture.data is not None
    fixed = Image.open(io.BytesIO(picture.data))
    assert fixed.format == "JPEG"
    assert max(fixed.size) == LONG_SIDE
    assert sum(fixed.size) <= MAX_SIDES
    assert fixed.size[0] / fixed.size[1] == pytest.approx(6, rel=0.01)


def test_too_heavy_picture_is_reencoded(bundled: Path, user: Path) -> None:
    noise = Image.frombytes("RGB", (2000, 1900), os.urandom(2000 * 1900 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG", compress_level=0)
    assert out.tell() > MAX_BYTES
    (user / "404.png").write_bytes(out.getvalue())
    picture = Illustrations(CODES, user, bundled).picture(404)
    assert picture is not None and picture.data is not None
    assert len(picture.data) <= MAX_BYTES


@pytest.mark.parametrize(
    "content",
    [b"this is not a picture", _image_bytes((800, 600))[:2000], _image_bytes((2100, 100))],
    ids=["garbage", "truncated", "too-narrow"],
)
def test_broken_picture_falls_back_with_one_log_line(
    bundled: Path, user: Path, content: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    (user / "404 Not Found.jpg").write_bytes(content)
    illustrations = Illustrations(CODES, user, bundled)
    with caplog.at_level(logging.WARNING, logger="bot.art.illustrations"):
        first = illustrations.picture(404)
        second = illustrations.picture(404)
    assert first is not None and first.path == bundled / "404.jpg"
    assert second == first
    refusals = [r for r in caplog.records if "404 Not Found.jpg" in r.getMessage()]
    assert len(refusals) == 1
    assert "bundled card" in refusals[0].getMessage()


def test_key_follows_content(bundled: Path, user: Path) -> None:
    path = user / "404.jpg"
    path.write_bytes(_image_bytes((800, 600), colour="#111111"))
    illustrations = Illustrations(CODES, user, bundled)
    first = illustrations.picture(404)
    path.write_bytes(_image_bytes((800, 600), colour="#eeeeee"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = illustrations.picture(404)
    assert first is not None and second is not None
    assert first.key != second.key
    assert second.key == Illustrations(CODES, user, bundled).picture(404).key  # stable across restarts
    assert first.key != illustrations.picture(500).key


def test_missing_user_folder_is_not_fatal(
    bundled: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.art.illustrations"):
        illustrations = Illustrations(CODES, tmp_path / "nowhere", bundled)
    assert illustrations.picture(404) is not None
    assert "nowhere" in caplog.text


def test_a_decompression_bomb_is_refused_from_its_header_in_little_memory(tmp_path):
    """9000 x 9000 px in a small PNG: refused before decoding, in a fresh process whose peak stays small."""
    import subprocess
    import sys

    (tmp_path / "bomb.png").write_bytes(bomb_png(9000, 9000))
    # VmHWM, not ru_maxrss: the latter carries over the parent's peak across fork and exec.
    script = (
        "import sys, time\n"
        "from bot.art.illustrations import Refused, fit_for_telegram\n"
        "raw = open(sys.argv[1], 'rb').read()\n"
        "start = time.perf_counter()\n"
        "try:\n    fit_for_telegram(raw)\nexcept Refused as exc:\n    print('refused', exc)\n"
        "peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print(round(time.perf_counter() - start, 3), int(peak) // 1024)\n"
    )
    command = [sys.executable, "-c", script, str(tmp_path / "bomb.png")]
    result = subprocess.run(command, capture_output=True, text=True)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("refused it is 9000x9000 px"), result.stderr
    seconds, peak_mb = lines[1].split()
    assert float(seconds) < 0.5 and int(peak_mb) < 150


def test_bundled_cards_are_sent_without_decoding_them(monkeypatch):
    from bot.art import illustrations as module

    def never(raw: bytes) -> bytes | None:
        raise AssertionError("a bundled card was decoded")

    monkeypatch.setattr(module, "fit_for_telegram", never)
    pictures = Illustrations(range(100, 600), None)
    picture = pictures.picture("404")
    assert picture is not None and picture.key.startswith("bundled:404:") and picture.data is None
    assert pictures.picture("err-curl-7") is not None and pictures.picture("cmp-redirects") is not None
