"""Which picture the bot sends for a code: the operator's own, from a folder, else the bundled card.

Runtime side, Pillow only (cards are drawn ahead of time by bot/art/rendering.py). A user picture is checked
once, on first use, against Telegram's photo limits and re-encoded in memory when it breaks them, so an
upload never fails on a picture we could have fixed; one that cannot be opened or fixed is refused with
one log line and the bundled card is sent instead. Each picture carries a key naming its exact content,
so a file_id cached for an old picture is never reused for a replaced one.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core.resources import CARDS_DIR

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

# Telegram's limits for a photo (Bot API, sendPhoto).
MAX_BYTES = 10 * 1024 * 1024
MAX_SIDES = 10_000  # width + height
MAX_RATIO = 20
# Pixels a user picture may decode to (after JPEG's draft scaling): 16 MP is at most 64 MB as RGBA, far
# below Pillow's bomb warning (89 MP) and within the bot's memory limit. A 9000 x 9000 PNG of 258 KB would
# decode to 324 MB: it is refused from its header, before any decoding.
MAX_DECODE_PIXELS = 16_000_000
MANIFEST = "manifest.json"  # sizes and digests of the bundled cards, written by the renderer
# What a re-encoded picture is scaled down to: Telegram shows photos at most 2560 px wide anyway.
LONG_SIDE = 2560
SENDABLE_FORMATS = frozenset({"JPEG", "PNG"})  # anything else (WebP, GIF…) is re-encoded as JPEG

EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".webp"})
_STEM = re.compile(r"^(\d{3})(?: .*)?$")  # "404", or the seed's "404 Not Found"


# Pictures of the browse screens, beside the code cards (drawn by bot/art/rendering.py too).
SCREENS = frozenset({"home", "1xx", "2xx", "3xx", "4xx", "5xx", "errors"})
# Cards only we draw: errors that are not status codes (err-curl-7) and comparisons (cmp-redirects).
_BUNDLED_ONLY = re.compile(r"(?:err|cmp)-[a-z0-9-]{2,24}")


@dataclass(frozen=True)
class Picture:
    """A picture ready to send: `data` is set only when the file had to be re-encoded to fit Telegram."""

    name: str  # "404", or a screen: "home", "4xx"
    path: Path
    data: bytes | None
    key: str  # "user:404:<sha256 prefix>" / "bundled:404:<…>": the file_id cache key

    @property
    def filename(self) -> str:
        """The name Telegram is told on upload: JPEG when re-encoded, else the file's own extension."""
        return f"{self.name}.jpg" if self.data is not None else f"{self.name}{self.path.suffix.lower()}"

    def read(self) -> bytes:
        """The bytes to upload."""
        return self.data if self.data is not None else self.path.read_bytes()


class Refused(Exception):
    """A picture that cannot be opened, or cannot be made to fit Telegram's limits."""


def fit_for_telegram(raw: bytes) -> bytes | None:
    """None when `raw` can be sent as it is, else a re-encoded JPEG that fits; raises Refused.

    Pillow is imported here, not at the top: only an operator's own pictures are ever decoded (the
    bundled cards come with their sizes), so a bot without them never loads it (2.7 MB of memory)."""
    from PIL import Image, ImageOps

    try:
        with warnings.catch_warnings():  # Pillow's bomb warning: our own, stricter limit follows
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(raw))  # reads the header only
        with opened as image:
            width, height = image.size
            if max(width, height) > MAX_RATIO * min(width, height):
                raise Refused(f"its aspect ratio {width}x{height} is beyond Telegram's {MAX_RATIO}:1")
            scale = min(1.0, LONG_SIDE / max(width, height))
            image.draft("RGB", (round(width * scale), round(height * scale)))  # JPEG: decode smaller
            decoded = image.size[0] * image.size[1]
            if decoded > MAX_DECODE_PIXELS:
                raise Refused(
                    f"it is {width}x{height} px: decoding it would take {decoded * 4 // 2**20} MB "
                    f"(at most {MAX_DECODE_PIXELS // 1_000_000} MP are decoded)"
                )
            if len(raw) <= MAX_BYTES and width + height <= MAX_SIDES and image.format in SENDABLE_FORMATS:
                image.load()  # a truncated or corrupt file fails here, not at Telegram
                return None
            return _jpeg(ImageOps.exif_transpose(image))
    except Refused:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise Refused(f"it cannot be opened as a picture ({exc})") from None


def _jpeg(image: Image.Image) -> bytes:
    """The picture as a JPEG at most LONG_SIDE px long and 10 MB, transparency flattened on white."""
    from PIL import Image

    width, height = image.size
    scale = min(1.0, LONG_SIDE / max(width, height))
    if scale < 1:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, "white")
        image.paste(rgba, mask=rgba.getchannel("A"))
    image = image.convert("RGB")
    for quality in (90, 80, 70):
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_BYTES:
            return out.getvalue()
    raise Refused("it stays over 10 MB even re-encoded")


@dataclass(frozen=True)
class _Checked:
    data: bytes | None
    digest: str


