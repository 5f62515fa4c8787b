"""The pastes issue #10 names, each answered with the right single card (`ask` and the bot share this)."""

from __future__ import annotations

import pytest

NGINX = "2024/03/01 10:00:00 [error] 184#184: *7 {message}, client: 192.0.2.1, server: example.com"

EXAMPLES = [
    (NGINX.format(message="connect() failed (111: Connection refused) while connecting to upstream"), 502),
    (NGINX.format(message="no live upstreams while connecting to upstream"), 502),
    (
        NGINX.format(
            message="upstream prematurely closed connection while reading response header from upstream"
        ),
        502,
    ),
    (NGINX.format(message="client intended to send too large body: 10485761 bytes"), 413),
    ("no live upstreams", 502),
    ("499的", 499),
    ("401错误", 401),
    ("504timeout", 504),
    ("触发504", 504),
    ('{"status":415,"error":"Unsupported Media Type"}', 415),
    ('{"code":401,"message":"token expired"}', 401),
    ("curl -s -w 'HTTPSTATUS:%{http_code}' … HTTPSTATUS:403", 403),
    ("npm ERR! code E429", 429),
    ("toomanyrequests: You have reached your pull rate limit.", 429),
    ("An error occurred (SlowDown) when calling the PutObject operation", 503),
    ("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied", 403),
    ('Error from server (NotFound): deployments.apps "web" not found', 404),
    ('Error from server (Conflict): Operation cannot be fulfilled on pods "web-0"', 409),
    ("error: You must be logged in to the server (Unauthorized)", 401),
    (
        "org.springframework.web.HttpMediaTypeNotSupportedException: "
        "Content-Type 'text/plain' is not supported",
        415,
    ),
    ("upstream connect error or disconnect/reset before headers. reset reason: connection failure", 503),
    ('{"code":14,"message":"connection error","details":[]}', 503),
    (
        "npm http fetch GET 304 https://registry.npmjs.org/a 12ms\n"
        "npm http fetch GET 404 https://registry.npmjs.org/b 30ms",
        404,
    ),
    ("Permanent Redirect", 308),
    ("Temporary Redirect", 307),
    ("HTTP/1.1 503 Service Unavailable", 503),
    ("bad gatway", 502),
    ("网关超时", 504),
]


@pytest.mark.parametrize(("paste", "code"), EXAMPLES)
def test_the_issues_examples_get_the_right_single_card(searcher, paste, code):
    result = searcher.search(paste)
    assert (result.kind, result.best) == ("hit", code), result


def test_a_worker_id_is_not_read_as_a_status(searcher):
    result = searcher.search(NGINX.format(message="upstream timed out (110: Connection timed out)"))
    assert result.codes == (504,)
    assert searcher.search("2024/03/01 10:00:00 [error] 184#184: *7 something odd").unknown_code is None


def test_nothing_credible_in_a_long_paste_offers_no_unrelated_codes(searcher):
    paste = 'Traceback (most recent call last):\n  File "app.py", line 12, in <module>\n    main()\n' * 3
    result = searcher.search(paste + "ValueError: invalid literal for int() with base 10: 'abc'")
    assert result.kind == "miss" and result.codes == ()
