"""Properties of replies built from what users type: whatever the text, Telegram accepts the answer.

Telegram refuses a whole message for one bad entity, one character too many or one bad button, and the
user then gets nothing at all; so every reply built from arbitrary text or button data is checked the
way the Bot API checks it (tests/fake_telegram.parse_html is as strict as Telegram). That search never
raises, and callback data and settings parsing, have their own properties in test_search,
test_callbacks and test_settings.
"""

from __future__ import annotations

import re

from fake_telegram import parse_html
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.adapter.delivery import markup
from bot.adapter.handlers import without_mention
from bot.core.catalogue import load_catalogue
from bot.core.markup import HTML, visible_length
from bot.screens import callbacks
from bot.screens.callbacks import Action
from bot.screens.cards import CAPTION_LIMIT, TEXT_LIMIT
from bot.screens.views import QUERY_ECHO, Reply, Views

FAST = settings(max_examples=200, deadline=None)
LANGS = st.sampled_from(["en", "zh"])
CODES = load_catalogue().codes
OUR_TAGS = re.compile(r'</?(?:b|i|code)>|<a href="[^"<>]*">|</a>')
MAX_BUTTONS = 100  # Telegram refuses a larger inline keyboard

# Pieces people paste: codes, status lines, markup characters, entities, CJK, emoji, mentions, controls.
PIECES = st.sampled_from(
    ["404", "#418", "5xx", "999", "HTTP/1.1", "status", "returned", "not found", "gateway", "timeout",
     "网关", "超时", "错误码", "😀", "<b>", "</i>", "<a href='x'>", "&", "&amp;", "&#0;", '"', "\n", "\t",
     "\x00", "\u200b", "@StatusTestBot", "/code", " ", "x" * 70, "ﾃｽﾄ", "١٢٣"]
)  # fmt: skip
# A pasted access log with any number of distinct codes (list sizes drawn uniformly, not mostly small).
LOG_LINES = st.builds(lambda codes, n: codes[:n], st.permutations(CODES), st.integers(1, len(CODES))).map(
    lambda codes: "\n".join(
        f'203.0.113.{i % 250} - - [26/Nov/2026:10:00:00 +0000] "GET /p/{i} HTTP/1.1" {code} {i * 37}'
        for i, code in enumerate(codes)
    )
)
USER_TEXT = st.one_of(
    st.text(max_size=300),
    st.lists(PIECES, max_size=40).map("".join),
    LOG_LINES,
    st.text(alphabet=st.characters(codec="utf-8"), min_size=500, max_size=3000),
)


def assert_sendable(reply: Reply) -> None:
    """What the Bot API would accept: our four tags only, valid entities, within the length, valid buttons."""
    assert "<" not in OUR_TAGS.sub("", reply.text) and ">" not in OUR_TAGS.sub("", reply.text), reply.text
    plain, _ = parse_html(reply.text)  # raises on an unescaped '&', a bad entity or unbalanced tags
    assert plain.strip(), "Telegram refuses an empty message"
    limit = CAPTION_LIMIT if reply.picture is not None else TEXT_LIMIT
    assert visible_length(reply.text, HTML) <= limit, (reply.picture, visible_length(reply.text, HTML))
    buttons = [b for row in reply.keyboard for b in row]
    assert len(buttons) <= MAX_BUTTONS
    for button in buttons:
        assert button.text.strip()
        assert sum(f is not None for f in (button.callback, button.url, button.share)) == 1, button
        if button.callback is not None:
            assert len(button.callback.encode()) <= callbacks.MAX_BYTES
            callbacks.parse(button.callback)  # every button we send is one we can read back
    markup(reply.keyboard)  # and python-telegram-bot builds it


@FAST
@given(text=USER_TEXT, lang=LANGS)
def test_any_text_gets_a_reply_telegram_accepts(views: Views, text: str, lang: str) -> None:
    assert_sendable(views.answer(text, lang))


@FAST
@given(text=USER_TEXT, lang=LANGS)
def test_any_replied_to_message_gets_a_reply_telegram_accepts(views: Views, text: str, lang: str) -> None:
    """`/code` as a reply explains the codes in someone else's message, however many it holds."""
    assert_sendable(views.found_in_message(text, lang))


@FAST
@given(text=st.one_of(st.text(max_size=200), st.lists(PIECES, max_size=30).map("".join)), lang=LANGS)
def test_a_miss_quotes_the_users_words_short_and_escaped(views: Views, text: str, lang: str) -> None:
    result = views.searcher.search(text)
    if result.kind != "miss":
        return
    echo = " ".join(text.split())
    shown = echo if len(echo) <= QUERY_ECHO else echo[: QUERY_ECHO - 1] + "…"
    assert HTML.esc(shown) in views.answer(text, lang).text


ACTIONS = st.one_of(
    st.builds(Action, st.sampled_from(["card", "details"]), code=st.integers(100, 599)),
    st.builds(Action, st.just("class"), digit=st.integers(1, 5), page=st.integers(0, 99)),
    st.builds(Action, st.sampled_from(["home", "random", "noop"])),
    st.builds(Action, st.just("lang"), lang=st.sampled_from(["en", "zh"])),
    st.builds(
        Action,
        st.sampled_from(["error", "error_details"]),
        name=st.sampled_from(["curl-7", "cors", "cf-1020", "status-000", "err-cert", "gone-now"]),
    ),
    st.builds(Action, st.just("errors")),
    st.builds(
        Action,
        st.just("family"),
        name=st.sampled_from(["curl", "browser", "cloudflare", "os", "cors", "no-response", "nope"]),
        page=st.integers(0, 99),
    ),
    st.builds(
        Action,
        st.sampled_from(["compare", "compare_details"]),
        name=st.sampled_from(
            ["redirects", "auth", "gateways", "301,308", "404,999", "100,200,300", "gone-set"]
        ),
        code=st.one_of(st.none(), st.sampled_from([301, 404, 999])),
    ),
)


@FAST
@given(action=ACTIONS, lang=LANGS)
def test_any_button_that_parses_leads_to_a_screen_telegram_accepts_or_to_nothing(
    views: Views, action: Action, lang: str
) -> None:
    """Old buttons live on in chats: any well-formed data, even for a page or code that is gone, is safe."""
    assert callbacks.parse(action.encode()) == action
    reply = views.for_action(action, lang)
    if reply is not None:
        assert_sendable(reply)


@FAST
@given(words=st.lists(st.sampled_from(["502", "@StatusTestBot", "@statustestbot", "@Other", "hi", ""])))
def test_without_mention_drops_only_the_bots_own_mention(words: list[str]) -> None:
    text = " ".join(words)
    kept = without_mention(text, "StatusTestBot").split()
    assert kept == [w for w in text.split() if w.casefold() != "@statustestbot"]
