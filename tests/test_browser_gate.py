"""The browser's gate (crawler.browser.BrowserGate) on its own, without a browser: a client
that speaks to it as chromium does (absolute-URL GETs, CONNECT tunnels) reaches the replica
only for the portal being rendered and with the gate's credentials; anything else is
answered 403 (407 without credentials) and never sent on.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.error
import urllib.request

import pytest

from crawler.browser import BrowserGate
from crawler.replica.network import build_network
from crawler.replica.server import serve_in_thread

PORTAL = "www.linxi.gov.cn"


@pytest.fixture(scope="module")
def replica():
    running = serve_in_thread(build_network(seed=1, https=True))
    yield running
    running.stop()


def _through(gate_url: str, url: str) -> int:
    """The status a client configured with ``gate_url`` as its proxy sees for ``url``."""
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": gate_url, "https": gate_url}),
                                         urllib.request.HTTPSHandler(context=unverified))
    try:
        with opener.open(url, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except urllib.error.URLError as error:  # a refused CONNECT: urllib names the proxy's answer
        return next((code for code in (403, 407) if str(code) in str(error.reason)), -1)


def _run(replica, visits: list[str], allowed: str = PORTAL, authorized: bool = True) -> tuple[list[int], list[str]]:
    refused: list[str] = []

    async def visit():
        gate = BrowserGate({"http": replica.proxy_url, "https": replica.proxy_url}, refused.append, timeout=10)
        url = await gate.start()
        if authorized:
            url = url.replace("//", "//{username}:{password}@".format(**gate.credentials))
        gate.allow(allowed)
        try:
            return [await asyncio.to_thread(_through, url, visit) for visit in visits]
        finally:
            await gate.close()

    return asyncio.run(visit()), refused


def test_the_rendered_portals_hosts_pass_and_nothing_else_is_sent(replica):
    https_host = next(host for host, site in replica.network.sites.items() if site.scheme == "https")
    before = len(replica.request_log)
    statuses, refused = _run(replica, [
        f"http://{PORTAL}/", "http://update.googleapis.com/service/update2/json",
        f"https://{https_host}/", "https://clients2.google.com/time/1/current", "http://127.0.0.1/"])
    # the https portal is not the one being rendered: refused like Google's hosts
    assert statuses == [200, 403, 403, 403, 403]
    assert refused == ["update.googleapis.com", https_host, "clients2.google.com", "127.0.0.1"]
    assert [entry["host"] for entry in replica.request_log[before:]] == [PORTAL]


def test_an_https_portal_is_reached_through_its_tunnel(replica):
    https_host = next(host for host, site in replica.network.sites.items() if site.scheme == "https")
    before = len(replica.request_log)
    statuses, refused = _run(replica, [f"https://{https_host}/", f"http://{PORTAL}/"], allowed=https_host)
    assert statuses[0] == 200 and statuses[1] == 403 and refused == [PORTAL]
    assert [(e["host"], e["url"].split(":")[0]) for e in replica.request_log[before:]] == [(https_host, "https")]


def test_no_other_client_can_use_the_gate(replica):
    before = len(replica.request_log)
    statuses, _ = _run(replica, [f"http://{PORTAL}/", f"http://{PORTAL}/robots.txt"], authorized=False)
    assert statuses == [407, 407] and len(replica.request_log) == before
