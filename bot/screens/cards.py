"""The words of a code card: the short caption under the picture and the long details text.

Both are built against `Markup`, so Telegram gets HTML and the terminal plain text from the same code.
Limits are Telegram's: 1024 characters for a caption, 4096 for a message.
"""

from __future__ import annotations

from bot.core.catalogue import Catalogue, Entry, Lang, OtherMeaning
from bot.core.comparisons import Comparison
from bot.core.i18n import t
from bot.core.lang import choose
from bot.core.lang import other as other_lang
from bot.core.markup import Markup, visible_length
from bot.core.nostatus import NoStatus

CAPTION_LIMIT = 1024
TEXT_LIMIT = 4096


def _label(key: str, lang: Lang, m: Markup) -> str:
    """`Retry: ` in English, `能否重试：` in Chinese (full-width colon, no space)."""
    return m.bold(t(key, lang)) + choose(lang, ": ", "：")


def _join(lang: Lang) -> str:
    return choose(lang, ", ", "、")


def status_line(entry: Entry, lang: Lang) -> str:
    """`IANA registered` or `Unofficial · nginx`."""
    label = t(f"status_{entry.status}", lang)
    if entry.vendors:
        label += " · " + ", ".join(entry.vendors)
    return label


def heading(entry: Entry, lang: Lang, m: Markup) -> str:
    """`404 Not Found · 未找到`: the user's language first, the other after, as on the picture."""
    own = entry.text(lang).title
    other = entry.text(other_lang(lang)).title
    line = m.bold(f"{entry.code} {own}")
    if other != own:
        line += " · " + m.esc(other)
    return line


def _class_line(catalogue: Catalogue, entry: Entry, lang: Lang, m: Markup) -> str:
    if not entry.in_range:
        return m.italic(f"{t('out_of_range', lang)} · {status_line(entry, lang)}")
    cls = catalogue.status_class(entry.status_class)
    return m.italic(f"{cls.name} {cls.title(lang)} · {status_line(entry, lang)}")


def _also_lines(entry: Entry, lang: Lang, m: Markup) -> list[str]:
    return [
        f"{_label('label_also', lang, m)}{m.esc(o.vendor)} · {m.esc(o.text(lang).title)}" for o in entry.also
    ]


def _fit(parts: list[str], limit: int, m: Markup) -> str:
    text = "\n\n".join(p for p in parts if p)
    return text if visible_length(text, m) <= limit else ""


def _fullest_caption(choices: list[list[str]], m: Markup) -> str:
    """The first of `choices`, fullest first, that fits Telegram's caption limit ("" if none does)."""
    for parts in choices:
        if fitted := _fit(parts, CAPTION_LIMIT, m):
            return fitted
    return ""


def caption(catalogue: Catalogue, entry: Entry, lang: Lang, m: Markup) -> str:
    """Code, phrase, class, description and what to do; at most 1024 characters.

    Every fact on the picture is here too, so the picture is never the only place it lives.
    """
    text = entry.text(lang)
    head = heading(entry, lang, m) + "\n" + _class_line(catalogue, entry, lang, m)
    tip = f"💡 {_label('label_tip', lang, m)}{m.esc(text.tip)}"
    also = "\n".join(_also_lines(entry, lang, m))
    return _fullest_caption(
        [
            [head, m.esc(text.description), tip, also],
            [head, m.esc(text.description), tip],
            [head, m.esc(text.summary), tip],
            [head, m.esc(text.summary)],
        ],
        m,
    )


def _bullets(items: tuple[str, ...], m: Markup) -> str:
    return "\n".join(f"• {m.esc(item)}" for item in items)


