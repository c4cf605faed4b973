"""Text PDFs through PDFium (pypdfium2): cells of ruled tables where a page draws any
(``parsers.ruled``), positioned words (``parsers.words``) otherwise.

PDFium gives each glyph of the text layer with its box and each path object with its
segments; both are turned to the page as displayed (rotation applied, origin top left) and
glyphs outside the CropBox, which no viewer shows, are left out. The document time cap is
checked between pages and every few hundred glyphs or objects inside a page, so one page
of a hostile PDF cannot outlast it.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pypdfium2
import pypdfium2.raw as pdfium_c

from parsers import ruled
from parsers.cells import Line, spaced_text_lines
from parsers.deadline import Deadline
from parsers.ruled import Rule
from parsers.words import Word, positioned_lines

MAX_PAGES = 60
_CHECK_EVERY = 256  # glyphs or page objects between two looks at the deadline
_STRAIGHT = 0.01  # points: a segment whose ends differ less than this across is axis-aligned

Matrix = tuple[float, float, float, float, float, float]
_IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


@dataclass
class PdfContent:
    text: str
    table_lines: list[Line]
    pages: int
    chars: int
    positioned_lines: list[Line]  # every text line as cells, blanks placed by column


def read(body: bytes, deadline: Deadline) -> PdfContent:
    texts: list[str] = []
    table_lines: list[Line] = []
    positioned: list[Line] = []
    chars = 0
    document = pypdfium2.PdfDocument(body)
    try:
        pages = len(document)
        for index in range(min(pages, MAX_PAGES)):
            deadline.check()
            page = document[index]
            try:
                to_display = _display_transform(page)
                glyphs = _glyphs(page, index + 1, to_display, deadline)
                rules = list(_rules(page, to_display, deadline))
            finally:
                page.close()
            chars += len(glyphs)
            words = ruled.join_glyphs(glyphs)
            text = ruled.text_of(words)
            texts.append(text)
            tables = ruled.tables(glyphs, rules, deadline.check) if rules else []
            for table in tables:
                for row in table:
                    cells = [(cell or "").replace("\n", "") for cell in row]
                    if any(cells):
                        table_lines.append(Line(_merge_repeats(row, cells), exact=True))
            # a page with ruled tables has its cells already; its text lines stand for the rest
            positioned.extend(spaced_text_lines(text) if tables else positioned_lines(words))
    finally:
        document.close()
    return PdfContent("\n".join(texts), table_lines, pages, chars, positioned)


def _merge_repeats(raw: list[str | None], cells: list[str]) -> list[str]:
    """A merged cell gives None for the columns it covers: drop them like a colspan."""
    return [cell for original, cell in zip(raw, cells) if original is not None]


def _display_transform(page: pypdfium2.PdfPage) -> Callable[[float, float], tuple[float, float]]:
    """PDF user space (y up) → the page as displayed: rotated by /Rotate, origin top left."""
    left, bottom, right, top = page.get_mediabox()
    rotation = page.get_rotation()
    if rotation == 90:
        return lambda x, y: (y - bottom, x - left)
    if rotation == 180:
        return lambda x, y: (right - x, y - bottom)
    if rotation == 270:
        return lambda x, y: (top - y, right - x)
    return lambda x, y: (x - left, top - y)


def _glyphs(page: pypdfium2.PdfPage, number: int, to_display: Callable[[float, float], tuple[float, float]],
            deadline: Deadline) -> list[Word]:
    """The printed glyphs of the text layer inside the CropBox, in content order."""
    crop_left, crop_bottom, crop_right, crop_top = page.get_cropbox()
    textpage = page.get_textpage()
    try:
        handle = textpage.raw
        box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
        origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
        glyphs: list[Word] = []
        for index in range(pdfium_c.FPDFText_CountChars(handle)):
            if index % _CHECK_EVERY == 0:
                deadline.check()
            text = chr(pdfium_c.FPDFText_GetUnicode(handle, index))
            if text in "\r\n\x00\ufffe" or (text.isspace() and pdfium_c.FPDFText_IsGenerated(handle, index)):
                continue  # line breaks and spaces PDFium adds between words, not printed glyphs
            if not (pdfium_c.FPDFText_GetLooseCharBox(handle, index, ctypes.byref(box))
                    and pdfium_c.FPDFText_GetMatrix(handle, index, ctypes.byref(matrix))):
                continue
            size = pdfium_c.FPDFText_GetFontSize(handle, index) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            left, right, bottom = box.left, box.right, box.bottom
            if right - left > 1.5 * size + 1:
                # PDFium's loose box of a vertical-writing glyph ignores the text matrix: one em from its origin
                pdfium_c.FPDFText_GetCharOrigin(handle, index, ctypes.byref(origin_x), ctypes.byref(origin_y))
                left, right, bottom = origin_x.value, origin_x.value + size, origin_y.value
            top = bottom + size  # one em high, as pdfminer boxed glyphs: lines cluster as they did
            centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
            if not (crop_left <= centre_x <= crop_right and crop_bottom <= centre_y <= crop_top):
                continue
            (ax, ay), (bx, by) = to_display(left, top), to_display(right, bottom)
            glyphs.append(Word(text, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), number))
        return glyphs
    finally:
        textpage.close()


def _rules(page: pypdfium2.PdfPage, to_display: Callable[[float, float], tuple[float, float]],
           deadline: Deadline) -> Iterator[Rule]:
    """Every horizontal or vertical straight segment the page paints (lines, rectangle sides)."""
    point_x, point_y = ctypes.c_float(), ctypes.c_float()
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    for count, (path, matrix) in enumerate(_paths(page.raw, _IDENTITY)):
        if count % _CHECK_EVERY == 0:
            deadline.check()
        if (pdfium_c.FPDFPath_GetDrawMode(path, ctypes.byref(fill_mode), ctypes.byref(stroke))
                and fill_mode.value == pdfium_c.FPDF_FILLMODE_NONE and not stroke.value):
            continue  # neither filled nor stroked: paints nothing
        start = current = None
        for index in range(pdfium_c.FPDFPath_CountSegments(path)):
            segment = pdfium_c.FPDFPath_GetPathSegment(path, index)
            pdfium_c.FPDFPathSegment_GetPoint(segment, ctypes.byref(point_x), ctypes.byref(point_y))
            point = _apply(matrix, point_x.value, point_y.value)
            kind = pdfium_c.FPDFPathSegment_GetType(segment)
            if kind == pdfium_c.FPDF_SEGMENT_LINETO and current is not None:
                yield from _rule(current, point, to_display)
            elif kind == pdfium_c.FPDF_SEGMENT_MOVETO:
                start = point
            current = point  # a Bézier's control points draw no straight rule
            if pdfium_c.FPDFPathSegment_GetClose(segment) and start is not None:
                yield from _rule(current, start, to_display)
                current = start


def _paths(parent, matrix: Matrix, in_form: bool = False) -> Iterator[tuple[object, Matrix]]:
    """Path objects of a page, and of the form XObjects it draws, with their page matrix."""
    count = (pdfium_c.FPDFFormObj_CountObjects if in_form else pdfium_c.FPDFPage_CountObjects)(parent)
    get = pdfium_c.FPDFFormObj_GetObject if in_form else pdfium_c.FPDFPage_GetObject
    own = pdfium_c.FS_MATRIX()
    for index in range(max(count, 0)):
        obj = get(parent, index)
        kind = pdfium_c.FPDFPageObj_GetType(obj)
        if kind not in (pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM):
            continue
        if not pdfium_c.FPDFPageObj_GetMatrix(obj, ctypes.byref(own)):
            continue
        placed = _compose((own.a, own.b, own.c, own.d, own.e, own.f), matrix)
        if kind == pdfium_c.FPDF_PAGEOBJ_PATH:
            yield obj, placed
        else:
            yield from _paths(obj, placed, in_form=True)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _rule(p: tuple[float, float], q: tuple[float, float],
          to_display: Callable[[float, float], tuple[float, float]]) -> Iterator[Rule]:
    (px, py), (qx, qy) = to_display(*p), to_display(*q)
    if abs(py - qy) < _STRAIGHT:
        yield Rule(min(px, qx), py, max(px, qx), py)
    elif abs(px - qx) < _STRAIGHT:
        yield Rule(px, min(py, qy), px, max(py, qy))
