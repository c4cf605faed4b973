"""Parsing beside the crawl: worker processes that survive a crashing document, and portals
that are not finished while one of their documents is still being parsed."""

from __future__ import annotations

import asyncio
import os
import time

from scrapy import Request
from scrapy.utils.test import get_crawler

from crawler.items import DocumentItem
from crawler.middlewares import PORTAL_META
from crawler.parsing import ParserPool
from crawler.progress import PortalProgress
from crawler.signals import portal_finished
from parsers import parse_document

CRASH_MARKER = b"%%crash-the-parser%%"


def crash_on_marker(body: bytes, url: str | None, content_type: str | None) -> dict:
    """The parser, except that a body with the marker kills its process (as pdfium can)."""
    if CRASH_MARKER in body:
        os._exit(11)
    return parse_document(body, url, content_type)


def page(title: str, text: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>".encode()


def test_a_document_that_kills_its_parser_is_recorded_unreadable_and_the_others_are_parsed() -> None:
    pool = ParserPool(1, time_limit=30, memory_limit=1 << 30, parse=crash_on_marker)
    good = page("某某镇2023年政府信息公开工作年度报告", "一、总体情况。" * 20)
    bad = CRASH_MARKER + b"%PDF-1.4 hostile"

    async def parse_all():
        return await asyncio.gather(
            pool.parse(good, "http://www.example.gov.cn/a.html", "text/html"),
            pool.parse(bad, "http://www.example.gov.cn/b.pdf", "application/pdf"),
            pool.parse(good, "http://www.example.gov.cn/c.html", "text/html"),
        )

    try:
        first, crashed, third = asyncio.run(parse_all())
    finally:
        pool.close()
    assert crashed["kind"] == "unreadable"
    assert crashed["reason"] == "the document crashed the parser process"
    assert crashed["source"]["url"] == "http://www.example.gov.cn/b.pdf"
    # the documents in flight with it were parsed again, alone, and are not blamed
    for record, url in ((first, "http://www.example.gov.cn/a.html"), (third, "http://www.example.gov.cn/c.html")):
        assert record == parse_document(good, url, "text/html")
    assert pool.crashes == 1


def test_a_portal_is_not_finished_while_one_of_its_documents_is_being_parsed() -> None:
    crawler = get_crawler()
    progress = PortalProgress(crawler)
    finished: list[str] = []
    crawler.signals.connect(lambda code, **_: finished.append(code), signal=portal_finished, weak=False)

    home = Request("http://www.example.gov.cn/", meta={PORTAL_META: "150124"})
    progress.count(home)
    report = Request("http://www.example.gov.cn/nb/2023.html", meta={PORTAL_META: "150124"})
    progress.count(report)  # yielded by the home page's callback
    progress.done(home)
    document = DocumentItem(portal="150124", url=report.url, final_url=report.url, body=b"%PDF-1.4")
    progress.hold_document(document, report)  # the report's callback yields its document
    progress.done(report)
    assert finished == []  # every request is done, but the document is not archived yet

    progress.document_stored(document.progress_token)
    assert finished == ["150124"]
    progress.document_stored(document.progress_token)  # told twice: counted once
    assert finished == ["150124"]


SLEEP_MARKER = b"%%sleep%%"
ALLOCATE_MARKER = b"%%allocate%%"


def hostile(body: bytes, url: str | None, content_type: str | None) -> dict:
    """The parser, except that marked bodies stall in C-like sleep or allocate without end."""
    if SLEEP_MARKER in body:
        import time
        time.sleep(3600)
    if ALLOCATE_MARKER in body:
        hoard = []
        while True:
            hoard.append(bytearray(64 * 1024 * 1024))
    return parse_document(body, url, content_type)


def test_a_document_past_the_time_or_memory_limit_is_unreadable_with_the_limit_and_the_rest_is_parsed() -> None:
    pool = ParserPool(2, time_limit=10, memory_limit=512 * 1024 * 1024, parse=hostile)
    good = page("某某镇2023年政府信息公开工作年度报告", "一、总体情况。" * 20)

    async def parse_all():
        return await asyncio.gather(
            pool.parse(SLEEP_MARKER, "http://www.example.gov.cn/slow.pdf", "application/pdf"),
            pool.parse(ALLOCATE_MARKER, "http://www.example.gov.cn/big.docx", None),
            pool.parse(good, "http://www.example.gov.cn/a.html", "text/html"),
        )

    started = time.monotonic()
    try:
        slow, big, fine = asyncio.run(parse_all())
    finally:
        pool.close()
    assert time.monotonic() - started < 120  # the sleeper was killed at its limit, not waited for an hour
    assert (slow["kind"], slow["reason"]) == ("unreadable", "exceeded 10 s")
    assert (big["kind"], big["reason"]) == ("unreadable", "exceeded 512 MiB")
    assert fine == parse_document(good, "http://www.example.gov.cn/a.html", "text/html")
    assert pool.over_limits == 2 and pool.crashes == 0


def test_an_item_in_a_log_line_shows_its_body_as_a_size() -> None:
    body = b"%PDF-1.4 " + b"x" * 100_000
    item = DocumentItem(portal="150124", url="http://www.example.gov.cn/a.pdf",
                        final_url="http://www.example.gov.cn/a.pdf", body=body, link_text="年度报告")
    shown = repr(item)
    assert "body=<100009 bytes>" in shown and "年度报告" in shown
    assert "xxxx" not in shown and len(shown) < 600
    # the line Scrapy logs when a pipeline fails on it ("Error processing ...")
    from scrapy.http import Response
    from scrapy.logformatter import LogFormatter

    logged = LogFormatter().item_error(item, ValueError("UNIQUE constraint failed"), Response(item.url), None)
    line = logged["msg"] % logged["args"]
    assert "Error processing" in line and "100009 bytes" in line and "xxxx" not in line