class Illustrations:
    """Pictures by code; user pictures in `user_dir` override the bundled cards code by code.

    Accepted user names: `404.jpg`, `404.jpeg`, `404.png`, `404.webp`, and `404 <anything>.<ext>` (the
    seed's `404 Not Found.jpg`). The folder is listed once here; files are read, checked and hashed on
    first use, and again only when their size or modification time changes.
    """

    def __init__(self, codes: Iterable[int], user_dir: Path | None, bundled_dir: Path = CARDS_DIR) -> None:
        self.codes = frozenset(codes)
        self.bundled_dir = bundled_dir
        self.user = self._scan(user_dir) if user_dir is not None else {}
        self._checked: dict[tuple[Path, int, int], _Checked | None] = {}
        self._bundled: dict[str, Picture] = {}  # bundled cards found as the manifest says, by name
        self._manifest = self._read_manifest()

    def _read_manifest(self) -> dict[str, dict[str, object]]:
        """The bundled cards' sizes and digests, recorded when they were drawn: nothing to decode."""
        try:
            return json.loads((self.bundled_dir / MANIFEST).read_text(encoding="utf-8"))["cards"]
        except (OSError, ValueError, KeyError, TypeError):
            log.warning(
                "No card manifest in %s: the bundled cards are checked on first use", self.bundled_dir
            )
            return {}

    def prepare(self) -> None:
        """Check every user picture now (slow: decoding), so no update waits for it. Run in a thread."""
        for code in sorted(self.user):
            self.picture(code)

    def ready(self, name: int | str) -> bool:
        """True when `picture(name)` decodes nothing: a bundled card, or a user picture checked already."""
        code = int(name) if isinstance(name, int) or (isinstance(name, str) and name.isdigit()) else None
        path = self.user.get(code) if code is not None else None
        if path is None:
            return True
        try:
            stat = path.stat()
        except OSError:
            return True
        return (path, stat.st_mtime_ns, stat.st_size) in self._checked

    def _scan(self, user_dir: Path) -> dict[int, Path]:
        if not user_dir.is_dir():
            log.warning("Illustrations folder %s is not a directory; using the bundled cards", user_dir)
            return {}
        found: dict[int, list[Path]] = {}
        for path in sorted(user_dir.iterdir()):
            match = _STEM.match(path.stem)
            if path.name.startswith(".") or path.suffix.lower() not in EXTENSIONS or not match:
                continue
            code = int(match.group(1))
            if code in self.codes and path.is_file():
                found.setdefault(code, []).append(path)
        chosen = {}
        for code, paths in found.items():
            paths.sort(key=lambda p, code=code: (p.stem != str(code), p.name))  # "404.jpg" first
            chosen[code] = paths[0]
            if len(paths) > 1:
                ignored = ", ".join(p.name for p in paths[1:])
                log.warning(
                    "Several pictures for %d in %s: using %s, ignoring %s",
                    code,
                    user_dir,
                    paths[0].name,
                    ignored,
                )
        return chosen

    def picture(self, name: int | str) -> Picture | None:
        """The picture of a code (an int or its digits) or a screen ("home", "4xx"); None if there is none."""
        if isinstance(name, str) and (name in SCREENS or _BUNDLED_ONLY.fullmatch(name)):
            return self._bundled.get(name) or self._picture(name, self.bundled_dir / f"{name}.jpg", "bundled")
        if isinstance(name, str):
            if not name.isdigit():
                return None
            name = int(name)
        code = name
        if code not in self.codes:
            return None
        user = self.user.get(code)
        if user is not None:
            picture = self._picture(str(code), user, "user")
            if picture is not None:
                return picture
        name = str(code)
        return self._bundled.get(name) or self._picture(name, self.bundled_dir / f"{name}.jpg", "bundled")

    def _picture(self, code: str, path: Path, origin: str) -> Picture | None:
        try:
            stat = path.stat()
        except OSError:
            if origin == "user":
                log.warning("Refused user picture %s: it is gone; using the bundled card", path)
            return None
        cache_key = (path, stat.st_mtime_ns, stat.st_size)
        known = self._manifest.get(code) if origin == "bundled" else None
        if (
            isinstance(known, dict)
            and known.get("bytes") == stat.st_size
            and isinstance(known.get("sha256"), str)
        ):
            # Part of the install, as its manifest describes: no need to look at it again.
            picture = self._bundled[code] = Picture(code, path, None, f"bundled:{code}:{known['sha256']}")
            return picture
        if cache_key not in self._checked:
            self._checked[cache_key] = self._check(path, origin)
        checked = self._checked[cache_key]
        if checked is None:
            return None
        return Picture(code, path, checked.data, f"{origin}:{code}:{checked.digest}")

    def _check(self, path: Path, origin: str) -> _Checked | None:
        try:
            raw = path.read_bytes()
            data = fit_for_telegram(raw)
        except (OSError, Refused) as exc:
            fallback = "using the bundled card" if origin == "user" else "sending no picture"
            log.warning("Refused %s picture %s: %s; %s", origin, path, exc, fallback)
            return None
        if data is not None:
            log.info(
                "Re-encoded %s to fit Telegram's photo limits (%d -> %d bytes)", path, len(raw), len(data)
            )
        return _Checked(data, hashlib.sha256(data if data is not None else raw).hexdigest()[:12])
