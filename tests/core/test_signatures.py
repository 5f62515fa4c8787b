"""Known error messages without a number: loaded, validated, matched where they appear and nowhere else."""

from __future__ import annotations

import pytest

from bot.core.catalogue import CatalogueError
from bot.core.signatures import anchors, load_signatures


def test_every_signature_loads_with_codes_the_catalogue_knows(catalogue):
    signatures = load_signatures(frozenset(catalogue.codes))
    assert len(signatures) >= 300
    assert all(s.source.startswith("https://") for s in signatures.signatures)


def test_a_signature_with_an_unknown_code_stops_the_load_naming_file_and_entry(tmp_path, catalogue):
    (tmp_path / "x.toml").write_text(
        '[[signature]]\nphrase = "flux capacitor"\ncodes = [777]\nvendor = "Doc"\n'
        'en = "Doc: flux"\nzh = "Doc：通量"\nsource = "https://example.com"\n',
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError, match=r"x.toml: signature 1: field codes: \[777\]"):
        load_signatures(frozenset(catalogue.codes), tmp_path)


def test_anchors_are_strings_every_match_contains():
    assert anchors(r"\bno live upstreams\b") == (("no live upstreams",),)
    assert anchors(r"\bMANIFEST_UNKNOWN\b|\bmanifest unknown\b") == (
        ("manifest_unknown",),
        ("manifest unknown",),
    )
    # Strings a match needs together are all required: "access denied" alone does not wake this one up.
    both = anchors(r"(?s)\baccess denied\b.{0,80}\berror code:?\s*1020\b")
    assert both == (("access denied", "error code", "1020"),)
    assert anchors(r"\d+") is None


@pytest.mark.parametrize(
    ("paste", "code", "label"),
    [
        (
            "2023/05/10 12:00:01 [error] 29#29: *1 upstream timed out (110: Connection timed out) while "
            'reading response header from upstream, client: 192.0.2.10, request: "GET / HTTP/1.1"',
            504,
            "nginx",
        ),
        ("An error occurred (SlowDown) when calling the PutObject operation", 503, "S3"),
        ('Error from server (NotFound): pods "web-0" not found', 404, "Kubernetes"),
        ("toomanyrequests: You have reached your pull rate limit.", 429, ""),
    ],
)
def test_messages_without_a_number_find_their_code_and_say_what_was_recognised(searcher, paste, code, label):
    result = searcher.search(paste)
    assert result.kind == "hit" and result.best == code
    assert result.recognised is not None and label in result.recognised.en


@pytest.mark.parametrize(
    "prose", ["our web server is down again", "access denied", "please slow down", "the connection timed out"]
)
def test_ordinary_sentences_are_not_taken_for_signatures(searcher, prose):
    assert searcher.search(prose).recognised is None
