"""What the response headers in a paste say to do next: retry when, which credentials, where to, which hop.

Works on `curl -i` and `curl -v` output (`< Retry-After: 120`), raw HTTP responses and headers copied
from browser devtools (`retry-after: 120`). Only headers that are there are read: no guesses.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from bot.core.i18n import t
from bot.core.lang import Lang

# `< Retry-After: 120`, `Retry-After: 120`, `retry-after: 120`; never curl -v's request side (`> `).
_HEADER = re.compile(r"^[ \t]*(?:<[ \t]*)?([A-Za-z][A-Za-z0-9-]{1,40})[ \t]*:[ \t]*(\S.*?)[ \t]*$", re.M)
_REQUEST_SIDE = re.compile(r"^[ \t]*>", re.M)
_PARAM = re.compile(r'([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,;]+))')
_DELTA = re.compile(r"^\d{1,10}$")
# RFC 6750 §3.1: what a Bearer challenge's `error` means.
BEARER_ERRORS = ("invalid_request", "invalid_token", "insufficient_scope")
MAX_NOTES = 4


def response_headers(text: str) -> dict[str, str]:
    """Header name (lower case) → value, last one wins, from the response side of a paste."""
    found: dict[str, str] = {}
    for line in text.splitlines()[:400]:
        if _REQUEST_SIDE.match(line):
            continue
        m = _HEADER.match(line)
        if m and not m.group(1).lower().startswith(("http", "https")):
            found[m.group(1).lower()] = m.group(2)
    return found


def _duration(seconds: float, lang: Lang) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return t("dur_seconds", lang, n=seconds)
    if seconds < 2 * 3600:
        return t("dur_minutes", lang, n=round(seconds / 60))
    if seconds < 2 * 86400:
        return t("dur_hours", lang, n=round(seconds / 3600))
    return t("dur_days", lang, n=round(seconds / 86400))


def _clock(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%H:%M UTC")


def _http_date(value: str) -> datetime | None:
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _retry_after(value: str, now: datetime, lang: Lang) -> str | None:
    value = value.strip()
    if _DELTA.match(value):
        seconds = int(value)
        return t(
            "note_retry_in", lang, wait=_duration(seconds, lang), at=_clock(now + timedelta(seconds=seconds))
        )
    moment = _http_date(value)
    if moment is None:
        return None
    return t("note_retry_at", lang, at=_clock(moment), wait=_duration((moment - now).total_seconds(), lang))


def _rate_limit(headers: dict[str, str], now: datetime, lang: Lang) -> str | None:
    remaining = headers.get("ratelimit-remaining") or headers.get("x-ratelimit-remaining")
    reset = headers.get("ratelimit-reset") or headers.get("x-ratelimit-reset")
    combined = headers.get(
        "ratelimit"
    )  # draft-ietf-httpapi-ratelimit-headers: `limit=100, remaining=0, reset=37`
    if combined:
        params = {k.lower(): v or w for k, v, w in _PARAM.findall(combined)}
        remaining = remaining or params.get("remaining") or params.get("r")
        reset = reset or params.get("reset") or params.get("t")
    if remaining is None or not remaining.strip().isdigit():
        return None
    left = t("note_requests_left", lang, n=int(remaining))
    if reset and reset.strip().isdigit():
        value = int(reset)
        # GitHub and others send an epoch second; the IETF draft a delta in seconds.
        seconds = value - now.timestamp() if value > 1_000_000_000 else value
        return t("note_window_resets", lang, left=left, wait=_duration(seconds, lang))
    return left


def _challenge(value: str, proxy: bool, lang: Lang) -> str:
    scheme = value.split(None, 1)[0].rstrip(",") if value.split() else "?"
    params = {k.lower(): v or w for k, v, w in _PARAM.findall(value)}
    who = t("note_proxy" if proxy else "note_server", lang)
    note = t("note_challenge", lang, who=who, scheme=scheme)
    if realm := params.get("realm"):
        note += t("note_realm", lang, realm=realm)
    error = params.get("error")
    if error in BEARER_ERRORS:
        note += " " + t(f"note_bearer_{error}", lang)
    elif error:
        note += " " + t("note_error_code", lang, error=error)
    if description := params.get("error_description"):
        note += t("note_says", lang, text=description[:120])
    return note


def _location(value: str, status: int | None, lang: Lang) -> str:
    key = {301: "note_location_may_get", 302: "note_location_may_get", 303: "note_location_get"}.get(
        status or 0, "note_location_same" if status in (307, 308) else "note_location"
    )
    return t(key, lang, url=value[:200])


def _hop(headers: dict[str, str], status: int | None, lang: Lang) -> str | None:
    """Which hop answered, from the headers it leaves: for a 5xx this says where to look."""
    server = headers.get("server", "").lower()
    via = headers.get("via", "").lower()
    cache = headers.get("x-cache", "").lower()
    failure = status is not None and status >= 500
    if server == "cloudflare" or "cf-ray" in headers:
        return t(
            "note_hop_cloudflare_error" if failure else "note_hop_cloudflare",
            lang,
            ray=headers.get("cf-ray", "-"),
        )
    if "x-amz-cf-id" in headers or "cloudfront" in via or "cloudfront" in cache:
        key = "note_hop_cloudfront_error" if "error from cloudfront" in cache else "note_hop_cloudfront"
        return t(key, lang)
    if server.startswith("awselb"):
        return t("note_hop_alb", lang)
    if "x-served-by" in headers and "cache-" in headers["x-served-by"].lower():
        return t("note_hop_fastly", lang, node=headers["x-served-by"][:60])
    if server and failure:
        return t("note_hop_server", lang, server=headers["server"][:60])
    return None


def header_notes(text: str, status: int | None, lang: Lang, now: datetime) -> list[str]:
    """Short, specific lines about the headers a paste holds, in the user's language (at most four)."""
    if ":" not in text:  # no header in it: the common case, a code or a phrase, costs nothing
        return []
    headers = response_headers(text)
    if not headers:
        return []
    # Times in the headers are relative to when the response was sent, which its Date header says.
    now = _http_date(headers.get("date", "")) or now
    notes: list[str | None] = []
    if "retry-after" in headers:
        notes.append(_retry_after(headers["retry-after"], now, lang))
    notes.append(_rate_limit(headers, now, lang))
    if "www-authenticate" in headers:
        notes.append(_challenge(headers["www-authenticate"], False, lang))
    if "proxy-authenticate" in headers:
        notes.append(_challenge(headers["proxy-authenticate"], True, lang))
    if "location" in headers and (status is None or 300 <= status < 400 or status == 201):
        notes.append(_location(headers["location"], status, lang))
    if "allow" in headers and status == 405:
        notes.append(t("note_allow", lang, methods=headers["allow"][:120]))
    if "content-range" in headers and status in (206, 416):
        notes.append(t("note_content_range", lang, range=headers["content-range"][:80]))
    if status == 415:
        accepted = headers.get("accept-patch") or headers.get("accept-post") or headers.get("accept")
        if accepted:
            notes.append(t("note_accepts", lang, types=accepted[:120]))
    notes.append(_hop(headers, status, lang))
    return [n for n in notes if n][:MAX_NOTES]
