"""Vendors the inputs of the cards into data/art/, so rendering needs neither npm nor apt.

Rerun only when the catalogue gains an emoji or a character the subset fonts lack (the renderer says so):

    apt-get install -y fonts-inter fonts-noto-cjk
    python -m bot.art.vendor

It fetches Microsoft's Fluent Emoji (MIT) with `npm pack` from the pinned iconify packages, keeps exactly
the SVGs the catalogue uses (data/art/emoji/<name>.svg and index.json mapping emoji to name), and subsets
Inter and Noto Sans CJK SC (OFL) to the characters the cards draw, renamed as OFL Modified Versions
(data/art/fonts/). Licences are in data/art/LICENSES.md. Needs fontTools (the `render` extra).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from bot.art.rendering import EMOJI_INDEX, FONT_FILES, all_specs, emoji_key, is_cjk
from bot.core.catalogue import Catalogue, load_catalogue
from bot.core.resources import ART_EMOJI_DIR, ART_FONTS_DIR

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

# Exact versions: a newer pack may redraw an emoji and so change cards nobody meant to touch.
EMOJI_PACKAGE = "@iconify-json/fluent-emoji@1.2.7"  # the colour icons; its chars.json is empty
CHARS_PACKAGE = "@iconify-json/fluent-emoji-flat@1.2.6"  # only for its emoji -> icon name map

# role -> (Debian font file, face index in a collection, new family name, style)
FONT_SOURCES = {
    "code": ("/usr/share/fonts/opentype/inter/InterDisplay-Black.otf", None, "CardSans", "Black"),
    "bold": ("/usr/share/fonts/opentype/inter/InterDisplay-Bold.otf", None, "CardSans", "Bold"),
    "regular": ("/usr/share/fonts/opentype/inter/Inter-Regular.otf", None, "CardSans", "Regular"),
    # NotoSansCJK-*.ttc face 2 is Simplified Chinese (0 would give Japanese glyph shapes).
    "cjk-bold": ("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2, "CardSans CJK SC", "Bold"),
    "cjk-regular": (
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        2,
        "CardSans CJK SC",
        "Regular",
    ),
}
# chars.json lists no aliased icon: 👉 is the colour pack's mirrored 👈, with each skin tone.
_TONES = {
    "": "",
    "-1f3fb": "-light",
    "-1f3fc": "-medium-light",
    "-1f3fd": "-medium",
    "-1f3fe": "-medium-dark",
    "-1f3ff": "-dark",
}
ALIAS_CHARS = {f"1f449{cp}": f"backhand-index-pointing-right{tone}" for cp, tone in _TONES.items()}
# Latin subsets keep all of printable ASCII, so an English title edit rarely needs a re-vendor.
ASCII = {chr(c) for c in range(0x20, 0x7F)}


class VendorError(RuntimeError):
    """An input is missing (npm package, Debian font) or an emoji is not in Fluent Emoji."""


# ---------------------------------------------------------------- emoji


def _npm_pack(spec: str, into: Path) -> Path:
    try:
        out = subprocess.run(
            ["npm", "pack", "--silent", spec], cwd=into, check=True, capture_output=True, text=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as exc:
        raise VendorError(f"npm pack {spec} failed: {exc}") from None
    return into / out.strip().splitlines()[-1]


def _read_json(tgz: Path, member: str) -> dict:
    with tarfile.open(tgz) as tar:
        fh = tar.extractfile(f"package/{member}")
        if fh is None:
            raise VendorError(f"{tgz.name} has no {member}")
        return json.load(fh)


def _icon_svg(icons: dict, name: str) -> str | None:
    """A standalone SVG for an iconify icon (following one alias level, with its flips)."""
    flip = False
    if name not in icons["icons"]:
        alias = icons.get("aliases", {}).get(name)
        if alias is None or alias["parent"] not in icons["icons"]:
            return None
        name, flip = alias["parent"], alias.get("hFlip", False)
    icon = icons["icons"][name]
    width = icon.get("width", icons.get("width", 16))
    height = icon.get("height", icons.get("height", 16))
    body = icon["body"]
    if flip:
        body = f'<g transform="translate({width} 0) scale(-1 1)">{body}</g>'
    left, top = icon.get("left", 0), icon.get("top", 0)
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{left} {top} {width} {height}">{body}</svg>\n'


def vendor_emoji(catalogue: Catalogue, emoji_dir: Path = ART_EMOJI_DIR) -> list[str]:
    """Write the catalogue's emoji SVGs and index; return problems (missing emoji, shared emoji)."""
    users: dict[str, list[str]] = defaultdict(list)
    for spec in all_specs(catalogue):
        if emoji := getattr(spec, "emoji", None):  # tables (comparisons) draw no pictogram
            users[emoji_key(emoji)].append(spec.name)
    # Two codes with one pictogram would blur them; an error or a comparison may borrow a code's.
    problems = [
        f"emoji {emoji} is shared by cards {', '.join(codes)}"
        for emoji, codes in users.items()
        if sum(1 for c in codes if c.isdigit()) > 1
    ]
    with tempfile.TemporaryDirectory() as tmp:
        icons = _read_json(_npm_pack(EMOJI_PACKAGE, Path(tmp)), "icons.json")
        chars = _read_json(_npm_pack(CHARS_PACKAGE, Path(tmp)), "chars.json") | ALIAS_CHARS
    index: dict[str, str] = {}
    svgs: dict[str, str] = {}
    for emoji, codes in sorted(users.items(), key=lambda item: item[1]):
        name = chars.get("-".join(f"{ord(c):x}" for c in emoji))
        svg = _icon_svg(icons, name) if name else None
        if svg is None:
            where = "not in Fluent Emoji" if name is None else f"'{name}' not in the colour pack"
            problems.append(f"emoji {emoji} of card {', '.join(codes)} is {where}")
            continue
        index[emoji] = name
        svgs[name] = svg
    emoji_dir.mkdir(parents=True, exist_ok=True)
    for old in emoji_dir.glob("*.svg"):
        if old.stem not in svgs:
            old.unlink()
    for name, svg in svgs.items():
        (emoji_dir / f"{name}.svg").write_text(svg, encoding="utf-8")
    meta = {
        "source": f"{EMOJI_PACKAGE} (colour), names from {CHARS_PACKAGE}",
        "emoji": dict(sorted(index.items())),
    }
    (emoji_dir / EMOJI_INDEX).write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    return problems


