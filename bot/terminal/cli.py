"""`python -m bot [run|console|ask|render|misses|state|health]`: entry points that fail in one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from bot import __version__
from bot.core.catalogue import CatalogueError, Lang, load_catalogue
from bot.core.i18n import t
from bot.core.markup import PLAIN
from bot.ops.settings import Settings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot", description="HTTP status codes explained, in Telegram or offline."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("run", help="run the bot on Telegram (the default)")
    commands.add_parser("console", help="an offline chat with the bot in this terminal")
    ask = commands.add_parser("ask", help="print the answer to one query and exit")
    ask.add_argument("query", nargs="+", help="a code, a phrase, a status line or a log line")
    ask.add_argument("--lang", choices=("en", "zh"), default=None, help="answer language")
    render = commands.add_parser("render", help="regenerate the illustration cards in data/cards")
    render.add_argument("codes", nargs="*", help="codes (404), classes (4xx) or home; default: every picture")
    misses = commands.add_parser(
        "misses", help="the queries that found nothing (with BOT_RECORD_MISSES=true)"
    )
    misses.add_argument("--top", type=int, default=30, help="how many to list, most asked first")
    state = commands.add_parser("state", help="what the store holds: stats, export, import, backup")
    state.add_argument("action", choices=("stats", "export", "import", "backup"))
    state.add_argument("file", nargs="?", help="export to / import from FILE (default: stdout / stdin)")
    health = commands.add_parser("health", help="exit 0 when the running bot is alive (for health checks)")
    health.add_argument("--max-age", type=float, default=120.0, help="seconds since the last sign of life")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        if args.command in (None, "run"):
            return _run(settings)
        if args.command == "console":
            return _console(settings)
        if args.command == "ask":
            return _ask(settings, " ".join(args.query), args.lang or settings.bot_default_language)
        if args.command == "render":
            return _render(args.codes)
        if args.command == "misses":
            return _misses(settings, args.top)
        if args.command == "state":
            from bot.terminal.state import run_state

            return run_state(settings, args.action, args.file)
        if args.command == "health":
            from bot.ops.health import check

            return check(settings, args.max_age)
    except (SettingsError, CatalogueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 2


def _views(settings: Settings):
    from bot.art.illustrations import Illustrations
    from bot.core.search import Searcher
    from bot.screens.views import Views

    catalogue = load_catalogue()
    views = Views(catalogue, Searcher.load(catalogue), PLAIN)
    return views, Illustrations(catalogue.codes, settings.bot_illustrations_dir)


def _console(settings: Settings) -> int:
    from bot.terminal.console import Console, run_console

    views, illustrations = _views(settings)
    return run_console(Console(views, illustrations, settings.bot_default_language))


def _ask(settings: Settings, query: str, lang: Lang) -> int:
    """Print what the bot would answer; exit 1 with one line when nothing matches."""
    from bot.terminal.console import format_reply

    views, illustrations = _views(settings)
    catalogue = views.catalogue
    reply = views.answer(query, lang)
    if reply.outcome == "miss":
        nearest = ", ".join(str(c) for c in reply.codes) or "-"
        first = reply.text.split("\n", 1)[0]
        print(f"{first} ({t('miss_nearest', lang).rstrip(':：')}: {nearest})", file=sys.stderr)
        return 1
    if reply.code is not None or reply.error_id is not None:  # a card: print what Details would add
        if reply.code is not None:
            details = views.details(catalogue.by_code[reply.code], lang)
        else:
            details = views.error_details(views.nostatus.by_id[reply.error_id or ""], lang)
        text = f"{reply.because}\n{details.text}" if reply.because else details.text
        if reply.notes:
            text += "\n\n" + "\n".join(reply.notes)
        reply = replace(reply, text=text)
    print(format_reply(reply, illustrations))
    return 0


def _misses(settings: Settings, top: int) -> int:
    """What users asked that found nothing, most asked first: where the catalogue should grow."""
    import json
    from collections import Counter

    from bot.ops.metrics import MISSES_FILE

    path = settings.bot_state_dir / MISSES_FILE
    counts: Counter[str] = Counter()
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                try:
                    counts[json.loads(line)["text"]] += 1
                except (ValueError, KeyError, TypeError):
                    continue
    except FileNotFoundError:
        print(
            f"no missed queries recorded in {path} (set BOT_RECORD_MISSES=true to record them)",
            file=sys.stderr,
        )
        return 1
    for text, count in counts.most_common(top):
        print(f"{count:6d}  {text}")
    return 0


def _render(codes: list[str]) -> int:
    """Redraw the cards; the render extra's packages are only imported by the renderer itself."""
    from bot.art.rendering import RenderError, render_cards

    try:
        written = render_cards(load_catalogue(), codes or None)
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {len(written)} cards to {written[0].parent if written else '-'}")
    return 0


def _run(settings: Settings) -> int:
    if not settings.token:
        print(t("no_token", settings.bot_default_language), file=sys.stderr)
        if sys.stdin.isatty():
            print(file=sys.stderr)
            return _console(settings)
        return 1
    from bot.ops.runner import StartupError, run

    try:
        return run(settings)
    except StartupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
