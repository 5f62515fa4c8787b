"""End to end: with TELEGRAM_PROXY set, every Bot API call goes through the proxy (Telegram is blocked in
some countries). The proxy here is a minimal HTTP forward proxy on loopback that records what it relays."""

from __future__ import annotations

import asyncio
import http.client
import socket
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


class Socks5Proxy:
    """A real SOCKS5 proxy (RFC 1928: no authentication, CONNECT) on loopback, in its own thread and event
    loop, that records the destinations it connected to."""

    def __init__(self) -> None:
        self.destinations: list[tuple[str, int]] = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Socks5Proxy:
        self.thread.start()
        self.ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = self.server.sockets[0].getsockname()[1]
        self.ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            version, count = await reader.readexactly(2)
            methods = await reader.readexactly(count)
            if version != 5 or 0 not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(b"\x05\x00")  # no authentication
            _, command, _, kind = await reader.readexactly(4)
            if kind == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif kind == 3:
                host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
            else:
                writer.write(b"\x05\x08\x00\x01" + bytes(6))  # address type not supported
                return
            port = int.from_bytes(await reader.readexactly(2), "big")
            if command != 1:
                writer.write(b"\x05\x07\x00\x01" + bytes(6))
                return
            self.destinations.append((host, port))
            up_reader, up_writer = await asyncio.open_connection(host, port)
            writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + port.to_bytes(2, "big"))
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()


async def test_a_socks5_proxy_carries_every_call(start_bot, fake):
    """TELEGRAM_PROXY=socks5://… works (python-telegram-bot's socks extra is installed)."""
    with Socks5Proxy() as socks:
        bot = await start_bot(telegram_proxy=f"socks5://127.0.0.1:{socks.port}")
        call = await bot.ask("404")
        assert call.params["caption"].startswith("<b>404 Not Found</b>")
        fake_port = int(fake.base_url.rsplit(":", 1)[1])
        assert socks.destinations and all(port == fake_port for _, port in socks.destinations)
        await bot.stop()
