"""`python -m bot health`: exit 0 when the running bot is alive, for Docker, systemd and Kubernetes probes.

Polling mode: the heartbeat file in the state dir, refreshed after every answered getUpdates, is recent.
Webhook mode: the webhook server answers `/readyz`.
"""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request

from bot.ops.heartbeat import heartbeat_paths
from bot.ops.settings import Settings


def check(settings: Settings, max_age: float) -> int:
    if settings.bot_mode == "webhook":
        host = "127.0.0.1" if settings.webhook_listen in ("0.0.0.0", "::", "") else settings.webhook_listen
        url = f"http://{host}:{settings.webhook_port}/readyz"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                ok = response.status == 200
        except (urllib.error.URLError, OSError) as exc:
            print(f"unhealthy: {url} did not answer ({exc})", file=sys.stderr)
            return 1
        print("ok" if ok else "unhealthy: not ready", file=sys.stdout if ok else sys.stderr)
        return 0 if ok else 1
    ages = []
    for path in heartbeat_paths(settings):
        try:
            ages.append(time.time() - path.stat().st_mtime)
        except OSError:
            continue
    if not ages:
        print(f"unhealthy: no heartbeat at {heartbeat_paths(settings)[0]}", file=sys.stderr)
        return 1
    age = min(ages)
    if age > max_age:
        print(f"unhealthy: last getUpdates {age:.0f} s ago (limit {max_age:.0f} s)", file=sys.stderr)
        return 1
    print(f"ok: last getUpdates {age:.0f} s ago")
    return 0