def details(catalogue: Catalogue, entry: Entry, lang: Lang, m: Markup) -> str:
    """Everything we know about a code, as one message of at most 4096 characters."""
    text = entry.text(lang)
    yes_no = t("yes" if entry.cacheable else "no", lang)
    facts = [
        f"{_label('label_retry', lang, m)}{m.esc(t(f'retry_{entry.retry}', lang))}",
        f"{_label('label_fault', lang, m)}{m.esc(t(f'fault_{entry.fault}', lang))}",
        f"{_label('label_cacheable', lang, m)}{yes_no}",
    ]
    if entry.headers:
        facts.insert(
            0, f"{_label('label_headers', lang, m)}" + _join(lang).join(m.code(h) for h in entry.headers)
        )
    if entry.former_names:
        facts.append(f"{_label('label_former', lang, m)}{m.esc(_join(lang).join(entry.former_names))}")
    if entry.aka:
        facts.append(f"{_label('label_aka', lang, m)}{m.esc(_join(lang).join(entry.aka))}")
    if entry.registered and entry.expires:
        period = t(
            "registration_period", lang, start=entry.registered.isoformat(), end=entry.expires.isoformat()
        )
        facts.append(f"{_label('label_registration', lang, m)}{m.esc(period)}")
    confused = [c for c in entry.confused_with if c in catalogue]
    if confused:
        labels = _join(lang).join(catalogue.by_code[c].label(lang) for c in confused)
        facts.append(f"{_label('label_confused', lang, m)}{m.esc(labels)}")
    also = [_other_meaning(o, lang, m) for o in entry.also]
    spec = f"{_label('label_spec', lang, m)}{m.link(entry.spec, entry.spec_url)}"
    if entry.mdn_url:
        spec += " · " + m.link("MDN", entry.mdn_url)
    sections = [
        heading(entry, lang, m) + "\n" + _class_line(catalogue, entry, lang, m),
        m.esc(text.description),
        f"{m.bold(t('label_causes', lang))}\n{_bullets(text.causes, m)}",
        f"{m.bold(t('label_client_fix', lang))}\n{_bullets(text.client_fix, m)}",
        f"{m.bold(t('label_server_fix', lang))}\n{_bullets(text.server_fix, m)}",
        "\n".join(facts),
        *also,
        spec,
    ]
    # Drop optional sections from the end of the middle until it fits; the catalogue test keeps us far below.
    while visible_length("\n\n".join(sections), m) > TEXT_LIMIT and len(sections) > 3:
        del sections[-2]
    return "\n\n".join(sections)


def _other_meaning(other: OtherMeaning, lang: Lang, m: Markup) -> str:
    """`Also used as (Esri ArcGIS): Token Required. …`, with Chinese punctuation in Chinese."""
    text = other.text(lang)
    head = choose(
        lang,
        f"{m.bold(t('label_also', lang))} ({m.esc(other.vendor)}): {m.bold(text.title)}. ",
        f"{m.bold(t('label_also', lang))}（{m.esc(other.vendor)}）：{m.bold(text.title)}。",
    )
    return head + m.esc(text.description)


def one_liner(entry: Entry, lang: Lang, m: Markup) -> str:
    """`404 Not Found: summary` for lists of several codes."""
    return f"{m.bold(entry.label(lang))}: {m.esc(entry.text(lang).summary)}"


# -- errors that are not status codes -----------------------------------------------------------------


def error_heading(error: NoStatus, lang: Lang, m: Markup) -> str:
    """`curl 7 · Couldn't connect to server` and the other language's title, then what kind it is."""
    own = error.text(lang).title
    other = error.text(other_lang(lang)).title
    line = m.bold(f"{error.badge} · {own}")
    if other != own:
        line += " · " + m.esc(other)
    kind = f"{t('not_a_status', lang)} · {t(f'family_{error.family}', lang)}"
    if error.served_with:
        kind += " · " + t("served_with", lang, code=error.served_with)
    return line + "\n" + m.italic(kind)


def _related_line(catalogue: Catalogue, error: NoStatus, lang: Lang, m: Markup) -> str:
    related = [catalogue.by_code[c].label(lang) for c in error.related if c in catalogue]
    return f"{_label('label_related', lang, m)}{m.esc(_join(lang).join(related))}" if related else ""


def error_caption(catalogue: Catalogue, error: NoStatus, lang: Lang, m: Markup) -> str:
    """What it means and the first thing to do, within the caption limit."""
    text = error.text(lang)
    head = error_heading(error, lang, m)
    tip = f"💡 {_label('label_tip', lang, m)}{m.esc(text.tip)}"
    related = _related_line(catalogue, error, lang, m)
    return _fullest_caption(
        [
            [head, m.esc(text.description), tip, related],
            [head, m.esc(text.description), tip],
            [head, m.esc(text.summary), tip],
            [head, m.esc(text.summary)],
        ],
        m,
    )


def error_details(catalogue: Catalogue, error: NoStatus, lang: Lang, m: Markup) -> str:
    """Causes, fixes on both sides, related codes and sources, as one message."""
    text = error.text(lang)
    sources = " · ".join(m.link(s.title, s.url) for s in error.sources[:4])
    sections = [
        error_heading(error, lang, m),
        m.esc(text.description),
        f"{m.bold(t('label_causes', lang))}\n{_bullets(text.causes, m)}",
        f"{m.bold(t('label_client_fix', lang))}\n{_bullets(text.client_fix, m)}",
        f"{m.bold(t('label_server_fix', lang))}\n{_bullets(text.server_fix, m)}",
        _related_line(catalogue, error, lang, m),
        f"{_label('label_spec', lang, m)}{sources}",
    ]
    sections = [s for s in sections if s]
    while visible_length("\n\n".join(sections), m) > TEXT_LIMIT and len(sections) > 3:
        del sections[-2]
    return "\n\n".join(sections)


