"""The bots' own CPU per update, steadier than any run across processes can give it.

`bench.py` and `compare.py` run each bot as a process against a fake Bot API over HTTP, as users would
meet it; on a shared 2-core machine their CPU per update moves by ±5-10 % from one minute to the next.
This runs the real bot (`serve()`, from the source tree given) and the minimal bot in one process and one
event loop, against a Bot API answered inside the request layer (`HTTPXRequest.do_request`: no sockets,
the same canned answers for both, so HTTP's own cost, equal for both, is left out), and pushes bursts of
150 `/code` updates, each from a user of its own, to one bot and then the other. The median of the
paired ratios holds to about ±1 %: the tool to judge a change worth a few per cent.

    .venv/bin/python benchmarks/cpu_pairs.py                       # this checkout, about a minute
    .venv/bin/python benchmarks/cpu_pairs.py --tree /tmp/before    # another version (a git worktree)
    .venv/bin/python benchmarks/cpu_pairs.py --rate 30             # with Telegram's 30 messages a second

By default the 30 messages a second are lifted for both bots (`--rate 100000`), so a burst takes a
fraction of a second and only work is measured; with `--rate 30` each burst takes 5 s and the waiting
(timers, the inbox keeping what is in hand, the store's thread) is measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BURST = 150
REAL_TOKEN, MINIMAL_TOKEN = "111:real-bot-token", "222:minimal-bot-token"
API_ROOT = "http://127.0.0.1:9"  # never reached: every request is answered inside do_request


class CannedApi:
    """One bot's side of the fake: its pending updates, and the answers it gets."""

    def __init__(self, username: str, bot_id: int) -> None:
        self.me = {"id": bot_id, "is_bot": True, "first_name": "Bench", "username": username}
        self.pending: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()
        self.sent = 0
        self._answers: dict[str, bytes] = {}  # sendPhoto's answer per caption, once its picture has an id

    async def answer(self, method: str, params: dict[str, Any]) -> bytes:
        if method == "getUpdates":
            offset = params.get("offset") or 0
            while True:
                batch = [u for u in self.pending if u["update_id"] >= offset][:100]
                if batch:
                    return _ok(batch)
                self.arrived.clear()
                try:
                    await asyncio.wait_for(self.arrived.wait(), 5)
                except TimeoutError:
                    return _ok([])
        if method == "getMe":
            return _ok(self.me)
        if method == "sendPhoto":
            self.sent += 1
            return self._photo_message(params)
        return _ok(True)

    def _photo_message(self, params: dict[str, Any]) -> bytes:
        caption, photo = params.get("caption"), params.get("photo")
        body = self._answers.get(caption) if isinstance(photo, str) else None
        if body is None:
            file_id = photo if isinstance(photo, str) else f"AgAC-{len(self._answers)}"
            sizes = [(file_id + "-s", 90, 60), (file_id, 1200, 800)]
            message = {
                "message_id": 1,
                "date": 1_700_000_000,
                "chat": {"id": 1, "type": "private", "first_name": "U"},
                "from": self.me,
                "photo": [
                    {"file_id": i, "file_unique_id": f"{i}-u", "width": w, "height": h, "file_size": w * h}
                    for i, w, h in sizes
                ],
                "caption": caption,
                "caption_entities": [{"type": "bold", "offset": 0, "length": 10}],
                "reply_markup": params.get("reply_markup"),
            }
            body = _ok(message)
            if isinstance(photo, str):
                self._answers[caption] = body
        return body

    def push(self, update_id: int, text: str, user: int) -> None:
        chat = {"id": user, "type": "private", "first_name": "U"}
        self.pending.append(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 1_700_000_000,
                    "chat": chat,
                    "from": {"id": user, "is_bot": False, "first_name": "U", "language_code": "en"},
                    "text": text,
                    "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
                },
            }
        )


