"""The catalogue is complete, correct where it can be checked mechanically, and faithful to the seed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from bot.core.catalogue import CatalogueError, load_catalogue
from bot.core.i18n import load_strings
from bot.core.markup import HTML, PLAIN, visible_length
from bot.core.resources import DATA_DIR
from bot.screens.cards import CAPTION_LIMIT, TEXT_LIMIT, caption, details

# The IANA HTTP Status Code Registry's permanent entries (63), as of RFC 9110.
IANA = {
    100, 101, 102, 103,
    200, 201, 202, 203, 204, 205, 206, 207, 208, 226,
    300, 301, 302, 303, 304, 305, 306, 307, 308,
    400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418,
    421, 422, 423, 424, 425, 426, 428, 429, 431, 451,
    500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
}  # fmt: skip
UNOFFICIAL = {
    "nginx": {444, 494, 495, 496, 497, 499},
    "Cloudflare": {520, 521, 522, 523, 524, 525, 526, 530},
    "AWS": {460, 463, 464, 561},
    "IIS": {440, 449},
    "other": {419, 420, 498, 509, 598, 599},
}
# RFC 9110 §15.1: heuristically cacheable by default.
CACHEABLE = {200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501}
RFC9110_NAMES = {
    413: "Content Too Large",
    414: "URI Too Long",
    416: "Range Not Satisfiable",
    422: "Unprocessable Content",
}


def test_every_iana_code_is_present(catalogue):
    assert len(IANA) == 63
    assert set(catalogue.codes) >= IANA


def test_the_common_unofficial_codes_are_present_and_labelled(catalogue):
    for vendor, codes in UNOFFICIAL.items():
        for code in codes:
            entry = catalogue.get(code)
            assert entry is not None, code
            assert entry.status == "unofficial" and entry.vendors, code
            if vendor != "other":
                assert any(vendor.lower() in v.lower() for v in entry.vendors), (code, entry.vendors)


def test_status_matches_the_registry(catalogue):
    for entry in catalogue:
        if entry.code in IANA:
            expected = {306: "unused", 418: "unused", 510: "obsoleted"}.get(entry.code, "standard")
            assert entry.status == expected, entry.code
            assert not entry.vendors, entry.code
        elif entry.code == 104:
            assert entry.status == "temporary"
        else:
            assert entry.status == "unofficial", entry.code


def test_current_rfc_9110_names_with_the_old_ones_kept(catalogue):
    for code, name in RFC9110_NAMES.items():
        entry = catalogue.by_code[code]
        assert entry.en.title == name
        assert entry.former_names, code
    assert "Payload Too Large" in catalogue.by_code[413].former_names
    assert "Request Entity Too Large" in catalogue.by_code[413].former_names
    assert "Unprocessable Entity" in catalogue.by_code[422].former_names


def test_cacheable_by_default_follows_rfc_9110(catalogue):
    standard = {e.code for e in catalogue if e.code in IANA and e.cacheable}
    assert standard == CACHEABLE | {451}  # RFC 7725, Section 3: a 451 is cacheable by default too


def test_unused_codes_follow_one_rule_and_say_what_people_call_them(catalogue):
    assert catalogue.by_code[306].en.title == catalogue.by_code[418].en.title == "(Unused)"
    assert "Switch Proxy" in catalogue.by_code[306].aka
    assert "I'm a teapot" in catalogue.by_code[418].aka


def test_every_entry_names_its_sources(catalogue):
    assert [e.code for e in catalogue if not e.sources] == []


def test_every_link_is_well_formed(catalogue):
    for entry in catalogue:
        assert re.fullmatch(r"https://[\w.-]+/\S*", entry.spec_url), entry.code
        if entry.spec.startswith("RFC "):
            rfc = re.match(r"RFC (\d+)", entry.spec).group(1)
            assert entry.spec_url.startswith(f"https://www.rfc-editor.org/rfc/rfc{rfc}"), entry.code
            section = re.search(r"Section ([\d.]+)", entry.spec)
            if section:
                assert entry.spec_url.endswith(f"#section-{section.group(1)}"), entry.code
        if entry.mdn_url:
            assert entry.mdn_url.startswith("https://developer.mozilla.org/en-US/docs/Web/HTTP/"), entry.code
    assert catalogue.by_code[404].spec_url == "https://www.rfc-editor.org/rfc/rfc9110#section-15.5.5"


def test_every_field_is_filled_in_both_languages(catalogue):
    for entry in catalogue:
        for lang in ("en", "zh"):
            text = entry.text(lang)
            for field in ("title", "summary", "description", "tip"):
                assert getattr(text, field).strip(), (entry.code, lang, field)
            for field in ("causes", "client_fix", "server_fix"):
                assert len(getattr(text, field)) >= 1, (entry.code, lang, field)
        assert re.search(r"[\u4e00-\u9fff]", entry.zh.description), entry.code


def _seed_titles() -> dict[int, str]:
    text = (DATA_DIR / "seed.md").read_text(encoding="utf-8")
    return {int(code): title for code, title in re.findall(r"\[(\d{3}) [^\]]+? - ([^\]]+)\]", text)}


def test_the_seed_titles_are_kept_word_for_word(catalogue):
    seed = _seed_titles()
    assert len(seed) == 15  # the seed lists 15 codes (its 4xx and 5xx sections are empty)
    for code, title in seed.items():
        assert catalogue.by_code[code].zh.title == title, code


def test_the_seed_mistakes_are_corrected(catalogue):
    assert "GET" in catalogue.by_code[303].en.description
    assert "GET" in catalogue.by_code[303].zh.description
    assert "method" in catalogue.by_code[307].en.description.lower()


def test_confused_codes_and_emoji(catalogue):
    emoji = [e.emoji for e in catalogue]
    assert len(set(emoji)) == len(emoji), "two codes share a pictogram"
    assert set(catalogue.by_code[301].confused_with) & {302, 307, 308}
    assert set(catalogue.by_code[401].confused_with) & {403}
    assert set(catalogue.by_code[502].confused_with) & {504}


def test_several_meanings_of_one_number_are_kept(catalogue):
    for code in (420, 499, 451, 530):
        assert catalogue.by_code[code].also, code


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_card_fits_telegram(catalogue, lang):
    for entry in catalogue:
        for markup in (HTML, PLAIN):
            assert visible_length(caption(catalogue, entry, lang, markup), markup) <= CAPTION_LIMIT
            assert visible_length(details(catalogue, entry, lang, markup), markup) <= TEXT_LIMIT
        # The whole description fits: nothing was cut to make room.
        assert entry.text(lang).description.split("。")[0][:30] in caption(catalogue, entry, lang, PLAIN)


def test_every_string_has_both_languages():
    strings = load_strings()
    assert all(set(texts) >= {"en", "zh"} for texts in strings.values())


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR / "codes", target / "codes")
    shutil.copy(DATA_DIR / "classes.toml", target / "classes.toml")
    return target


def test_a_broken_entry_names_the_file_and_the_field(tmp_path):
    data = _copy_data(tmp_path)
    path = data / "codes" / "404.toml"
    path.write_text(path.read_text(encoding="utf-8").replace('title = "Not Found"', 'title = ""'), "utf-8")
    with pytest.raises(CatalogueError, match=r"404\.toml: field en\.title"):
        load_catalogue(data)


def test_a_file_named_for_another_code_is_refused(tmp_path):
    data = _copy_data(tmp_path)
    (data / "codes" / "404.toml").rename(data / "codes" / "499x.toml")
    with pytest.raises(CatalogueError, match=r"499x\.toml: field code"):
        load_catalogue(data)


def test_invalid_toml_is_reported(tmp_path):
    data = _copy_data(tmp_path)
    (data / "codes" / "404.toml").write_text("code = [", "utf-8")
    with pytest.raises(CatalogueError, match=r"404\.toml: not valid TOML"):
        load_catalogue(data)


VENDOR_CODES = {
    430: "Shopify",
    450: "Microsoft",
    527: "Cloudflare",
    529: "Anthropic",
    540: "Shopify",
    999: "LinkedIn",
}


@pytest.mark.parametrize("code", sorted(VENDOR_CODES))
def test_vendor_codes_people_meet_have_a_card_naming_the_vendor_in_both_languages(plain_views, code):
    for lang in ("en", "zh"):
        reply = plain_views.answer(str(code), lang)
        assert reply.outcome == "hit" and reply.picture == str(code)
        assert VENDOR_CODES[code] in reply.text


def test_vendor_meanings_on_codes_we_had(catalogue):
    also = {code: " ".join(o.vendor for o in catalogue.by_code[code].also) for code in (308, 402, 526, 530)}
    assert "Google" in also[308] and "Shopify" in also[402] and "Cloud Foundry" in also[526]
    assert "Shopify" in also[530]
    assert "Purpose Declined" in [o.en.title for o in catalogue.by_code[419].also]


def test_registry_states_are_recorded(catalogue):
    assert catalogue.by_code[510].status == "obsoleted"
    temporary = catalogue.by_code[104]
    assert temporary.status == "temporary" and temporary.registered and temporary.expires