def error_one_liner(error: NoStatus, lang: Lang, m: Markup) -> str:
    return f"{m.bold(error.badge)} {m.esc(error.text(lang).title)}: {m.esc(error.text(lang).summary)}"


# -- comparisons --------------------------------------------------------------------------------------


def comparison_heading(codes: tuple[int, ...], lang: Lang) -> str:
    """`301 vs 308`, `401 与 403 对比`."""
    return t("compare_heading", lang, codes=t("compare_vs", lang).join(str(c) for c in codes))


def comparison_caption(
    catalogue: Catalogue, codes: tuple[int, ...], found: Comparison | None, lang: Lang, m: Markup
) -> str:
    """The rows that tell the codes apart, then when to use each; a set's own rows where one covers the
    codes, else the facts every entry has. Within the caption limit."""
    head = m.bold(comparison_heading(codes, lang))
    entries = [catalogue.by_code[c] for c in codes]
    names = "\n".join(f"{m.bold(str(e.code))} {m.esc(e.text(lang).title)}" for e in entries)
    if found is not None:
        columns = [found.codes.index(c) for c in codes]
        rows = [(row.label(lang), [row.values(lang)[i] for i in columns]) for row in found.row]
        summary = m.esc(found.heading(lang).summary) if set(codes) == set(found.codes) else ""
        uses = [
            f"{_label_text(t('label_use_when', lang, code=c), lang, m)}{m.esc(found.use(c, lang))}"
            for c in codes
        ]
    else:
        rows = _common_rows(catalogue, entries, lang)
        summary = ""
        uses = [f"{m.bold(str(e.code))}{_colon(lang)}{m.esc(e.text(lang).summary)}" for e in entries]
    table = _table(codes, rows, lang, m)
    return _fullest_caption(
        [
            [head, summary, names, table, "\n".join(uses)],
            [head, names, table, "\n".join(uses)],
            [head, table, "\n".join(uses)],
            [head, table],
            [head, names],
        ],
        m,
    )


def _table(codes: tuple[int, ...], rows: list[tuple[str, list[str]]], lang: Lang, m: Markup) -> str:
    return "\n".join(
        f"{m.bold(label)}{_colon(lang, label)}"
        + " · ".join(f"{code} {m.esc(value)}" for code, value in zip(codes, values, strict=True))
        for label, values in rows
    )


def comparison_details(catalogue: Catalogue, found: Comparison, lang: Lang, m: Markup) -> str:
    """The whole set: summary, every row, when to use each code, and the sources."""
    codes = found.codes
    rows = [(row.label(lang), list(row.values(lang))) for row in found.row]
    uses = "\n".join(
        f"{_label_text(t('label_use_when', lang, code=c), lang, m)}{m.esc(found.use(c, lang))}" for c in codes
    )
    sources = " · ".join(m.link(s.title, s.url) for s in found.sources[:6])
    return "\n\n".join(
        [
            m.bold(found.heading(lang).title),
            m.esc(found.heading(lang).summary),
            _table(codes, rows, lang, m),
            uses,
            f"{_label('label_spec', lang, m)}{sources}",
        ]
    )


def _colon(lang: Lang, after: str = "") -> str:
    """The colon after a label, unless the label is a question ("Permanent?")."""
    if after.endswith(("?", "？")):
        return " "
    return choose(lang, ": ", "：")


def _label_text(text: str, lang: Lang, m: Markup) -> str:
    return m.bold(text) + _colon(lang)


def _common_rows(catalogue: Catalogue, entries: list[Entry], lang: Lang) -> list[tuple[str, list[str]]]:
    """For codes no set covers: what every entry knows about itself."""
    yes, no = t("yes", lang), t("no", lang)
    return [
        (t("label_class_short", lang), [catalogue.status_class(e.status_class).title(lang) for e in entries]),
        (t("label_registered", lang), [t(f"status_{e.status}", lang) for e in entries]),
        (t("label_cacheable", lang), [yes if e.cacheable else no for e in entries]),
        (t("label_retry", lang), [t(f"retry_{e.retry}", lang) for e in entries]),
        (t("label_fault", lang), [t(f"fault_{e.fault}", lang) for e in entries]),
    ]
