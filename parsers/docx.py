"""DOCX: paragraphs as text lines, tables as grids (merged cells once per row).

word/document.xml is read with lxml directly: python-docx's proxy objects cost ~36 ms per
report (``row.cells`` walks the tree once per cell). The text and the cells are the ones
python-docx gives: a paragraph's runs and hyperlinks, a horizontal span once, a vertical
span's continuation as its first cell's text.
"""

from __future__ import annotations

import io
import zipfile

from lxml import etree

from parsers.cells import Line
from parsers.deadline import Deadline

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_P, _TBL, _TR, _TC, _R, _HYPERLINK = (_W + tag for tag in ("p", "tbl", "tr", "tc", "r", "hyperlink"))
# a run's text as python-docx reads it: a page or column break is no text
_RUN_TEXT = {_W + "t": None, _W + "tab": "\t", _W + "ptab": "\t", _W + "cr": "\n", _W + "noBreakHyphen": "-"}
_BR, _BR_TYPE, _VAL = _W + "br", _W + "type", _W + "val"
_XML = etree.XMLParser(remove_blank_text=True, resolve_entities=False)  # python-docx's parser settings


def read(body: bytes, deadline: Deadline) -> tuple[str, list[Line]]:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:  # its caps are checked (parsers/zipcaps.py)
        root = etree.fromstring(archive.read("word/document.xml"), _XML)
    lines: list[str] = []
    table_lines: list[Line] = []
    document_body = root.find(_W + "body")
    for block in document_body if document_body is not None else ():
        deadline.check()
        if block.tag == _P:
            lines.append(_paragraph_text(block))
        elif block.tag == _TBL:
            above: list[tuple[int, etree._Element]] | None = None  # the row above: (grid offset, first cell)
            for row in block.iterchildren(_TR):
                deadline.check()  # one table can hold most of a 32 MiB document.xml
                cells, last, placed = [], None, []
                offset = _property(row, "trPr", "gridBefore", 0)
                for tc in row.iterchildren(_TC):
                    span = _property(tc, "tcPr", "gridSpan", 1)
                    cell = _cell_above(above, offset) if _continues(tc) else tc
                    placed.append((offset, cell))
                    if cell is not last:
                        cells.append(_cell_text(cell).replace("\n", "").strip())
                    last = cell
                    offset += span
                above = placed
                table_lines.append(Line(cells, exact=True))
                lines.append("\t".join(cells))
    return "\n".join(lines), table_lines


def _property(element: etree._Element, properties: str, name: str, default: int) -> int:
    found = element.find(f"{_W}{properties}/{_W}{name}")
    return default if found is None else int(found.get(_VAL))


def _continues(tc: etree._Element) -> bool:
    """A second or later row of a vertical span (w:vMerge without val="restart")."""
    merge = tc.find(f"{_W}tcPr/{_W}vMerge")
    return merge is not None and merge.get(_VAL, "continue") == "continue"


def _cell_above(above: list[tuple[int, etree._Element]] | None, offset: int) -> etree._Element:
    if above is None:
        raise ValueError("no tr above topmost tr in w:tbl")
    for start, cell in above:
        if start == offset:
            return cell
    raise ValueError(f"no `tc` element at grid_offset={offset}")


def _cell_text(tc: etree._Element) -> str:
    return "\n".join(_paragraph_text(p) for p in tc.iterchildren(_P))


def _paragraph_text(p: etree._Element) -> str:
    parts = []
    for child in p.iterchildren(_R, _HYPERLINK):
        for run in (child,) if child.tag == _R else child.iterchildren(_R):
            for element in run.iterchildren():
                tag = element.tag
                if tag == _BR:
                    if element.get(_BR_TYPE, "textWrapping") == "textWrapping":
                        parts.append("\n")
                elif tag in _RUN_TEXT:
                    parts.append(_RUN_TEXT[tag] or element.text or "")
    return "".join(parts)
