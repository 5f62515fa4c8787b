"""Draws the illustration card of each code (data/cards/NNN.jpg) from the catalogue and the vendored art.

Run by a maintainer when the catalogue changes, never by the bot: resvg-py and fontTools (the `render`
extra) are imported inside the functions that need them. The output is byte-identical run to run
(no metadata, fixed encoder settings), so a re-render shows in git only when a card really changed.
Inputs come only from data/art/ (see bot/art/vendor.py); a missing glyph or pictogram stops with a
message saying which one and how to re-vendor.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import re
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from bot.core.catalogue import Catalogue, Entry, StatusClass
from bot.core.comparisons import Comparison, Comparisons, load_comparisons
from bot.core.nostatus import NoStatus, NoStatusCatalogue, load_nostatus
from bot.core.resources import ART_EMOJI_DIR, ART_FONTS_DIR, CARDS_DIR

WIDTH, HEIGHT = 1280, 720
JPEG_SETTINGS = {"quality": 88, "optimize": True, "progressive": False, "subsampling": "4:2:0"}
REVENDOR_HINT = "run `python -m bot.art.vendor` (needs npm, fonts-inter and fonts-noto-cjk)"
EMOJI_INDEX = "index.json"

# Vendored font files by role; bot/art/vendor.py makes them from the Debian fonts.
FONT_FILES = {
    "code": "CardSans-Black.otf",  # Inter Display Black
    "bold": "CardSans-Bold.otf",  # Inter Display Bold
    "regular": "CardSans-Regular.otf",  # Inter Regular
    "cjk-bold": "CardSansCJKsc-Bold.otf",  # Noto Sans CJK SC Bold
    "cjk-regular": "CardSansCJKsc-Regular.otf",  # Noto Sans CJK SC Regular
}
CJK_OF = {"code": "cjk-bold", "bold": "cjk-bold", "regular": "cjk-regular"}

FOOTERS = {
    "standard": "IANA registered · 标准状态码",
    "temporary": "IANA temporary · 临时注册",
    "unused": "Unused · 未使用",
    "obsoleted": "IANA obsoleted · 已废弃",
    "unofficial": "Unofficial · 非标准",
}

# Layout, in pixels of the 1280 x 720 card.
LEFT = 96
TEXT_RIGHT = 700
DISC_X, DISC_Y, DISC_R, RING = 985, 352, 238, 22
EMOJI_SIZE = 300
FOOTER_BASELINE = 668
BLOCK_TOP, BLOCK_BOTTOM = 48, 612
CODE_SIZE = 200
PILL_HEIGHT, PILL_TEXT, PILL_PAD = 54, 26, 24
FOOTER_TEXT = 28


class RenderError(RuntimeError):
    """A card cannot be drawn: missing art, unknown code, or a title that does not fit."""


def is_cjk(char: str) -> bool:
    """Characters drawn with the CJK font: ideographs, kana, CJK and full-width punctuation."""
    return ord(char) >= 0x2E80


def emoji_key(emoji: str) -> str:
    """The emoji without variation selector U+FE0F, as Fluent Emoji names it."""
    return emoji.replace("\ufe0f", "")


def pill_text(cls: StatusClass) -> str:
    return f"{cls.name} · {cls.en_title} · {cls.zh_title}"


def footer_text(entry: Entry) -> str:
    text = FOOTERS[entry.status]
    if entry.status == "unofficial" and entry.vendors:
        text += " · " + ", ".join(entry.vendors)
    return text


@dataclass(frozen=True)
class CardSpec:
    """What one picture shows. Code cards, the five class cards and the browse card share one layout."""

    name: str  # the file stem: "404", "4xx", "home"
    accent: str
    pill: str
    big: str
    en_title: str
    zh_title: str
    emoji: str
    footer: str

    @property
    def texts(self) -> tuple[str, ...]:
        """Every string drawn on the card; art_vendor subsets the fonts to exactly these characters."""
        return (self.pill, self.big, self.en_title, self.zh_title, self.footer)


def entry_spec(entry: Entry, catalogue: Catalogue) -> CardSpec:
    cls = catalogue.status_class(entry.status_class)
    return CardSpec(
        str(entry.code), cls.colour, pill_text(cls), str(entry.code), entry.en.title, entry.zh.title,
        entry.emoji, footer_text(entry),
    )  # fmt: skip


def class_spec(cls: StatusClass, catalogue: Catalogue) -> CardSpec:
    """The picture of a class page in the browse screens."""
    count = len(catalogue.in_class(cls.digit))
    return CardSpec(
        cls.name, cls.colour, "HTTP status class · 状态码类别", cls.name, cls.en_title, cls.zh_title,
        cls.emoji, f"{count} codes · {count} 个状态码",
    )  # fmt: skip


HOME_ACCENT = "#3b5bdb"
HOME_EMOJI = "📚"


def home_spec(catalogue: Catalogue) -> CardSpec:
    """The picture of the browse screen (/start, /browse)."""
    return CardSpec(
        "home", HOME_ACCENT, "1xx · 2xx · 3xx · 4xx · 5xx", "HTTP", "Status codes", "状态码",
        HOME_EMOJI, "RFC 9110 · IANA registry · English and 中文",
    )  # fmt: skip


# Errors that are not status codes: one colour per family, none of them a status class's.
FAMILY_ACCENTS = {
    "no-response": "#475569",
    "curl": "#0f766e",
    "browser": "#7c3aed",
    "cors": "#be185d",
    "os": "#0369a1",
    "cloudflare": "#c2410c",
}
FAMILY_NAMES = {
    "no-response": "No response · 没有响应",
    "curl": "curl exit code · curl 退出码",
    "browser": "Browser network error · 浏览器网络错误",
    "cors": "CORS · 跨域",
    "os": "Connection or TLS error · 连接或 TLS 错误",
    "cloudflare": "Cloudflare error page · Cloudflare 错误页",
}
NOT_A_STATUS = "Not an HTTP status · 不是 HTTP 状态码"
ERRORS_EMOJI = "🧩"
COMPARE_EMOJI = "⚖️"
COMPARE_ACCENT = "#334155"


def error_spec(error: NoStatus) -> CardSpec:
    footer = FAMILY_NAMES[error.family]
    if error.served_with:
        footer += f" · served with HTTP {error.served_with} · 以 {error.served_with} 返回"
    return CardSpec(
        error.picture, FAMILY_ACCENTS[error.family], NOT_A_STATUS, error.badge, error.en.title,
        error.zh.title, error.emoji, footer,
    )  # fmt: skip


def errors_spec(nostatus: NoStatusCatalogue) -> CardSpec:
    """The picture of the screens that list errors without a status."""
    return CardSpec(
        "errors", FAMILY_ACCENTS["no-response"], NOT_A_STATUS, "curl 7 · 000", "No status code arrived",
        "没有收到状态码", ERRORS_EMOJI, f"{len(nostatus)} errors explained · 共 {len(nostatus)} 个错误",
    )  # fmt: skip


@dataclass(frozen=True)
class TableSpec:
    """A comparison's picture: codes as columns, the facts that tell them apart as rows, both languages."""

    name: str
    accent: str
    pill: str
    en_title: str
    zh_title: str
    columns: tuple[tuple[str, str], ...]  # (code, its class colour)
    rows: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # en label, zh label, values
    footer: str

    @property
    def texts(self) -> tuple[str, ...]:
        cells = [text for row in self.rows for text in (row[0], row[1], *row[2], *row[3])]
        return (self.pill, self.en_title, self.zh_title, *(c for c, _ in self.columns), *cells, self.footer)


