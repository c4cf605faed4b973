"""The replica's HTTP forward proxy on 127.0.0.1: it answers every request by its Host.

A crawler configured with ``http_proxy=http://127.0.0.1:PORT`` sends absolute URLs
(``GET http://www.xxx.gov.cn/zwgk/ HTTP/1.1``); the proxy hands each one to
`Network.respond` and carries the reply back, delays and connection resets included.
Every request is appended to `request_log` (method, url, host, path, status, body size,
request headers) so that tests and benchmarks can see what a crawler asked for.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.replica.network import Network

CHUNK = 1 << 16


@dataclass
class RunningReplica:
    """A replica serving in a background thread."""
    network: Network
    server: ThreadingHTTPServer
    thread: threading.Thread
    request_log: list[dict] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def truth(self) -> dict:
        return self.network.truth()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _handler(network: Network, log: list[dict], lock: threading.Lock) -> type[BaseHTTPRequestHandler]:
    class ProxyHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # the request log replaces stderr lines
            return

        def _answer(self) -> None:
            target = self.path
            if not target.startswith(("http://", "https://")):  # direct request: take the Host header
                target = f"http://{self.headers.get('Host', '')}{target}"
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            reply = network.respond(self.command, target, dict(self.headers.items()), body)
            parts = urlsplit(target)
            entry = {"time": time.time(), "method": self.command, "url": target, "host": parts.hostname or "",
                     "path": parts.path + (f"?{parts.query}" if parts.query else ""),
                     "status": reply.status if not reply.reset else None,
                     "size": len(reply.body) if not reply.reset and not reply.delay else 0,
                     "headers": dict(self.headers.items())}
            with lock:
                log.append(entry)
            if reply.delay:
                time.sleep(reply.delay)
            if reply.reset:
                # SO_LINGER 0 turns close() into a TCP RST: the client sees "connection reset by peer"
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                return
            try:
                self.send_response(reply.status)
                for name, value in reply.headers:
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                view = memoryview(reply.body)
                for start in range(0, len(view), CHUNK):
                    self.wfile.write(view[start:start + CHUNK])
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (timeouts, size caps): nothing to do

        do_GET = do_POST = do_HEAD = _answer

        def do_CONNECT(self) -> None:
            self.send_error(501, "the replica serves plain http only")

    return ProxyHandler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve_in_thread(network: Network, port: int = 0) -> RunningReplica:
    """Start the proxy on 127.0.0.1:`port` (0: a free port) in a daemon thread."""
    log: list[dict] = []
    server = _Server(("127.0.0.1", port), _handler(network, log, threading.Lock()))
    thread = threading.Thread(target=server.serve_forever, name="replica-proxy", daemon=True)
    thread.start()
    return RunningReplica(network, server, thread, log)
