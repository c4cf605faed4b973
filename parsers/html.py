"""HTML pages: encoding, main text (trafilatura), tables as grids, metadata, attachments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin

import lxml.html
import trafilatura
from lxml import etree

from parsers import labels
from parsers.cells import Line

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w-]+)", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "gb_2312-80", "x-gb2312"}
_MAX_SPAN = 60  # a rowspan/colspan beyond this is a broken attribute, not a table


def decode(body: bytes, content_type: str | None) -> str:
    """Declared charset (header, then meta) with gb2312/gbk read as GB18030; otherwise sniff."""
    declared = None
    if content_type and (match := _CT_CHARSET.search(content_type)):
        declared = match.group(1).lower()
    if match := _CHARSET.search(body[:4096]):
        meta = match.group(1).decode("ascii", "replace").lower()
        declared = declared if declared and declared not in ("iso-8859-1", "us-ascii") else meta
    if declared in _GB:
        return body.decode("gb18030", errors="replace")
    for encoding in ([declared] if declared else []) + ["utf-8", "gb18030"]:
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    return body.decode("utf-8", errors="replace")


def looks_like_html(head: bytes) -> bool:
    return bool(re.search(rb"<(?:!doctype\s+html|html|head|body|meta|div|p|table|title)[\s>]", head[:4096], re.I))


@dataclass
class Page:
    main_text: str
    page_lines: list[str]
    table_lines: list[Line]
    meta: dict[str, str] = field(default_factory=dict)
    html_title: str | None = None
    headline: str | None = None
    attachments: list[dict] = field(default_factory=list)
    images: int = 0
    content_images: list[dict] = field(default_factory=list)  # page images of a 图片版, as attachments


def _cell_text(cell: etree._Element) -> str:
    return re.sub(r"\s+", " ", " ".join(t for t in cell.itertext())).strip()


def _span(cell: etree._Element, name: str) -> int:
    try:
        return max(1, min(int(re.sub(r"\D", "", cell.get(name, "1")) or 1), _MAX_SPAN))
    except ValueError:
        return 1


_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "tr",
                     "td", "th", "section", "article", "header", "footer", "blockquote", "center", "dd", "dt"})
_SKIP = frozenset({"script", "style", "noscript", "template"})


_LINE_BREAKS = re.compile(r"[\r\n]+")


def _one_line(text: str) -> str:
    """Line breaks in the source of a paragraph are spaces (most text nodes have none)."""
    return _LINE_BREAKS.sub(" ", text) if "\n" in text or "\r" in text else text


def page_lines(root: etree._Element) -> list[str]:
    """The page's visible text, one line per block; an empty paragraph stays an empty line
    (a blank cell in a cell-per-line table) and tabs and line breaks inside <pre> survive."""
    lines: list[str] = []
    buffer: list[str] = []

    def flush(empty_block: bool = False) -> None:
        text = "".join(buffer)
        buffer.clear()
        if text.strip():
            lines.extend(part.rstrip("\r ") for part in text.split("\n"))
        elif empty_block:
            lines.append("")

    def walk(node: etree._Element, in_pre: bool) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _SKIP or not tag:
            return
        block = tag in _BLOCKS
        in_pre = in_pre or tag == "pre"
        if block:
            flush()
        if tag == "br":
            buffer.append("\n")
        if node.text:
            buffer.append(node.text if in_pre else _one_line(node.text))
        for child in node:
            walk(child, in_pre)
            if child.tail:
                buffer.append(child.tail if in_pre else _one_line(child.tail))
        if block:
            flush(empty_block=tag in ("p", "div") and len(node) == 0)

    walk(root, False)
    flush()
    return lines


def table_grid(table: etree._Element) -> list[Line]:
    """Rows of a table with rowspan/colspan expanded: a spanned label repeats in every row it
    covers; a cell spanning columns appears once per row (its value is printed once)."""
    taken: dict[tuple[int, int], tuple[int, str]] = {}
    rows = [tr for tr in table.iter("tr")]
    origin = 0  # a serial number per cell: lxml proxies are short-lived, their id() is reused
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr:
            if not isinstance(cell.tag, str) or cell.tag.lower() not in ("td", "th"):
                continue
            while (r, c) in taken:
                c += 1
            text, rowspan, colspan = _cell_text(cell), _span(cell, "rowspan"), _span(cell, "colspan")
            origin += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    taken[(r + dr, c + dc)] = (origin, text)
            c += colspan
    lines = []
    for r in range(len(rows)):
        row_cells = sorted((c, v) for (rr, c), v in taken.items() if rr == r)
        cells, last = [], None
        for _c, (origin, text) in row_cells:
            if origin != last:
                cells.append(text)
            last = origin
        if cells:
            lines.append(Line(cells, exact=True))
    return lines


def read(body: bytes, url: str | None, content_type: str | None) -> Page:
    text = decode(body, content_type)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    tree = lxml.html.document_fromstring(text or "<html></html>")
    meta = {}
    for node in tree.iter("meta"):
        name = (node.get("name") or node.get("property") or node.get("http-equiv") or "").strip().lower()
        if name and node.get("content"):
            meta.setdefault(name, node.get("content").strip())
    html_title = None
    for node in tree.iter("title"):
        html_title = _cell_text(node)
        break
    headline = None
    for node in tree.iter("h1", "h2"):
        if labels.REPORT_TITLE.search(_cell_text(node)):
            headline = _cell_text(node)
            break
    table_lines: list[Line] = []
    for table in tree.xpath("//table[not(.//table)]"):
        table_lines.extend(table_grid(table))
    attachments, seen = [], set()
    for link in tree.iter("a"):
        href = (link.get("href") or "").strip()
        if href and labels.DOCUMENT_LINK.search(href):
            absolute = urljoin(url or "", href)
            if absolute not in seen:
                seen.add(absolute)
                attachments.append({"url": absolute, "text": _cell_text(link)})
    images = sum(1 for _ in tree.iter("img"))
    content_images = _content_images(tree, url)
    body_node = tree.find("body")
    visible_lines = page_lines(body_node if body_node is not None else tree)
    main = trafilatura.extract(tree, url=url, include_tables=True, favor_recall=True, include_comments=False,
                               deduplicate=False) or ""
    return Page(main, visible_lines, table_lines, meta, html_title, headline, attachments, images, content_images)


MIN_TEXT_CHARS = 40  # a page with less main text than this and images is a 图片版: its images are the report


def image_pages(text: str, url: str) -> list[dict]:
    """The page images of a 图片版 report page (main content: images and almost no text), as
    attachments ({url, text}) for a crawler to fetch; [] for a page that prints its text."""
    tree = lxml.html.document_fromstring(text or "<html></html>")
    images = _content_images(tree, url)
    if not images:
        return []
    main = trafilatura.extract(tree, url=url, include_tables=True, favor_recall=True, include_comments=False,
                               deduplicate=False) or ""
    return images if len(re.sub(r"\s", "", main)) < MIN_TEXT_CHARS else []


# Chrome images (logos, banners, QR codes, icons) by their source or their container's class/id.
_CHROME_IMAGE = re.compile(r"logo|icon|banner|qr|code|share|weixin|wechat|weibo|btn|button|arrow|bg|spacer|\.gif\b",
                           re.I)
_CHROME_CONTAINER = re.compile(
    r"(?:^|[\s_-])(?:nav\w*|header|head|footer|foot|logo|banner|menu|share|qr\w*|top|bottom|sidebar|side|links?"
    r"|copyright)(?:$|[\s_-])", re.I)
_MIN_PAGE_IMAGE_PX = 300  # a declared width or height below this is not a page of a report


def _content_images(tree: etree._Element, url: str | None) -> list[dict]:
    """Images that can be pages of the report: not chrome, not declared small; once each."""
    out, seen = [], set()
    for image in tree.iter("img"):
        source = (image.get("src") or image.get("data-src") or "").strip()
        if not source or source.startswith("data:") or _CHROME_IMAGE.search(source):
            continue
        sizes = [int(v) for v in (image.get("width"), image.get("height")) if v and v.strip().isdigit()]
        if sizes and max(sizes) < _MIN_PAGE_IMAGE_PX:
            continue
        containers = " ".join(f"{node.get('class') or ''} {node.get('id') or ''}" for node in image.iterancestors())
        if _CHROME_CONTAINER.search(containers) or any(node.tag in ("header", "nav", "footer")
                                                      for node in image.iterancestors()):
            continue
        absolute = urljoin(url or "", source)
        if absolute not in seen:
            seen.add(absolute)
            out.append({"url": absolute, "text": (image.get("alt") or image.get("title") or "").strip()})
    return out