def comparison_spec(comparison: Comparison, catalogue: Catalogue) -> TableSpec:
    columns = tuple(
        (
            str(c),
            catalogue.status_class(catalogue.by_code[c].status_class).colour if c in catalogue else "#334155",
        )
        for c in comparison.codes
    )
    rows = tuple((r.en, r.zh, r.en_values, r.zh_values) for r in comparison.row)
    return TableSpec(
        comparison.picture, COMPARE_ACCENT, "Compare · 对比", comparison.en.title, comparison.zh.title,
        columns, rows, "What tells them apart · 如何区分",
    )  # fmt: skip


def all_specs(
    catalogue: Catalogue, nostatus: NoStatusCatalogue | None = None, comparisons: Comparisons | None = None
) -> list[CardSpec | TableSpec]:
    """Every picture the bot sends: one per code, one per class, the browse card, one per error without a
    status and its list, one per comparison."""
    # The pictures need no cross-check against the catalogue (the bot's start-up does that).
    any_code = frozenset(range(100, 1000))
    nostatus = nostatus if nostatus is not None else load_nostatus(any_code)
    comparisons = comparisons if comparisons is not None else load_comparisons(any_code)
    return [
        *(entry_spec(e, catalogue) for e in catalogue),
        *(class_spec(c, catalogue) for c in catalogue.classes),
        home_spec(catalogue),
        *(error_spec(e) for e in nostatus),
        errors_spec(nostatus),
        *(comparison_spec(c, catalogue) for c in comparisons),
    ]


