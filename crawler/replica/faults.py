"""Fault planting: the faults real portals show, planted in a replica network and served.

`plant_faults` puts them on one county portal (recorded in `net.planted` so tests know
what to expect); `faulty_reply` is how a planted resource misbehaves when requested.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from crawler.replica import cms
from crawler.replica.model import Reply, Resource

if TYPE_CHECKING:
    from crawler.replica.builder import CountyLayout
    from crawler.replica.network import Network

OVERSIZED_BYTES = 96 * 1024 * 1024
GZIP_BOMB_BYTES = 128 * 1024 * 1024  # twice any sane crawler's decompressed-size cap
SLOW_SECONDS = 40.0


def faulty_reply(resource: Resource, hits: int) -> Reply | None:
    """How a planted fault misbehaves on its `hits`-th request; None: answer normally."""
    kind = resource.fault
    if kind in ("retry_503", "retry_500") and hits <= 2:
        status = 503 if kind == "retry_503" else 500
        return Reply(status, [("Content-Type", "text/html"), ("Retry-After", "1")],
                     f"<html><body><h1>{status} Service Temporarily Unavailable</h1></body></html>".encode())
    if kind == "timeout" and hits == 1:
        return Reply(200, [("Content-Type", "text/html")], b"<html></html>", delay=SLOW_SECONDS)
    if kind == "reset" and hits == 1:
        return Reply(0, [], b"", reset=True)
    return None


def plant_portal_faults(net: Network) -> None:
    """Record the dead, walled and refused county portals the builder made."""
    if not net.faults:
        return
    for site in net.sites.values():
        if site.status != "ok" and site.level == "county":
            cause = {"dead": "dns", "waf": "waf_challenge", "robots_refused": "robots"}[site.status]
            net.planted.append({"kind": f"portal_{site.status}", "url": site.url, "host": site.host,
                                     "cause": cause, "portal_code": site.code})


def plant_faults(layout: CountyLayout, report_column: cms.Column) -> None:
    """Plant the faults real portals show on one county portal, each recorded in `net.planted`."""
    site, rng = layout.site, layout.b.stream("faults", layout.site.host)
    report_pages = [r for r in layout.net.reports if r["portal_host"] == site.host]
    path_of = lambda url: urlsplit(url).path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")  # noqa: E731
    target = report_column.children[0] if report_column.children else report_column
    kinds = ("retry_503", "retry_500", "timeout", "reset")
    # one fault per page, on pages served at one URL only (an alias shares its resource)
    candidates = [r for r in report_pages if not r["also_at"]]
    for kind, report in zip(kinds, rng.sample(candidates, len(kinds))):
        url = report["url"] if kind == "reset" else report["page_url"]
        site.resources[path_of(url)] = dataclasses.replace(site.resources[path_of(url)], fault=kind)
        cause = {"retry_503": "http_503", "retry_500": "http_500", "timeout": "timeout", "reset": "connection_reset"}[kind]
        layout.net.planted.append({"kind": kind, "url": url, "host": site.host, "cause": cause,
                                 "portal_code": site.code, "recovers": True})
    date = "2023-02-10"
    missing = layout.family.article_path(target, date, site.doc_id("fault:missing"))
    target.entries.append(cms.Entry(f"{site.name[:-4]}2021年政府信息公开工作年度报告（更正）", f"{site.origin}{missing}", date))
    layout.net.planted.append({"kind": "http_404", "url": f"{site.origin}{missing}", "host": site.host,
                             "cause": "http_404", "portal_code": site.code})
    # a redirect chain (three hops) in front of a real report page
    report = rng.choice([r for r in report_pages if r["attachment_of"] is None] or report_pages)
    hops = [layout.family.article_path(target, "2020-01-0" + str(n + 1), site.doc_id(f"fault:hop{n}")) for n in range(3)]
    final = report["page_url"]
    for here, there in zip(hops, [*(f"{site.origin}{h}" for h in hops[1:]), final]):
        site.resources[here] = Resource("text/html", bytes, layout.b.today, status=301 if here == hops[0] else 302,
                                        headers=[("Location", there)])
    target.entries.append(cms.Entry(report["page_title"] + "（转载）", f"{site.origin}{hops[0]}", report["published_on"]))
    layout.net.planted.append({"kind": "redirect_chain", "url": f"{site.origin}{hops[0]}", "host": site.host,
                             "cause": "redirect_chain", "portal_code": site.code, "final": final, "recovers": True})
    loop = [layout.family.article_path(target, "2020-02-0" + str(n + 1), site.doc_id(f"fault:loop{n}")) for n in range(2)]
    site.resources[loop[0]] = Resource("text/html", bytes, layout.b.today, status=302, headers=[("Location", f"{site.origin}{loop[1]}")])
    site.resources[loop[1]] = Resource("text/html", bytes, layout.b.today, status=302, headers=[("Location", f"{site.origin}{loop[0]}")])
    target.entries.append(cms.Entry(f"{site.name[:-4]}政府信息公开工作年度报告（2020年）", f"{site.origin}{loop[0]}", "2021-01-20"))
    layout.net.planted.append({"kind": "redirect_loop", "url": f"{site.origin}{loop[0]}", "host": site.host,
                             "cause": "redirect_loop", "portal_code": site.code})
    # an oversized scan and a gzip bomb, both linked from the report column
    big = layout.family.attachment_path(target, "2021-03-01", site.doc_id("fault:big"), "pdf")
    site.resources[big] = Resource("application/pdf", oversized_pdf, layout.b.today, fault="too_large")
    bomb = layout.family.article_path(target, "2021-03-02", site.doc_id("fault:bomb"))
    site.resources[bomb] = Resource("text/html; charset=utf-8", gzip_bomb, layout.b.today, encoding="gzip",
                              fault="decompression_bomb")
    pages = {"too_large": big, "decompression_bomb": bomb}
    holder = layout.family.article_path(target, "2021-03-03", site.doc_id("fault:holder"))
    layout.b.add_html(site, holder, title=f"{site.name[:-4]}2020年度政府信息公开工作年度报告（扫描件）", column=target.name,
                    crumbs=layout.crumbs(target),
                    content=f"<p>附件：<a href='{site.family.href(f'{site.origin}{big}', site.link_host, '')}'>扫描件.pdf</a></p>")
    target.entries.append(cms.Entry(f"{site.name[:-4]}2020年度政府信息公开工作年度报告（扫描件）", f"{site.origin}{holder}", "2021-03-03"))
    target.entries.append(cms.Entry(f"{site.name[:-4]}政府信息公开年报专栏说明", f"{site.origin}{bomb}", "2021-03-02"))
    for cause, path in pages.items():
        layout.net.planted.append({"kind": cause, "url": f"{site.origin}{path}", "host": site.host,
                                 "cause": cause, "portal_code": site.code})


def oversized_pdf() -> bytes:
    head = b"%PDF-1.4\n% scanned report, 600 dpi\n"
    return head + b"\0" * (OVERSIZED_BYTES - len(head))


@lru_cache(maxsize=1)
def gzip_bomb() -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as stream:
        chunk = b" " * (1 << 20)
        for _ in range(GZIP_BOMB_BYTES >> 20):
            stream.write(chunk)
    return out.getvalue()
