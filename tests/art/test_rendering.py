"""The committed cards: one per code, distinct, small enough, and exactly what the renderer makes today."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from bot.art.rendering import RenderError, _tokens, all_specs, entry_spec, footer_text
from bot.core.catalogue import Catalogue, load_catalogue
from bot.core.resources import CARDS_DIR

MAX_CARD_BYTES = 200 * 1024


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def names(catalogue: Catalogue) -> list[str]:
    """Every picture: one per code, one per class (1xx-5xx) and the browse card (home)."""
    return [spec.name for spec in all_specs(catalogue)]


def test_every_code_class_and_the_browse_screen_have_a_card(catalogue: Catalogue) -> None:
    assert {"home", "1xx", "5xx", "404"} <= set(names(catalogue))
    missing = [name for name in names(catalogue) if not (CARDS_DIR / f"{name}.jpg").is_file()]
    assert not missing, f"no card for {missing}: run `python -m bot render {' '.join(missing)}`"


def test_cards_are_small_wide_and_distinct(catalogue: Catalogue) -> None:
    digests: dict[str, str] = {}
    for code in names(catalogue):
        path = CARDS_DIR / f"{code}.jpg"
        assert path.stat().st_size <= MAX_CARD_BYTES, path
        with Image.open(path) as image:
            assert image.width >= 1200, path
            assert image.format == "JPEG"
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert digest not in digests, f"{code} and {digests[digest]} have the same card"
        digests[digest] = code


def test_no_stray_cards(catalogue: Catalogue) -> None:
    wanted = set(names(catalogue))
    strays = [p.name for p in CARDS_DIR.glob("*.jpg") if p.stem not in wanted]
    assert not strays


def test_footer_and_texts(catalogue: Catalogue) -> None:
    entry = catalogue.by_code[404]
    assert footer_text(entry) == "IANA registered · 标准状态码"
    assert entry_spec(entry, catalogue).texts[1:4] == ("404", "Not Found", "未找到")
    for entry in catalogue:
        if entry.status == "unofficial" and entry.vendors:
            assert footer_text(entry).startswith("Unofficial · 非标准 · ")
            assert entry.vendors[0] in footer_text(entry)


def test_latin_words_stay_whole() -> None:
    assert _tokens("HTTPS 请求被拒绝") == ["HTTPS", " ", "请", "求", "被", "拒", "绝"]
    assert _tokens("Multi-Status") == ["Multi-Status"]
    assert _tokens("未授权（身份）") == ["未", "授", "权", "（", "身", "份）"]


# ---------------------------------------------------------------- needs the `render` extra


@pytest.fixture(scope="module")
def renderer() -> object:
    pytest.importorskip("resvg_py")
    pytest.importorskip("fontTools")
    from bot.art import rendering

    return rendering


def _sample_codes(catalogue: Catalogue) -> list[str]:
    """The first and last codes, the longest English title (it wraps), a class and the browse card."""
    longest = max(catalogue, key=lambda e: len(e.en.title)).code
    return [str(c) for c in sorted({catalogue.codes[0], longest, catalogue.codes[-1]})] + ["4xx", "home"]


def test_committed_cards_match_a_fresh_render(renderer, catalogue: Catalogue, tmp_path: Path) -> None:
    codes = _sample_codes(catalogue)
    paths = renderer.render_cards(catalogue, codes, out_dir=tmp_path)
    for code, path in zip(codes, paths, strict=True):
        assert path.read_bytes() == (CARDS_DIR / f"{code}.jpg").read_bytes(), (
            f"card {code} differs from a fresh render: run `python -m bot render {code}` "
            "(or check the pinned resvg-py and Pillow versions)"
        )


def test_render_is_byte_identical_run_to_run(renderer, catalogue: Catalogue, tmp_path: Path) -> None:
    code = catalogue.codes[0]
    first = renderer.render_cards(catalogue, [code], out_dir=tmp_path / "a")[0].read_bytes()
    second = renderer.render_cards(catalogue, [code], out_dir=tmp_path / "b")[0].read_bytes()
    assert first == second


def test_long_titles_wrap_between_words(renderer) -> None:
    fonts = renderer._Fonts(renderer.ART_FONTS_DIR)
    size, lines = renderer.fit_title(fonts, "Network Authentication Required", "bold", 604)
    assert len(lines) == 2
    assert " ".join(lines) == "Network Authentication Required"
    assert size >= 40


def test_missing_art_is_named(renderer, catalogue: Catalogue, tmp_path: Path) -> None:
    entry = catalogue.by_code[404]
    for change, named in [
        ({"emoji": "🦄"}, "🦄"),
        ({"zh": entry.zh.model_copy(update={"title": "龘"})}, r"U\+9F98"),
    ]:
        odd = entry.model_copy(update=change)
        broken = Catalogue(entries=(odd,), classes=catalogue.classes)
        with pytest.raises(RenderError, match=named) as error:
            renderer.render_cards(broken, [404], out_dir=tmp_path)
        assert "bot.art.vendor" in str(error.value)
