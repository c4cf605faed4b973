"""One document's bytes → the canonical record: sniff the content, read it, parse it."""

from __future__ import annotations

import hashlib
import io
import re
import time
import zipfile
from collections.abc import Callable
from functools import partial

from parsers import cells, checks, classify, convert, html, keys, labels, metadata, ocr, pdf, sections, docx
from parsers.deadline import Deadline, TimeCapExceeded
from parsers.tables import read_tables, template_without_numbers
from parsers.version import PARSER_VERSION
from parsers.zipcaps import over_cap as zip_over_cap

SCHEMA_VERSION = 1
TIME_CAP_SECONDS = 20.0
_IMAGE_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# stream names in an OLE file's directory (UTF-16LE) that say which program wrote it
_OLE_SPREADSHEET = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_OLE_SLIDES = "PowerPoint Document".encode("utf-16-le")
_OLE_WORD = "WordDocument".encode("utf-16-le")


def _record(body: bytes, url: str | None, content_type: str | None) -> dict:
    return {
        "schema_version": SCHEMA_VERSION, "parser_version": PARSER_VERSION,
        "title": None, "organ": None, "organ_level": "unknown", "report_year": None,
        "published_on": None, "signed_on": None, "table_format": None,
        "sections": {}, "values": {}, "inferred": [], "checks": [], "warnings": [],
        "source": {"url": url, "content_type": content_type, "sha256": hashlib.sha256(body).hexdigest()},
        "kind": "unreadable", "reason": "", "text": "", "attachments": [],
    }


def unreadable_record(body: bytes, url: str | None, content_type: str | None, reason: str) -> dict:
    """The record of a document nothing could be read from, saying why."""
    record = _record(bytes(body), url, content_type)
    record["reason"] = reason
    return record


def parse_document(body: bytes, url: str | None = None, content_type: str | None = None,
                   time_cap: float = TIME_CAP_SECONDS) -> dict:
    """The record of one document; never raises on bad input (kind ``unreadable`` + reason)."""
    if not isinstance(body, (bytes, bytearray)):
        return unreadable_record(b"", url, content_type, f"expected bytes, got {type(body).__name__}")
    body = bytes(body)
    record = _record(body, url, content_type)
    deadline = Deadline(time_cap)
    try:
        _dispatch(body, url, content_type, record, deadline)
    except TimeCapExceeded as exc:
        return unreadable_record(body, url, content_type, str(exc))  # nothing half-parsed survives
    except Exception as exc:  # noqa: BLE001 - any failure of a reader on bad bytes is "unreadable"
        return unreadable_record(
            body, url, content_type, f"{_sniff_name(body)} could not be read: {type(exc).__name__}: {str(exc)[:200]}")
    return record


def _sniff_name(body: bytes) -> str:
    if body[:1024].find(b"%PDF") >= 0:
        return "PDF"
    if body.startswith(b"PK"):
        return "ZIP/DOCX"
    return "document"


def _dispatch(body: bytes, url: str | None, content_type: str | None, record: dict, deadline: Deadline) -> None:
    ctype = (content_type or "").lower()
    if not body.strip():
        record["reason"] = "empty body"
        return
    if body[:1024].find(b"%PDF-") >= 0:
        _parse_pdf(body, record, deadline)
    elif body.startswith(b"PK\x03\x04"):
        _parse_zip(body, record, deadline)
    elif body.startswith(_OLE_MAGIC):
        _parse_ole(body, record, deadline)
    elif body.lstrip()[:5] == b"{\\rtf":
        _parse_converted(body, "rtf", record, deadline)
    elif body.startswith(_IMAGE_MAGIC):
        record.update(kind="image_only", reason="the document is an image")
        _parse_scan(lambda: ocr.image_pages(body), record, deadline)
    elif "html" in ctype or html.looks_like_html(body):
        _parse_html(body, url, content_type, record, deadline)
    else:
        text = html.decode(body, content_type)
        bad = sum(1 for ch in text[:4000] if ch == "\ufffd" or (ord(ch) < 32 and ch not in "\t\r\n\f"))
        if bad > max(8, len(text[:4000]) // 50):
            record["reason"] = "not text: undecodable bytes or control characters"
            return
        _parse_text(text, cells.text_lines(text), record, meta={}, html_title=None)


def _parse_zip(body: bytes, record: dict, deadline: Deadline) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(body))
    except zipfile.BadZipFile as exc:
        record["reason"] = f"truncated or damaged ZIP/DOCX: {exc}"
        return
    cap = zip_over_cap(archive)  # before anything inflates a member
    if cap:
        record["reason"] = cap
        return
    names = archive.namelist()
    if "word/document.xml" in names:
        text, table_lines = docx.read(body, deadline)
        _parse_text(text, table_lines, record, meta={}, html_title=None, fallback=partial(cells.text_lines, text))
    elif any(n.startswith("xl/") for n in names):
        record.update(kind="unsupported", reason="XLSX spreadsheet: not read by this parser")
    else:
        record.update(kind="unsupported", reason="ZIP archive that is not a DOCX")


