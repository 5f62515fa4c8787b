"""Search answers what people type: codes, classes, status lines, log lines, phrases, typos, Chinese."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st


def kind_and_codes(searcher, query):
    result = searcher.search(query)
    return result.kind, result.codes


@pytest.mark.parametrize("query", ["404", "  201 ", "#502", "４０４"])
def test_a_bare_code_is_a_hit(searcher, query):
    assert kind_and_codes(searcher, query)[0] == "hit"


@pytest.mark.parametrize(("query", "digit"), [("4xx", 4), ("5XX", 5), ("1xx", 1), ("2 xx", 2)])
def test_a_class(searcher, query, digit):
    result = searcher.search(query)
    assert result.kind == "class" and result.status_class == digit


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("HTTP/1.1 503 Service Unavailable", 503),
        ("HTTP/2 404", 404),
        ("HTTP/1.0 302 Found", 302),
        ("http/3 200", 200),
    ],
)
def test_a_status_line(searcher, query, code):
    assert kind_and_codes(searcher, query) == ("hit", (code,))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        (
            '203.0.113.7 - - [26/Nov/2026:13:49:11 +0000] "GET /api/users HTTP/1.1" 502 157 "-" "curl/8.4.0"',
            502,
        ),
        ('10.0.0.1 - - [01/Jan/2026:00:00:01 +0000] "POST /login HTTP/2.0" 401 0 "-" "Mozilla/5.0"', 401),
        (
            "h2 2026-11-26T13:49:11.123456Z app/my-alb/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 "
            '0.000 0.001 0.000 504 504 34 366 "GET https://www.example.com:443/ HTTP/2.0"',
            504,
        ),
        ("upstream responded with 502", 502),
        ("curl: (22) The requested URL returned error: 404", 404),
        ("GET https://example.com/api/items 500 (Internal Server Error)", 500),
        ("Failed to load resource: the server responded with a status of 403 (Forbidden)", 403),
        ("requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: https://x.io/a", 429),
        ("urllib.error.HTTPError: HTTP Error 503: Service Unavailable", 503),
        ("error code 522 from cloudflare", 522),
        ("my deploy keeps giving 504 since 10:30", 504),
    ],
)
def test_a_code_inside_pasted_text(searcher, text, code):
    result = searcher.search(text)
    assert result.best == code, result
    assert searcher.codes_in_text(text)[0] == code


def test_several_codes_in_one_paste_are_all_found(searcher):
    text = '"GET /a HTTP/1.1" 404 12\n"GET /b HTTP/1.1" 500 99'
    assert set(searcher.codes_in_text(text)) == {404, 500}


def test_numbers_that_are_not_status_codes_are_ignored(searcher):
    # an IP address, a time, a version, a port: no status code here
    assert searcher.codes_in_text("connect to 192.168.100.200:443 at 12:30 with curl/7.400.1") == ()


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("not found", 404),
        ("Bad Gateway", 502),
        ("payload too large", 413),
        ("Request Entity Too Large", 413),
        ("Requested Range Not Satisfiable", 416),
        ("Request-URI Too Long", 414),
        ("unprocessable entity", 422),
        ("i'm a teapot", 418),
        ("internal server error", 500),
        ("service unavailable", 503),
        ("method not allowed", 405),
    ],
)
def test_reason_phrases_old_and_new(searcher, query, code):
    assert kind_and_codes(searcher, query) == ("hit", (code,))


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("not fund", 404),
        ("bad gatway", 502),
        ("forbiden", 403),
        ("unauthorised", 401),
        ("too many reqests", 429),
    ],
)
def test_typos(searcher, query, code):
    assert searcher.search(query).best == code


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("找不到", 404),
        ("网关超时", 504),
        ("请求过多", 429),
        ("服务器内部错误", 500),
        ("未找到", 404),
        ("永久移动", 301),
    ],
)
def test_chinese(searcher, query, code):
    assert searcher.search(query).best == code


def test_a_partial_chinese_phrase_offers_the_codes_it_fits(searcher):
    result = searcher.search("网关")
    assert result.kind == "choices" and {502, 504} <= set(result.codes)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("HTTP_404_NOT_FOUND", 404),
        ("StatusNotFound", 404),
        ("HttpStatus.NOT_FOUND", 404),
        ("HTTPStatus.TOO_MANY_REQUESTS", 429),
        ("StatusBadGateway", 502),
        (":unprocessable_entity", 422),
        ("HTTP_503_SERVICE_UNAVAILABLE", 503),
    ],
)
def test_framework_constants(searcher, query, code):
    assert searcher.search(query).best == code


def test_a_generic_word_offers_a_choice_best_first(searcher):
    result = searcher.search("timeout")
    assert result.kind == "choices"
    assert {408, 504} <= set(result.codes)
    assert len(result.candidates) <= 5
    assert all(c.score > 0 for c in result.candidates)


def test_paraphrases_and_keywords(searcher):
    assert searcher.search("rate limited").best == 429
    assert 301 in searcher.search("redirect").codes


def test_an_unknown_code_is_reported_with_the_nearest_real_ones(searcher):
    result = searcher.search("777")
    assert result.kind == "unknown" and result.unknown_code == 777
    assert len(result.codes) == 3
    result = searcher.search("458")
    assert result.kind == "unknown" and all(c // 100 == 4 for c in result.codes)


def test_nonsense_is_a_miss_with_suggestions(searcher):
    result = searcher.search("qwzx plomb")
    assert result.kind == "miss" and result.codes


@pytest.mark.parametrize("query", ["", "   ", "\x00\x01", "\u200b"])
def test_empty_input(searcher, query):
    assert searcher.search(query).kind == "empty"


def test_a_huge_paste_is_fine(searcher):
    text = ("lorem ipsum dolor " * 6000) + ' "GET / HTTP/1.1" 503 0'
    assert len(text) > 100_000
    result = searcher.search(text)
    assert result.kind in ("hit", "choices", "miss")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_search_never_raises(searcher, text):
    result = searcher.search(text)
    assert result.kind in ("hit", "choices", "class", "unknown", "miss", "empty", "error", "compare")
    assert all(c in searcher.catalogue for c in result.codes)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["404", "HTTP/1.1", "网关", "\n", "😀", "not", "x" * 50, "\x00", " "]), max_size=40
    )
)
def test_mixed_pieces_get_a_consistent_answer(searcher, pieces):
    """Pastes built of codes, status lines, Chinese, emoji and control characters: whatever the mix, the
    answer is well formed, and a paste holding `404` and nothing credible against it finds 404."""
    text = "".join(pieces)
    result = searcher.search(text)
    assert result.kind in ("hit", "choices", "class", "unknown", "miss", "empty", "error", "compare")
    assert all(c in searcher.catalogue for c in result.codes)
    assert len(result.codes) == len(set(result.codes))
    if result.kind == "hit":
        assert len(result.codes) == 1
    if not text.strip(" \n\x00"):
        assert result.kind == "empty"
    if pieces == ["404"]:
        assert result.best == 404


def test_a_short_query_asked_again_is_answered_from_memory_and_a_paste_is_not_kept(catalogue):
    from bot.core.search import CACHED_QUERY_CHARS, Searcher

    searcher = Searcher.load(catalogue)  # its own memory, empty
    first = searcher.search("gateway timeout")
    assert searcher.search("gateway timeout") is first  # the very same answer, not searched again
    assert first.kind == "hit" and first.codes == (504,)
    paste = "2024/01/01 [error] upstream timed out while reading response header from upstream\n" * 40
    assert len(paste) > CACHED_QUERY_CHARS
    before = searcher._remembered.cache_info().currsize
    assert searcher.search(paste).codes[:1] == (504,)
    assert searcher._remembered.cache_info().currsize == before  # a paste is not held in memory