# ---------------------------------------------------------------- fonts and text


@dataclass(frozen=True)
class _Run:
    text: str
    font: ImageFont.FreeTypeFont


class _Fonts:
    """The vendored fonts: Pillow faces by (role, size) and their character sets for clear errors."""

    def __init__(self, font_dir: Path) -> None:
        from fontTools.ttLib import TTFont

        if not features.check("raqm"):
            raise RenderError(
                "Pillow lacks raqm text layout (libfribidi0): cards would not be byte-identical"
            )
        self.paths: dict[str, Path] = {}
        self.charsets: dict[str, frozenset[int]] = {}
        for role, name in FONT_FILES.items():
            path = font_dir / name
            if not path.is_file():
                raise RenderError(f"font {path} is missing: {REVENDOR_HINT}")
            self.paths[role] = path
            with TTFont(path, lazy=True) as font:
                self.charsets[role] = frozenset(font.getBestCmap())
        self.face = cache(self._face)

    def _face(self, role: str, size: int) -> ImageFont.FreeTypeFont:
        return ImageFont.truetype(str(self.paths[role]), size, layout_engine=ImageFont.Layout.RAQM)

    def runs(self, text: str, role: str, size: int) -> list[_Run]:
        """Split text into Latin and CJK runs, each with its font; fail naming a glyph the subset lacks.

        Separators " · " get double spaces: single ones look cramped at card sizes.
        """
        runs: list[_Run] = []
        text = text.replace(" · ", "  ·  ")
        for cjk, chars in itertools.groupby(text, key=is_cjk):
            chunk = "".join(chars)
            font_role = CJK_OF[role] if cjk else role
            for char in chunk:
                if ord(char) not in self.charsets[font_role] and not char.isspace():
                    raise RenderError(
                        f"glyph {char!r} (U+{ord(char):04X}) of {text!r} is missing from "
                        f"{self.paths[font_role]}: {REVENDOR_HINT}"
                    )
            runs.append(_Run(chunk, self.face(font_role, size)))
        return runs

    def width(self, text: str, role: str, size: int) -> float:
        return sum(run.font.getlength(run.text) for run in self.runs(text, role, size))

    def draw(
        self, draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, role: str, size: int, fill: str
    ) -> None:
        """Draw text with its left end at x and its baseline at y."""
        x, y = xy
        for run in self.runs(text, role, size):
            draw.text((x, y), run.text, font=run.font, fill=fill, anchor="ls")
            x += run.font.getlength(run.text)


# Latin words (with their hyphens and dots) are never split; CJK characters break anywhere except
# before closing punctuation.
_CLOSING = "\u3001\u3002\u300b\u300d\uff09\uff0c\uff1a\uff1b\uff01\uff1f"
_TOKENS = re.compile(rf"\s+|[\u2e80-\uffff][{_CLOSING}]*|[^\s\u2e80-\uffff]+[{_CLOSING}]*")


def _tokens(text: str) -> list[str]:
    return _TOKENS.findall(text)