def _parse_ole(body: bytes, record: dict, deadline: Deadline) -> None:
    """Word 97 and WPS files (WPS Office writes the Word 97 format) are converted; Excel and
    PowerPoint files are not reports' formats."""
    if _OLE_WORD in body:
        _parse_converted(body, "doc", record, deadline)
    elif any(name in body for name in _OLE_SPREADSHEET):
        record.update(kind="unsupported", reason="XLS spreadsheet: not read by this parser")
    elif _OLE_SLIDES in body:
        record.update(kind="unsupported", reason="PPT presentation: not read by this parser")
    else:  # Works and older WPS files: LibreOffice knows them by their content
        _parse_converted(body, "wps", record, deadline)


def _parse_converted(body: bytes, source_format: str, record: dict, deadline: Deadline) -> None:
    """Read a DOC, WPS or RTF file as the DOCX LibreOffice converts it to."""
    try:
        converted = convert.to_docx(body, source_format, timeout=max(1.0, deadline.until - time.monotonic()))
    except convert.ConversionFailed as exc:
        record["reason"] = str(exc)
        return
    deadline.check()
    _parse_zip(converted, record, deadline)
    record["source"]["converted"] = {"from": source_format, "to": "docx", "by": convert.converter_version()}


def _parse_pdf(body: bytes, record: dict, deadline: Deadline) -> None:
    content = pdf.read(body, deadline)
    if content.chars == 0:
        record.update(kind="image_only", reason=f"PDF of {content.pages} pages without a text layer")
        _parse_scan(lambda: ocr.pdf_pages(body, deadline), record, deadline)
        return
    _parse_text(content.text, content.table_lines, record, meta={}, html_title=None,
                fallback=content.positioned_lines)


def _parse_scan(pages: Callable[[], list], record: dict, deadline: Deadline) -> None:
    """An image-only document read by OCR; it stays ``image_only`` (with the reason) when OCR
    cannot run or reads no report tables. OCR'd values are only as good as their confidence:
    a value read below ``ocr.MIN_VALUE_CONFIDENCE`` (an amount: ``MIN_AMOUNT_CONFIDENCE``) is left
    null and named in ``warnings``."""
    missing = ocr.available()
    if missing:
        record["reason"] += f"; not OCR'd: {missing}"
        return
    try:
        scan = ocr.read(pages(), deadline)
    except ocr.CoarseScan as exc:
        record["reason"] += f"; not OCR'd: {exc}"
        return
    unsure = ocr.unsure_values(scan.words)
    # which word each key is read from: the same table read with every number a sentinel
    numbered_words = ocr.numbered(scan.words, unsure)
    numbered = read_tables(cells.rows(ocr.table_lines(numbered_words, scan.rules)))
    if not numbered.found:
        numbered = read_tables(cells.rows(ocr.positioned(numbered_words)))
    origins = ocr.value_origins(scan.words, numbered)
    amounts = {i for key, i in origins.items() if keys.value_type(key) == "decimal"
               and (scan.words[i].confidence or 0.0) < ocr.MIN_AMOUNT_CONFIDENCE}
    unsure |= amounts
    read = dict(record)
    kept = ocr.without(scan.words, unsure)
    _parse_text(scan.text, ocr.table_lines(kept, scan.rules), read, meta={}, html_title=None,
                fallback=lambda: ocr.positioned(kept))
    if read["kind"] != "report":
        record["reason"] += f"; OCR of {scan.pages} page(s) read no report: {read['reason']}"
        return
    record.update(read)
    record["value_confidence"] = {key: scan.words[i].confidence for key, i in origins.items()
                                  if record["values"].get(key) is not None and key not in record["inferred"]
                                  and i not in amounts}
    record["warnings"] = record["warnings"] + [
        f"{key}: OCR read {scan.words[i].text!r} at confidence {scan.words[i].confidence:.2f}, too unsure for an "
        f"amount: left null" for key, i in sorted(origins.items()) if i in amounts
    ] + ocr.unsure_warnings(scan.words, unsure - amounts) + [
        f"check {c['name']}:{c['scope']} failed on OCR-read values: a misread digit may be the cause"
        for c in record["checks"] if c["ok"] is False]
    confidences = [w.confidence for w in scan.words if w.confidence is not None]
    record["source"] = dict(record["source"], ocr={
        "engine": ocr.ENGINE, "version": ocr.engine_version(), "language": ocr.LANGUAGE, "pages": scan.pages,
        "mean_confidence": round(sum(confidences) / len(confidences), 3) if confidences else None,
        "min_confidence": min(confidences, default=None),
    })