def _ok(result: object) -> bytes:
    return json.dumps({"ok": True, "result": result}).encode()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="source tree of the real bot to measure")
    parser.add_argument("--pairs", type=int, default=40, help="bursts to each bot")
    parser.add_argument("--rate", type=float, default=100_000.0, help="messages a second, for both bots")
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not (tree / "bot" / "__main__.py").exists():
        parser.error(f"{tree} holds no bot/ package")
    scratch = Path(tempfile.mkdtemp(prefix="cpu-pairs-"))
    os.environ.update(
        TELEGRAM_BOT_TOKEN=REAL_TOKEN, TELEGRAM_API_URL=API_ROOT, BOT_STATE_DIR=str(scratch / "state")
    )
    sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]
    import bench  # the minimal bot's replies are the real bot's cards, built from this checkout

    replies = bench.minimal_bot_argv(scratch / "minimal")[-1]
    for name in [m for m in sys.modules if m == "bot" or m.startswith("bot.")]:
        del sys.modules[name]  # the real bot is imported afresh from --tree
    sys.path.insert(0, str(tree))
    return asyncio.run(_pairs(args, replies, bench.E2E_QUERIES))


async def _pairs(args: argparse.Namespace, replies: str, queries: tuple[str, ...]) -> int:
    import minimal_bot
    from telegram import Update
    from telegram.request import HTTPXRequest

    import bot.adapter.fairness
    from bot.adapter.application import build_application
    from bot.ops import runner
    from bot.ops.logs import setup_logging
    from bot.ops.settings import load_settings

    apis = {REAL_TOKEN: CannedApi("BenchStatusBot", 111), MINIMAL_TOKEN: CannedApi("BenchStatusBot", 222)}

    async def canned(self: HTTPXRequest, url: str, method: str, request_data: Any = None, *_: Any, **__: Any):
        token, _, api_method = url.split("/bot", 1)[1].partition("/")
        return 200, await apis[token].answer(api_method, request_data.parameters if request_data else {})

    HTTPXRequest.do_request = canned  # type: ignore[method-assign]
    settings = load_settings()
    with open(os.devnull, "w") as devnull:  # both bots' logs, as a process's stderr would take them
        sys.stderr = devnull
        setup_logging(settings.log_level, settings.log_format, runner.secrets_of(settings))
        bot.adapter.fairness.OVERALL_RATE = args.rate
        real = build_application(settings)
        stop = asyncio.Event()
        serving = asyncio.create_task(runner.serve(real, settings, stop))
        minimal, _ = minimal_bot.build(replies, MINIMAL_TOKEN, API_ROOT, overall_rate=args.rate)
        await minimal.initialize()
        assert minimal.updater is not None
        await minimal.updater.start_polling(timeout=30, allowed_updates=Update.ALL_TYPES)
        await minimal.start()
        next_id = dict.fromkeys(apis, 1)
        settle = 0.3 if args.rate < 1000 else 0.15

        async def burst(token: str, count: int, first_user: int) -> float:
            api = apis[token]
            wanted = api.sent + count
            started = time.process_time()
            for i in range(count):
                api.push(next_id[token], queries[i % len(queries)], first_user + i)
                next_id[token] += 1
            api.arrived.set()
            while api.sent < wanted:
                await asyncio.sleep(0.01)
            await asyncio.sleep(settle)  # what follows the replies (done marks, the next poll)
            return (time.process_time() - started) / count * 1000

        await asyncio.sleep(1.0)
        for token in apis:  # every picture uploaded once
            await burst(token, 24, 10)
        ratios = []
        for i in range(args.pairs):
            order = list(apis) if i % 2 == 0 else list(apis)[::-1]
            ms = {token: await burst(token, BURST, 100_000 + i * 1000) for token in order}
            ratios.append(ms[REAL_TOKEN] / ms[MINIMAL_TOKEN])
            print(
                f"pair {i + 1:2d}: real {ms[REAL_TOKEN]:.3f} ms  minimal {ms[MINIMAL_TOKEN]:.3f} ms"
                f"  ratio {ratios[-1]:.3f}",
                file=sys.__stdout__,
                flush=True,
            )
        print(f"median ratio real/minimal {statistics.median(ratios):.3f}", file=sys.__stdout__)
        stop.set()
        await minimal.updater.stop()
        await minimal.stop()
        await minimal.shutdown()
        await serving
        sys.stderr = sys.__stderr__
    return 0


if __name__ == "__main__":
    sys.exit(main())