def _balanced(tokens: list[str], lines: int, measure: Callable[[str], float]) -> list[str] | None:
    """Split tokens into `lines` lines so that the widest line is as narrow as possible.

    In mixed Chinese and Latin titles a break at a space is preferred (30 % handicap for a break between
    two Chinese characters), so that `HTTP 请求发到了 / HTTPS 端口` wins over `HTTP 请求发到 / 了 HTTPS 端口`.
    """
    best: tuple[float, list[str]] | None = None
    for cuts in itertools.combinations(range(1, len(tokens)), lines - 1):
        bounds = (0, *cuts, len(tokens))
        parts = ["".join(tokens[a:b]).strip() for a, b in itertools.pairwise(bounds)]
        if not all(parts):
            continue
        unspaced = sum(1 for c in cuts if not (tokens[c - 1].isspace() or tokens[c].isspace()))
        score = max(measure(p) for p in parts) * (1 + 0.3 * unspaced)
        if best is None or score < best[0]:
            best = (score, parts)
    return None if best is None else best[1]


def fit_big(fonts: _Fonts, text: str, max_width: float) -> int:
    """The big line's size: CODE_SIZE for a code, smaller for a longer badge ("ECONNREFUSED")."""
    size = CODE_SIZE
    while size > 60 and fonts.width(text, "code", size) > max_width:
        size -= 4
    return size


def fit_title(fonts: _Fonts, text: str, role: str, max_width: float) -> tuple[int, list[str]]:
    """Largest size that fits: shrink on one line down to 50 px, then wrap on two or three lines."""
    for size in range(64, 49, -2):
        if fonts.width(text, role, size) <= max_width:
            return size, [text]
    tokens = _tokens(text)
    for lines in (2, 3):
        for size in range(56, 37, -2):
            parts = _balanced(tokens, lines, lambda s, size=size: fonts.width(s, role, size))
            if parts and max(fonts.width(p, role, size) for p in parts) <= max_width:
                return size, parts
    raise RenderError(f"title {text!r} does not fit on three lines at 38 px")


# ---------------------------------------------------------------- colours and shapes


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _mix(colour: str, other: str, amount: float) -> str:
    """`colour` moved `amount` (0..1) of the way towards `other`."""
    a, b = _rgb(colour), _rgb(other)
    return "#" + "".join(f"{round(x + (y - x) * amount):02x}" for x, y in zip(a, b, strict=True))


def _emoji_svg(emoji: str, code: int | str, emoji_dir: Path) -> str:
    index_path = emoji_dir / EMOJI_INDEX
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))["emoji"]
    except (OSError, ValueError, KeyError) as exc:
        raise RenderError(f"{index_path} is unreadable ({exc}): {REVENDOR_HINT}") from None
    name = index.get(emoji_key(emoji))
    path = emoji_dir / f"{name}.svg"
    if name is None or not path.is_file():
        what = f"{path}" if name else f"an entry in {index_path}"
        raise RenderError(
            f"emoji {emoji} of card {code} has no vendored SVG ({what} is missing): {REVENDOR_HINT}"
        )
    return path.read_text(encoding="utf-8")