def _parse_html(body: bytes, url: str | None, content_type: str | None, record: dict, deadline: Deadline) -> None:
    page = html.read(body, url, content_type)
    deadline.check()
    record["attachments"] = page.attachments
    # trafilatura turns tabs into spaces: text-layout tables are read from the page's own text
    page_cells = partial(cells.text_lines, "\n".join(page.page_lines))
    # a page without images cannot be an image report: spare converting its text twice
    text = labels.to_simplified(page.main_text) if page.images else ""
    if page.images and len(re.sub(r"\s", "", text)) < html.MIN_TEXT_CHARS:
        title = metadata.find_title([], page.meta, page.headline or page.html_title)
        record.update(kind="image_only", title=title, text=text,
                      reason=f"the main content is {page.images} image(s) and almost no text")
        record["attachments"] = page.attachments + [i for i in page.content_images if i not in page.attachments]
        return
    _parse_text(page.main_text, page.table_lines, record, meta=page.meta,
                html_title=page.headline or page.html_title, fallback=page_cells, page_lines=page.page_lines)


def _parse_text(raw_text: str, lines: list[cells.Line], record: dict, *, meta: dict[str, str],
                html_title: str | None, fallback: Callable[[], list[cells.Line]] | None = None,
                page_lines: list[str] | None = None) -> None:
    text = labels.to_simplified(raw_text)
    text_lines = [line for line in text.split("\n") if line.strip()]
    tables = read_tables(cells.rows(lines))
    if not tables.found and fallback is not None:
        tables = read_tables(cells.rows(fallback()))
    if not tables.found:
        tables = template_without_numbers(text) or tables
    positions = sections.heading_positions(text_lines)
    first = min(positions.values(), default=len(text_lines))
    last = max(positions.values(), default=0)
    header_lines = labels.to_simplified("\n".join(page_lines)).split("\n") if page_lines else text_lines
    page_first = min(sections.heading_positions(header_lines).values(), default=len(header_lines))
    record["sections"] = sections.split(text_lines, positions)
    found = metadata.extract(text_lines, text, {k: labels.to_simplified(v) for k, v in meta.items()},
                             labels.to_simplified(html_title) if html_title else None, first, last,
                             record["sections"]["overview"])
    if page_lines:
        found["published_on"] = metadata.published_on(header_lines, meta, page_first) or found["published_on"]
        if not found["organ"]:
            found["organ"] = metadata.organ_from_page(header_lines, meta, page_first)
            found["organ_level"] = metadata.organ_level(found["organ"])
    record.update(found)
    record["text"] = raw_text
    kind, reason = classify.classify(found["title"] or html_title, "\n".join(text_lines[:5]), tables.found)
    record.update(kind=kind, reason=reason)
    if kind != "report":
        return
    values, inferred = checks.infer(tables.values, tables.short_rows, tables.other_handling_rows)
    record.update(table_format=tables.table_format, values=values, inferred=inferred,
                  checks=checks.run_checks(values, tables.other_handling_rows), warnings=tables.warnings)


_PAGE_FIELDS = ("title", "organ", "report_year")


def complete_from_links(record: dict, page: dict | None, link_text: str | None,
                        page_title: str | None = None) -> dict:
    """A document's record completed from what led to it: the page it is attached to (that
    page's record, with ``source.url``) and the text of the link to it. The crawl and
    ``ogi reparse`` both complete records this way."""
    if page is not None:
        record = with_page_metadata(record, page)
        page_title = page_title or page.get("title")
    return with_link_metadata(record, link_text, page_title)


def with_link_metadata(record: dict, link_text: str | None, page_title: str | None) -> dict:
    """Title, organ and year of a scan the parser cannot read, from the link that led to it.

    An image-only report says nothing in text; the list entry or the page it is attached to
    names it ("某某镇2022年政府信息公开工作年度报告（图片版）"). Only a report title is used,
    and the record says where its metadata came from.
    """
    if record.get("kind") != "image_only" or (record.get("organ") and record.get("report_year")):
        return record
    for source, title in (("link text", link_text), ("the page it is attached to", page_title)):
        if title and labels.DISCLOSURE_REPORT_TITLE.search(title):
            organ = record.get("organ") or metadata.organ_from_title(title)
            return dict(
                record, title=record.get("title") or title, organ=organ,
                organ_level=record.get("organ_level") or metadata.organ_level(organ),
                report_year=record.get("report_year") or metadata.report_year(title, "", ""),
                metadata_from=source,
            )
    return record


def with_page_metadata(record: dict, page: dict) -> dict:
    """An attachment's record completed from the record of the page that links to it.

    A PDF or DOCX rarely prints when it was published, and an image-only one prints nothing
    readable: the page that published it says both. The publication date is the page's
    when the attachment has none; title, organ and year are taken only where the attachment
    has none and the page links this one document (a page with several attachments does
    not say which is which). Every field taken is named in ``warnings``.
    """
    out = dict(record, warnings=list(record.get("warnings", [])))
    taken = []
    if out.get("published_on") is None and page.get("published_on"):
        out["published_on"] = page["published_on"]
        taken.append("published_on")
    if len(page.get("attachments", [])) == 1:
        for name in _PAGE_FIELDS:
            if out.get(name) is None and page.get(name) is not None:
                out[name] = page[name]
                taken.append(name)
        if "organ" in taken:
            out["organ_level"] = page.get("organ_level", "unknown")
    if taken:
        page_url = (page.get("source") or {}).get("url") or "the linking page"
        out["warnings"].append(f"{', '.join(taken)} from {page_url}")
    return out