# ---------------------------------------------------------------- fonts


def used_characters(catalogue: Catalogue) -> tuple[set[str], set[str]]:
    """(Latin, CJK) characters drawn on all cards."""
    chars = {c for spec in all_specs(catalogue) for text in spec.texts for c in text}
    return {c for c in chars if not is_cjk(c)} | ASCII, {c for c in chars if is_cjk(c)}


def _rename(font: TTFont, family: str, style: str) -> None:
    """New names for an OFL Modified Version; the copyright and licence records stay."""
    name = font["name"]
    ps_name = f"{family.replace(' ', '')}-{style}"
    for name_id in (1, 2, 3, 4, 6, 16, 17, 18, 21, 22, 25):
        name.removeNames(nameID=name_id)
    ribbi = style in ("Regular", "Bold")
    records = {
        1: family if ribbi else f"{family} {style}",
        2: style if ribbi else "Regular",
        3: f"{ps_name};subset for http-status-bot cards",
        4: f"{family} {style}" if style != "Regular" else family,
        6: ps_name,
    }
    if not ribbi:
        records |= {16: family, 17: style}
    for name_id, text in records.items():
        name.setName(text, name_id, 3, 1, 0x409)
    cff = font["CFF "].cff
    old_ps = cff.fontNames[0]
    cff.fontNames = [ps_name]
    top = cff.topDictIndex[0]
    top.FullName, top.FamilyName = records[4], family
    for fd in getattr(top, "FDArray", None) or []:
        fd.FontName = fd.FontName.replace(old_ps, ps_name)


def subset_font(source: str, index: int | None, family: str, style: str, chars: set[str], out: Path) -> None:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    if not Path(source).is_file():
        raise VendorError(f"{source} is missing: apt-get install -y fonts-inter fonts-noto-cjk")
    font = TTFont(source, fontNumber=index if index is not None else -1, recalcTimestamp=False)
    missing = sorted(c for c in chars if ord(c) not in font.getBestCmap() and not c.isspace())
    if missing:
        raise VendorError(f"{source} has no glyph for {''.join(missing)!r}")
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars))
    subsetter.subset(font)
    _rename(font, family, style)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.save(out)


def vendor_fonts(catalogue: Catalogue, font_dir: Path = ART_FONTS_DIR) -> None:
    latin, cjk = used_characters(catalogue)
    for role, (source, index, family, style) in FONT_SOURCES.items():
        subset_font(
            source,
            index,
            family,
            style,
            cjk if role.startswith("cjk") else latin,
            font_dir / FONT_FILES[role],
        )


def main() -> int:
    catalogue = load_catalogue()
    vendor_fonts(catalogue)
    problems = vendor_emoji(catalogue)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"vendored {len(catalogue)} codes' art into {ART_EMOJI_DIR.parent}")
    return 1 if any("not in" in p for p in problems) else 0


if __name__ == "__main__":
    raise SystemExit(main())