def _decor_svg(accent: str, emoji_svg: str, pill_width: float, pill_top: float) -> str:
    """Everything but the text, drawn by resvg for anti-aliased shapes and the emoji's blur filters."""
    x = DISC_X - EMOJI_SIZE / 2
    y = DISC_Y - EMOJI_SIZE / 2
    emoji = re.sub(r"<\?xml[^>]*>", "", emoji_svg).replace(
        "<svg ", f'<svg x="{x:.1f}" y="{y:.1f}" width="{EMOJI_SIZE}" height="{EMOJI_SIZE}" ', 1
    )
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" \
viewBox="0 0 {WIDTH} {HEIGHT}">
<defs><linearGradient id="card-bg" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="{_mix(accent, "#ffffff", 0.93)}"/>
</linearGradient>
<radialGradient id="card-disc"><stop offset="0.55" stop-color="#ffffff"/>
<stop offset="1" stop-color="{_mix(accent, "#ffffff", 0.93)}"/></radialGradient>
<filter id="card-shadow" x="-20%" y="-20%" width="140%" height="150%">
<feDropShadow dx="0" dy="10" stdDeviation="12" flood-color="{_mix(accent, "#000000", 0.6)}" \
flood-opacity="0.18"/>
</filter></defs>
<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#card-bg)"/>
<rect width="18" height="{HEIGHT}" fill="{accent}"/>
<circle cx="{DISC_X}" cy="{DISC_Y}" r="{DISC_R}" fill="url(#card-disc)" \
stroke="{_mix(accent, "#ffffff", 0.82)}" stroke-width="{RING}"/>
<rect x="{LEFT}" y="{pill_top:.1f}" width="{pill_width:.1f}" \
height="{PILL_HEIGHT}" rx="{PILL_HEIGHT / 2}" fill="{accent}"/>
<g filter="url(#card-shadow)">{emoji}</g>
</svg>"""


def _svg_to_image(svg: str) -> Image.Image:
    import resvg_py

    png = resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True)
    return Image.open(io.BytesIO(bytes(png))).convert("RGB")


# ---------------------------------------------------------------- the card


def render_card(spec: CardSpec, fonts: _Fonts, emoji_dir: Path = ART_EMOJI_DIR) -> Image.Image:
    """One card: class pill, big code, English and Chinese titles, footer, and the pictogram in a disc."""
    accent = spec.accent
    max_width = TEXT_RIGHT - LEFT
    en_size, en_lines = fit_title(fonts, spec.en_title, "bold", max_width)
    zh_size, zh_lines = fit_title(fonts, spec.zh_title, "bold", max_width)

    # Vertical stack, measured from the visible tops of the glyphs: cap height of Inter is 0.73 em,
    # Noto CJK ideographs reach 0.84 em above the baseline.
    def line_top(text: str, size: int) -> float:
        return size * (0.84 if any(is_cjk(c) for c in text) else 0.73)

    big_size = fit_big(fonts, spec.big, max_width)
    pill_h, code_cap = PILL_HEIGHT, big_size * 0.73
    en_step, zh_step = en_size * 1.22, zh_size * 1.3
    height = pill_h + 44 + code_cap + 50 + line_top(en_lines[0], en_size) + en_step * (len(en_lines) - 1)
    height += (
        en_size * 0.22 + 26 + line_top(zh_lines[0], zh_size) + zh_step * (len(zh_lines) - 1) + zh_size * 0.1
    )
    top = max(BLOCK_TOP, (BLOCK_TOP + BLOCK_BOTTOM - height) / 2)

    pill = spec.pill
    pill_width = fonts.width(pill, "bold", PILL_TEXT) + 2 * PILL_PAD
    image = _svg_to_image(_decor_svg(accent, _emoji_svg(spec.emoji, spec.name, emoji_dir), pill_width, top))
    draw = ImageDraw.Draw(image)
    baseline = top + (PILL_HEIGHT + PILL_TEXT * 0.73) / 2
    fonts.draw(draw, (LEFT + PILL_PAD, baseline), pill, "bold", PILL_TEXT, "#ffffff")

    y = top + pill_h + 44 + code_cap
    fonts.draw(draw, (LEFT - 6, y), spec.big, "code", big_size, accent)
    y += 50 + line_top(en_lines[0], en_size)
    for i, line in enumerate(en_lines):
        fonts.draw(draw, (LEFT, y + i * en_step), line, "bold", en_size, _mix(accent, "#000000", 0.5))
    y += en_step * (len(en_lines) - 1) + en_size * 0.22 + 26 + line_top(zh_lines[0], zh_size)
    for i, line in enumerate(zh_lines):
        fonts.draw(draw, (LEFT, y + i * zh_step), line, "bold", zh_size, "#1f2937")

    footer = spec.footer
    size = FOOTER_TEXT
    while fonts.width(footer, "regular", size) > WIDTH - LEFT - 60 and size > 16:
        size -= 1
    fonts.draw(draw, (LEFT, FOOTER_BASELINE), footer, "regular", size, "#6b7280")
    return image


# The comparison table, in pixels of the 1280 x 720 card.
TABLE_TOP, TABLE_BOTTOM, LABEL_RIGHT, TABLE_RIGHT = 238, 640, 392, 1220
CELL_PAD = 10


def _fit_size(fonts: _Fonts, text: str, role: str, width: float, size: int, smallest: int) -> int:
    while size > smallest and fonts.width(text, role, size) > width:
        size -= 1
    return size


def _cell(fonts: _Fonts, draw: ImageDraw.ImageDraw, x: float, y: float, width: float, height: float,
          en: str, zh: str, en_fill: str) -> None:  # fmt: skip
    """An English value over its Chinese one, each shrunk to the cell's width, centred vertically."""
    en_size = _fit_size(fonts, en, "bold", width, 21, 12)
    zh_size = _fit_size(fonts, zh, "regular", width, 19, 11)
    block = en_size * 0.73 + 10 + zh_size * 0.84
    top = y + (height - block) / 2
    fonts.draw(draw, (x, top + en_size * 0.73), en, "bold", en_size, en_fill)
    if zh and zh != en:
        fonts.draw(draw, (x, top + en_size * 0.73 + 10 + zh_size * 0.84), zh, "regular", zh_size, "#4b5563")


