"""The replica's HTTP forward proxy on 127.0.0.1: it answers every request by its Host.

A crawler configured with ``http_proxy=http://127.0.0.1:PORT`` sends absolute URLs
(``GET http://www.xxx.gov.cn/zwgk/ HTTP/1.1``); the proxy hands each one to
`Network.respond` and carries the reply back, delays and connection resets included.
Every request is appended to `request_log` (method, url, host, path, status, body size,
request headers) so that tests and benchmarks can see what a crawler asked for.

https portals are reached as through any forward proxy: ``CONNECT host:443`` opens a
tunnel, inside which the proxy itself speaks TLS with a self-signed certificate it makes
at start for the network's https hosts (so a client must not verify certificates, as
Scrapy by default does not), and answers ``https://`` requests.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import struct
import tempfile
import threading
import time
from pathlib import Path
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


def _handler(network: Network, log: list[dict], lock: threading.Lock,
             tls: ssl.SSLContext | None) -> type[BaseHTTPRequestHandler]:
    class ProxyHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "nginx"
        sys_version = ""

        def log_message(self, format: str, *args: object) -> None:  # the request log replaces stderr lines
            return

        tunnel_host: str | None = None  # inside a CONNECT tunnel: the https host it was opened to

        def _answer(self) -> None:
            target = self.path
            if self.tunnel_host is not None:
                target = f"https://{self.headers.get('Host') or self.tunnel_host}{target}"
            elif not target.startswith(("http://", "https://")):  # direct request: take the Host header
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
            if tls is None or self.tunnel_host is not None:
                self.send_error(501, "this replica serves plain http only")
                return
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            try:
                secure = tls.wrap_socket(self.connection, server_side=True)
            except (ssl.SSLError, OSError):
                self.close_connection = True
                return
            # The same handler reads the tunnel's requests, now over TLS.
            self.connection = secure
            self.rfile = secure.makefile("rb", self.rbufsize)
            self.wfile = secure.makefile("wb", 0)
            self.tunnel_host = self.path.rsplit(":", 1)[0]

    return ProxyHandler


def _tls_context(hosts: list[str], directory: Path) -> ssl.SSLContext:
    """A server TLS context with a self-signed certificate naming ``hosts``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ogi-archive replica network")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host) for host in hosts]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "replica.crt", directory / "replica.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return context


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128


def serve_in_thread(network: Network, port: int = 0) -> RunningReplica:
    """Start the proxy on 127.0.0.1:`port` (0: a free port) in a daemon thread."""
    log: list[dict] = []
    tls = None
    https_hosts = sorted(host for host, site in network.sites.items() if site.scheme != "http")
    if https_hosts:
        with tempfile.TemporaryDirectory(prefix="replica-tls-") as directory:
            tls = _tls_context(https_hosts, Path(directory))
    server = _Server(("127.0.0.1", port), _handler(network, log, threading.Lock(), tls))
    thread = threading.Thread(target=server.serve_forever, name="replica-proxy", daemon=True)
    thread.start()
    return RunningReplica(network, server, thread, log)
