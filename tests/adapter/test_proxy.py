"""End to end: with TELEGRAM_PROXY set, every Bot API call goes through the proxy (Telegram is blocked in
some countries). The proxy here is a minimal HTTP forward proxy on loopback that records what it relays."""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest


class _Relay(BaseHTTPRequestHandler):
    """Forwards `POST http://host:port/path` (absolute-form, as clients send to a proxy) to its target."""

    def do_POST(self) -> None:
        target = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.relayed.append(target.path.rsplit("/", 1)[-1])  # the method name only, not the token
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("proxy-connection", "connection")
        }
        upstream.request("POST", target.path, body, headers)
        response = upstream.getresponse()
        data = response.read()
        self.send_response(response.status)
        self.send_header("Content-Type", response.getheader("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Relay)
    server.relayed = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


async def test_every_call_goes_through_the_proxy(start_bot, proxy):
    bot = await start_bot(telegram_proxy=f"http://127.0.0.1:{proxy.server_address[1]}")
    call = await bot.ask("404")
    assert call.params["caption"].startswith("<b>404 Not Found</b>")
    assert {"getMe", "getUpdates", "sendPhoto"} <= set(proxy.relayed)
