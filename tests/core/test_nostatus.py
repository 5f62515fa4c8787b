"""Errors that are not status codes (data/errors/): loaded, sourced, recognised where they appear only."""

from __future__ import annotations

import pytest

from bot.core.nostatus import FAMILIES, load_nostatus


def test_every_error_loads_with_sources_and_codes_the_catalogue_knows(catalogue):
    errors = load_nostatus(frozenset(catalogue.codes))
    assert len(errors) >= 40
    assert {e.family for e in errors} == set(FAMILIES)
    for error in errors:
        assert error.sources and all(s.url.startswith("https://") for s in error.sources), error.id
        assert all(c in catalogue for c in error.related), error.id


@pytest.mark.parametrize(
    ("paste", "error_id"),
    [
        ("CORS", "cors"),
        ("跨域", "cors"),
        (
            "Access to fetch at 'https://api.example.com/x' from origin 'https://app.example.com' has been "
            "blocked by CORS policy: No 'Access-Control-Allow-Origin' header is present on the requested "
            "resource.",
            "cors",
        ),
        ("curl: (7) Failed to connect to localhost port 8080 after 0 ms: Connection refused", "curl-7"),
        ("curl: (6) Could not resolve host: api.example.invalid", "curl-6"),
        ("GET https://app.example.com/api net::ERR_NAME_NOT_RESOLVED", "err-name-not-resolved"),
        ("status 000", "status-000"),
        ("000", "status-000"),
        ("Error: connect ECONNREFUSED 127.0.0.1:5432", "econnrefused"),
        ("Error 1020 Ray ID: 6b993ced1a281004 • 2021-12-06 23:19:14 UTC Access denied", "cf-1020"),
        ("curl 7", "curl-7"),
    ],
)
def test_the_issues_examples_get_an_explanation_of_their_own(searcher, paste, error_id):
    result = searcher.search(paste)
    assert result.kind == "error" and result.error is not None and result.error.id == error_id
    assert result.codes  # the related status codes are offered


def test_a_real_status_inside_an_error_message_wins(searcher):
    result = searcher.search("curl: (22) The requested URL returned error: 404")
    assert (result.kind, result.best) == ("hit", 404)


def test_an_nginx_upstream_refusal_is_still_a_502(searcher):
    result = searcher.search(
        "[error] 29#29: *1 connect() failed (111: Connection refused) while connecting to upstream"
    )
    assert (result.kind, result.best) == ("hit", 502)


def test_a_cloudflare_page_names_the_status_it_is_served_with(searcher):
    result = searcher.search("Error 1015 Ray ID: 9e7c8f741a2c1c63 You are being rate limited")
    assert result.kind == "error" and result.best == 429


@pytest.mark.parametrize(
    "prose",
    ["the connection was fine yesterday", "we refused the offer", "status update at noon", "I like curling"],
)
def test_ordinary_sentences_are_not_taken_for_errors(searcher, prose):
    assert searcher.search(prose).kind != "error"
