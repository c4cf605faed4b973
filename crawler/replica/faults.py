"""Fault planting: the faults real portals show, planted in a replica network and served.

`plant_faults` puts them on one county portal (recorded in `net.planted` so tests know
what to expect); `faulty_reply` is how a planted resource misbehaves when requested.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import zipfile
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
DOCX_BOMB_XML_BYTES = 1100 * 2**20  # word/document.xml inflated: past 1 GiB, from about a megabyte
DENSE_PDF_OPERATIONS = 150_000  # text objects on one page


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
    plant_hostile_documents(layout, target)


def plant_hostile_documents(layout: CountyLayout, target: cms.Column) -> None:
    """A DOCX zip bomb and a one-page PDF of 150,000 text operations, attached to a page that
    reads like a report's: they download fine, and it is their parse that must stay in its caps.
    Recorded with `stage: parse` (nothing goes wrong fetching them) and no cause."""
    site = layout.site
    holder = layout.family.article_path(target, "2021-03-04", site.doc_id("fault:hostile"))
    title = f"{site.name[:-4]}2019年政府信息公开工作年度报告（附件）"
    links = []
    for kind, ext, make, content_type, text in (
            ("docx_bomb", "docx", docx_bomb,
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "2019年政府信息公开工作年度报告.docx"),
            ("dense_pdf", "pdf", dense_pdf, "application/pdf", "2019年政府信息公开工作年度报告（附表）.pdf")):
        path = layout.family.attachment_path(target, "2021-03-04", site.doc_id(f"fault:{kind}"), ext)
        site.resources[path] = Resource(content_type, make, layout.b.today, fault=kind)
        links.append(f"<a href='{site.family.href(f'{site.origin}{path}', site.link_host, '')}'>{text}</a>")
        layout.net.planted.append({"kind": kind, "url": f"{site.origin}{path}", "host": site.host, "cause": None,
                                   "stage": "parse", "portal_code": site.code, "attachment_of": f"{site.origin}{holder}"})
    layout.b.add_html(site, holder, title=title, column=target.name, crumbs=layout.crumbs(target),
                      content=f"<p>附件：{'</p><p>'.join(links)}</p>")
    target.entries.append(cms.Entry(title, f"{site.origin}{holder}", "2021-03-04"))


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


@lru_cache(maxsize=1)
def docx_bomb() -> bytes:
    """A well-formed DOCX whose word/document.xml is padded with spaces to DOCX_BOMB_XML_BYTES.
    Deflating it takes seconds: built on its first request, never with the network."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _DOCX_CONTENT_TYPES)
        archive.writestr("_rels/.rels", _DOCX_RELS)
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                         b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            chunk = b" " * 2**20
            for _ in range(DOCX_BOMB_XML_BYTES // len(chunk)):
                member.write(chunk)
            member.write("<w:p><w:r><w:t>政府信息公开工作年度报告</w:t></w:r></w:p></w:body></w:document>".encode())
    return out.getvalue()


_DOCX_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>')


@lru_cache(maxsize=1)
def dense_pdf() -> bytes:
    """A valid one-page PDF whose content stream is DENSE_PDF_OPERATIONS one-glyph text objects."""
    return one_page_pdf(b"BT /F1 1 Tf 0 0 Td (x) Tj ET\n" * DENSE_PDF_OPERATIONS)


def one_page_pdf(stream: bytes) -> bytes:
    """A valid one-page PDF (Helvetica as /F1) drawing ``stream``."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
