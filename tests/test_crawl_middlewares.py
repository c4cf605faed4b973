"""Failure causes, retry backoff, redirect-loop detection and the contact User-Agent."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet import error as tx_error
from twisted.web._newclient import ResponseNeverReceived

from crawler import faults
from crawler.middlewares import (
    RETRY_DELAY_META,
    AttemptAuditMiddleware,
    BackoffRetryMiddleware,
    ContactUserAgentMiddleware,
)
from crawler.signals import attempt_failed


@pytest.mark.parametrize("exception,cause", [
    (tx_error.DNSLookupError("x.gov.cn"), "dns"),
    (tx_error.ConnectionRefusedError(), "connection_refused"),
    (DownloadTimeoutError("took longer than 15.0 seconds"), "timeout"),
    (ResponseNeverReceived([tx_error.ConnectionLost()]), "connection_reset"),
    (DownloadCancelledError("Expected to receive 100663296 bytes which is larger than download max size"), "too_large"),
    (IgnoreRequest("Forbidden by robots.txt"), "robots"),
    (IgnoreRequest("Ignored response <200 x> because its body exceeded DOWNLOAD_MAXSIZE (1 B) during decompression."),
     "decompression_bomb"),
    (faults.RedirectLoop("redirect_loop: a -> b -> a"), "redirect_loop"),
    (faults.OutOfScope("out of scope"), "out_of_scope"),
])
def test_causes_of_exceptions(exception, cause):
    assert faults.cause_of_exception(exception) == cause


def test_a_proxy_gateway_error_for_an_unresolvable_host_is_dns():
    assert faults.cause_of_response(502, b"502 Bad Gateway: could not resolve host 'x.gov.cn' (NXDOMAIN)") == "dns"
    assert faults.cause_of_response(502, b"<html>upstream error</html>") == "http_502"
    assert faults.cause_of_response(404, b"<html>404</html>") == "http_404"
    assert faults.cause_of(faults.describe("http_404", "HTTP 404")) == "http_404"


def test_retries_wait_longer_each_time():
    crawler = get_crawler(settings_dict={"RETRY_TIMES": 3, "RETRY_BACKOFF_BASE": 0.5, "RETRY_BACKOFF_MAX": 1.5})
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    crawler.spider = crawler._create_spider("test")
    request = Request("http://x.gov.cn/a.html")
    delays = []
    for _ in range(3):
        request = middleware._retry(request, "503 Service Unavailable")
        delays.append(request.meta[RETRY_DELAY_META])
    assert delays == [0.5, 1.0, 1.5]


def test_a_redirect_back_into_the_chain_is_a_loop_and_reported_under_the_first_url():
    crawler = get_crawler()
    reports = []

    def receive(**kwargs):
        reports.append(kwargs)

    crawler.signals.connect(receive, signal=attempt_failed)  # signals hold weak references
    audit = AttemptAuditMiddleware.from_crawler(crawler)
    request = Request("http://x.gov.cn/b.html", meta={"portal": "1", "redirect_urls": ["http://x.gov.cn/a.html"]})
    response = HtmlResponse(request.url, status=302, headers={"Location": "/a.html"}, request=request)
    with pytest.raises(faults.RedirectLoop):
        audit.process_response(request, response)
    assert [(r["url"], r["cause"]) for r in reports] == [("http://x.gov.cn/a.html", "redirect_loop")]


def test_user_agent_names_the_project_and_its_contact_url():
    crawler = get_crawler(settings_dict={"USER_AGENT": "ogi-archive/0.1 (+{contact})",
                                         "OGI_CONTACT_URL": "https://example.org/ogi"})
    middleware = ContactUserAgentMiddleware.from_crawler(crawler)
    request = Request("http://x.gov.cn/")
    middleware.process_request(request)
    assert request.headers[b"User-Agent"] == b"ogi-archive/0.1 (+https://example.org/ogi)"


def test_requests_share_the_downloader_slot_of_their_server():
    import asyncio
    import socket

    from crawler.middlewares import ServerSlotMiddleware

    slots = ServerSlotMiddleware()

    def slot(url: str, **meta) -> str:
        request = Request(url, meta=meta)
        asyncio.run(slots.process_request(request))
        return request.meta["download_slot"]

    # through a proxy the address is unknown: a county's township sub-domains share its slot
    proxy = {"proxy": "http://127.0.0.1:3128"}
    assert slot("http://xx.hongze.gov.cn/a.html", **proxy) == slot("http://www.hongze.gov.cn/", **proxy) == "hongze.gov.cn"
    assert slot("http://www.other.gov.cn/", **proxy) == "other.gov.cn"
    # without one, the slot is the address the hostname resolves to (here from /etc/hosts)
    assert slot("http://localhost:8080/") == socket.getaddrinfo("localhost", None, type=socket.SOCK_STREAM)[0][4][0]
    assert slot("http://127.0.0.1/") == "127.0.0.1"
    # a redirect to another host carries its parent's meta: the slot is computed again
    assert slot("http://www.other.gov.cn/", download_slot="hongze.gov.cn", **proxy) == "other.gov.cn"
