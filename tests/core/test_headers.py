"""Notes on the headers of a pasted response: specific, in the user's language, never a guess."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.headers import header_notes, response_headers

NOW = datetime(2026, 12, 1, 14, 3, tzinfo=UTC)


def test_retry_after_in_seconds_says_how_long_and_until_when():
    paste = "HTTP/1.1 429 Too Many Requests\nRetry-After: 120\n"
    assert header_notes(paste, 429, "en", NOW) == ["⏱ Retry-After: retry in 2 minutes, at 14:05 UTC."]
    assert header_notes(paste, 429, "zh", NOW) == ["⏱ Retry-After：2 分钟后重试，即 14:05 UTC。"]


def test_retry_after_as_a_date_is_read_against_the_responses_own_date():
    paste = "< date: Tue, 01 Dec 2026 09:00:00 GMT\n< retry-after: Tue, 01 Dec 2026 09:30:00 GMT\n"
    assert header_notes(paste, 503, "en", NOW)[0] == "⏱ Retry-After: retry at 09:30 UTC (in 30 minutes)."


def test_rate_limit_headers_say_what_is_left_and_when_it_resets():
    paste = "x-ratelimit-limit: 60\nx-ratelimit-remaining: 0\nratelimit-reset: 37\n"
    assert header_notes(paste, 429, "en", NOW) == [
        "📉 0 requests left in this window; the window resets in 37 s."
    ]


def test_a_bearer_challenge_explains_invalid_token():
    paste = (
        "< HTTP/1.1 401 Unauthorized\n"
        '< WWW-Authenticate: Bearer realm="api", error="invalid_token", '
        'error_description="The access token expired"\n'
    )
    note = header_notes(paste, 401, "en", NOW)[0]
    assert note.startswith("🔑 The server asks for Bearer credentials (realm “api”)")
    assert "invalid_token" in note and "The access token expired" in note


def test_a_cloudflare_502_says_which_hop_answered():
    paste = "HTTP/2 502\nserver: cloudflare\ncf-ray: 8a1b2c3d4e5f6a7b-FRA\n"
    assert "edge made this error, not your origin" in header_notes(paste, 502, "en", NOW)[0]


def test_curl_v_request_headers_are_not_read_as_the_response():
    paste = "> GET / HTTP/1.1\n> Retry-After: 5\n> Authorization: Bearer x\n< HTTP/1.1 404 Not Found\n"
    assert "retry-after" not in response_headers(paste)
    assert header_notes(paste, 404, "en", NOW) == []


def test_redirects_allow_and_content_types():
    assert "POST into a GET" in header_notes("Location: https://example.com/new\n", 301, "en", NOW)[0]
    assert "same method and body" in header_notes("location: /v2/items\n", 308, "en", NOW)[0]
    assert header_notes("Allow: GET, HEAD\n", 405, "en", NOW) == ["✅ This URL allows: GET, HEAD."]
    assert "application/json" in header_notes("Accept-Patch: application/json\n", 415, "en", NOW)[0]


def test_no_headers_no_notes():
    assert header_notes("upstream timed out", 504, "en", NOW) == []
