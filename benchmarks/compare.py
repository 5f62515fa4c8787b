"""Two versions of the bot side by side, for a change too small for `bench.py` to show.

On a shared 2-core machine the CPU per update of one run moves by ±10 % from one minute to the next, so
"before" and "after" measured minutes apart tell little about a change worth 5 %. This runs both versions
at once (each `python -m bot run` from its own source tree, against its own fake Bot API) beside the
minimal bot, pushes the same bursts to all three at the same moment, and prints the median ratio of
each burst: whatever else the machine does then weighs on all of them alike.

    git worktree add /tmp/before HEAD~1
    .venv/bin/python benchmarks/compare.py /tmp/before .        # about a minute
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]

import bench  # noqa: E402


def tree_argv(tree: Path):
    """`python -m bot run` importing the bot from `tree` (its bot/ and data/), not from this checkout."""
    return lambda _: ["env", f"PYTHONPATH={tree}", bench.runtime_python(), "-m", "bot", "run"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="source tree of the version to compare against")
    parser.add_argument("after", type=Path, help="source tree of the version under test")
    parser.add_argument("--bursts", type=int, default=12)
    args = parser.parse_args()
    trees = [args.before.resolve(), args.after.resolve()]
    for tree in trees:
        if not (tree / "bot" / "__main__.py").exists():
            parser.error(f"{tree} holds no bot/ package")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        scratch = Path(tmp)
        bots = [
            bench._contender(stack, "before", tree_argv(trees[0]), scratch),
            bench._contender(stack, "after", tree_argv(trees[1]), scratch),
            bench._contender(stack, "minimal", bench.minimal_bot_argv, scratch),
        ]
        for c in bots:
            c.asker.ask_all([*bench.E2E_QUERIES] * 3)  # every picture uploaded once
        idle = bench._idle_cpu_rates(bots)
        rows = []
        for i in range(args.bursts):
            before, after, minimal = bench._burst(bots, idle, i)
            rows.append((before, after, minimal))
            print(
                f"burst {i + 1:2d}: before {before:5.2f} ms  after {after:5.2f} ms  minimal {minimal:5.2f} ms"
                f"   after/before {after / before:5.3f}",
                flush=True,
            )
    print(
        f"median ratios: after/before {statistics.median(a / b for b, a, _ in rows):5.3f}   "
        f"before/minimal {statistics.median(b / m for b, _, m in rows):5.3f}   "
        f"after/minimal {statistics.median(a / m for _, a, m in rows):5.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