def _table_svg(accent: str, pill_width: float) -> str:
    return f"""<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" \
viewBox="0 0 {WIDTH} {HEIGHT}">
<defs><linearGradient id="card-bg" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="{_mix(accent, "#ffffff", 0.93)}"/>
</linearGradient></defs>
<rect width="{WIDTH}" height="{HEIGHT}" fill="url(#card-bg)"/>
<rect width="18" height="{HEIGHT}" fill="{accent}"/>
<rect x="{LEFT}" y="40" width="{pill_width:.1f}" height="{PILL_HEIGHT}" rx="{PILL_HEIGHT / 2}" \
fill="{accent}"/>
<rect x="{LEFT - 12}" y="{TABLE_TOP}" width="{TABLE_RIGHT - LEFT + 24}" height="{TABLE_BOTTOM - TABLE_TOP}" \
rx="18" fill="#ffffff" stroke="{_mix(accent, "#ffffff", 0.8)}" stroke-width="2"/>
</svg>"""


def render_table(spec: TableSpec, fonts: _Fonts) -> Image.Image:
    """A comparison: title in both languages, then codes as columns and facts as rows."""
    pill_width = fonts.width(spec.pill, "bold", PILL_TEXT) + 2 * PILL_PAD
    image = _svg_to_image(_table_svg(spec.accent, pill_width))
    draw = ImageDraw.Draw(image)
    pill_baseline = 40 + (PILL_HEIGHT + PILL_TEXT * 0.73) / 2
    fonts.draw(draw, (LEFT + PILL_PAD, pill_baseline), spec.pill, "bold", PILL_TEXT, "#ffffff")
    title_width = WIDTH - LEFT - 60
    en_size = _fit_size(fonts, spec.en_title, "bold", title_width, 40, 24)
    zh_size = _fit_size(fonts, spec.zh_title, "bold", title_width, 32, 20)
    fonts.draw(draw, (LEFT, 150), spec.en_title, "bold", en_size, _mix(spec.accent, "#000000", 0.4))
    fonts.draw(draw, (LEFT, 202), spec.zh_title, "bold", zh_size, "#1f2937")

    columns = len(spec.columns)
    column_width = (TABLE_RIGHT - LABEL_RIGHT) / columns
    header = 64
    row_height = (TABLE_BOTTOM - TABLE_TOP - header) / len(spec.rows)
    for i, (code, colour) in enumerate(spec.columns):
        x = LABEL_RIGHT + i * column_width + CELL_PAD
        fonts.draw(draw, (x, TABLE_TOP + 46), code, "code", 36, colour)
    line = _mix(spec.accent, "#ffffff", 0.85)
    for r, (en_label, zh_label, en_values, zh_values) in enumerate(spec.rows):
        y = TABLE_TOP + header + r * row_height
        draw.line([(LEFT, y), (TABLE_RIGHT, y)], fill=line, width=2)
        _cell(fonts, draw, LEFT + 4, y, LABEL_RIGHT - LEFT - 2 * CELL_PAD, row_height, en_label, zh_label,
              _mix(spec.accent, "#000000", 0.3))  # fmt: skip
        for i in range(columns):
            x = LABEL_RIGHT + i * column_width + CELL_PAD
            _cell(fonts, draw, x, y, column_width - 2 * CELL_PAD, row_height, en_values[i], zh_values[i],
                  "#111827")  # fmt: skip

    size = _fit_size(fonts, spec.footer, "regular", WIDTH - LEFT - 60, FOOTER_TEXT, 16)
    fonts.draw(draw, (LEFT, FOOTER_BASELINE + 14), spec.footer, "regular", size, "#6b7280")
    return image


def encode(image: Image.Image) -> bytes:
    """JPEG with fixed settings and no metadata, so the same image always gives the same bytes."""
    out = io.BytesIO()
    image.save(out, "JPEG", **JPEG_SETTINGS)
    return out.getvalue()


def render_cards(
    catalogue: Catalogue,
    codes: Iterable[int | str] | None = None,
    out_dir: Path = CARDS_DIR,
    art_fonts: Path = ART_FONTS_DIR,
    art_emoji: Path = ART_EMOJI_DIR,
) -> list[Path]:
    """Write out_dir/NAME.jpg for the given codes or names ("4xx", "home"); rewrite only what changed.

    With codes=None every picture is drawn and pictures no longer needed are deleted.
    """
    specs = {spec.name: spec for spec in all_specs(catalogue)}
    wanted = list(specs) if codes is None else [str(c) for c in codes]
    unknown = [c for c in wanted if c not in specs]
    if unknown:
        raise RenderError(f"not in the catalogue: {', '.join(unknown)} (codes, 1xx-5xx or home)")
    try:
        import fontTools  # noqa: F401
        import resvg_py  # noqa: F401
    except ImportError as exc:
        raise RenderError(
            f"rendering needs the render extra ({exc.name}): pip install -e '.[render]'"
        ) from None
    fonts = _Fonts(art_fonts)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in wanted:
        try:
            spec = specs[name]
            drawn = (
                render_table(spec, fonts)
                if isinstance(spec, TableSpec)
                else render_card(spec, fonts, art_emoji)
            )
            data = encode(drawn)
        except RenderError as exc:
            raise RenderError(f"card {name}: {exc}") from None
        path = out_dir / f"{name}.jpg"
        if not path.is_file() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    if codes is None:
        for stale in set(out_dir.glob("*.jpg")) - set(written):
            stale.unlink()
    write_manifest(out_dir)
    return written


def write_manifest(out_dir: Path) -> None:
    """Record each card's size and digest, so the bot sends them without reading or decoding them."""
    cards = {}
    for path in sorted(out_dir.glob("*.jpg")):
        data = path.read_bytes()
        cards[path.stem] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:12]}
    text = json.dumps({"cards": cards}, indent=1, sort_keys=True) + "\n"
    manifest = out_dir / "manifest.json"
    if not manifest.is_file() or manifest.read_text(encoding="utf-8") != text:
        manifest.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """`python -m bot.art.rendering [CODE ...]`: render the given codes, or all, and print the cost."""
    from bot.core.catalogue import load_catalogue

    args = sys.argv[1:] if argv is None else argv
    catalogue = load_catalogue()
    started = time.perf_counter()
    paths = render_cards(catalogue, args or None)
    seconds = time.perf_counter() - started
    kib = [p.stat().st_size / 1024 for p in paths]
    count = max(len(paths), 1)
    print(
        f"{len(paths)} cards in {seconds:.1f} s ({seconds / count:.2f} s a card), "
        f"{sum(kib) / count:.0f} KB a card on average, largest {max(kib, default=0):.0f} KB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
