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
from collections.abc import Iterator
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



def _by_address(function):
    """A PDFium function taking and returning every pointer as a plain address (an int): the
    per-glyph and per-object calls then skip ctypes' pointer type checks and wrapper objects,
    about a third of their cost."""
    def plain(kind):
        return ctypes.c_void_p if kind is not None and issubclass(kind, ctypes._Pointer) else kind
    prototype = ctypes.CFUNCTYPE(plain(function.restype), *map(plain, function.argtypes))
    return prototype(ctypes.cast(function, ctypes.c_void_p).value)


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value


_count_chars = _by_address(pdfium_c.FPDFText_CountChars)
_get_text = _by_address(pdfium_c.FPDFText_GetText)
_get_unicode = _by_address(pdfium_c.FPDFText_GetUnicode)
_loose_box = _by_address(pdfium_c.FPDFText_GetLooseCharBox)
_text_matrix = _by_address(pdfium_c.FPDFText_GetMatrix)
_font_size = _by_address(pdfium_c.FPDFText_GetFontSize)
_is_generated = _by_address(pdfium_c.FPDFText_IsGenerated)
_char_origin = _by_address(pdfium_c.FPDFText_GetCharOrigin)
_count_objects = {False: _by_address(pdfium_c.FPDFPage_CountObjects),
                  True: _by_address(pdfium_c.FPDFFormObj_CountObjects)}
_get_object = {False: _by_address(pdfium_c.FPDFPage_GetObject), True: _by_address(pdfium_c.FPDFFormObj_GetObject)}
_object_type = _by_address(pdfium_c.FPDFPageObj_GetType)
_object_matrix = _by_address(pdfium_c.FPDFPageObj_GetMatrix)
_object_bounds = _by_address(pdfium_c.FPDFPageObj_GetBounds)
_draw_mode = _by_address(pdfium_c.FPDFPath_GetDrawMode)
_count_segments = _by_address(pdfium_c.FPDFPath_CountSegments)
_get_segment = _by_address(pdfium_c.FPDFPath_GetPathSegment)
_segment_point = _by_address(pdfium_c.FPDFPathSegment_GetPoint)
_segment_type = _by_address(pdfium_c.FPDFPathSegment_GetType)
_segment_close = _by_address(pdfium_c.FPDFPathSegment_GetClose)

Matrix = tuple[float, float, float, float, float, float]  # a b c d e f: x' = ax + cy + e, y' = bx + dy + f


@dataclass
class PdfContent:
    text: str
    table_lines: list[Line]
    pages: int
    chars: int
    page_words: list[tuple[list[Word] | None, str]]  # each page's words (None: it has ruled tables) and text

    def positioned_lines(self) -> list[Line]:
        """Every text line as cells, blanks placed by column; built only when asked (the
        fallback when the ruled cells hold no report table)."""
        lines: list[Line] = []
        for words, text in self.page_words:
            # a page with ruled tables has its cells already; its text lines stand for the rest
            lines.extend(spaced_text_lines(text) if words is None else positioned_lines(words))
        return lines


def read(body: bytes, deadline: Deadline) -> PdfContent:
    texts: list[str] = []
    table_lines: list[Line] = []
    page_words: list[tuple[list[Word] | None, str]] = []
    chars = 0
    document = pypdfium2.PdfDocument(body)
    try:
        pages = len(document)
        for index in range(min(pages, MAX_PAGES)):
            deadline.check()
            page = document[index]
            try:
                display = _display_matrix(page)
                glyphs = _glyphs(page, index + 1, display, deadline)
                rules = _rules(page, display, deadline)
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
            page_words.append((None if tables else words, text))
    finally:
        document.close()
    return PdfContent("\n".join(texts), table_lines, pages, chars, page_words)


def _merge_repeats(raw: list[str | None], cells: list[str]) -> list[str]:
    """A merged cell gives None for the columns it covers: drop them like a colspan."""
    return [cell for original, cell in zip(raw, cells) if original is not None]


def _display_matrix(page: pypdfium2.PdfPage) -> Matrix:
    """PDF user space (y up) → the page as displayed: rotated by /Rotate, origin top left."""
    left, bottom, right, top = page.get_mediabox()
    return {90: (0.0, 1.0, 1.0, 0.0, -bottom, -left), 180: (-1.0, 0.0, 0.0, 1.0, right, -bottom),
            270: (0.0, -1.0, -1.0, 0.0, top, right)}.get(page.get_rotation(), (1.0, 0.0, 0.0, -1.0, -left, top))


def _glyphs(page: pypdfium2.PdfPage, number: int, display: Matrix, deadline: Deadline) -> list[Word]:
    """The printed glyphs of the text layer inside the CropBox, in content order, boxed on the
    page as displayed."""
    crop_left, crop_bottom, crop_right, crop_top = page.get_cropbox()
    a, b, c, d, e, f = display
    upright = (a, b, c, d) == (1.0, 0.0, 0.0, -1.0)  # the usual page: no corner can swap
    textpage = page.get_textpage()
    handle = _address(textpage.raw)
    count = _count_chars(handle)
    texts = _texts(handle, count)
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    box_at, matrix_at = ctypes.addressof(box), ctypes.addressof(matrix)
    origin_x, origin_y = ctypes.c_double(), ctypes.c_double()
    loose_box, generated = _loose_box, _is_generated
    glyphs = []
    sizes: dict[float, float] = {}  # loose box height → em size in points
    try:
        for first in range(0, count, _CHECK_EVERY):
            deadline.check()
            for index in range(first, min(first + _CHECK_EVERY, count)):
                text = texts[index]
                if text in _NOT_PRINTED or (text in _SPACES and generated(handle, index)):
                    continue  # line breaks and spaces PDFium adds between words, not printed glyphs
                if not loose_box(handle, index, box_at):
                    continue
                left, right, bottom = box.left, box.right, box.bottom
                # a font at one size gives every glyph one loose height: ask PDFium the size once per height
                size = sizes.get(box.top - bottom)
                if size is None:
                    if not _text_matrix(handle, index, matrix_at):
                        continue
                    size = _font_size(handle, index) * abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
                    sizes[box.top - bottom] = size
                if right - left > 1.5 * size + 1:
                    # PDFium's loose box of a vertical-writing glyph ignores the text matrix: one em from its origin
                    _char_origin(handle, index, ctypes.addressof(origin_x), ctypes.addressof(origin_y))
                    left, right, bottom = origin_x.value, origin_x.value + size, origin_y.value
                if not (crop_left <= (left + right) / 2 <= crop_right and crop_bottom <= bottom + size / 2 <= crop_top):
                    continue  # outside the CropBox: no viewer shows it
                top = bottom + size  # one em high, as pdfminer boxed glyphs: lines cluster as they did
                if upright:
                    glyphs.append(Word(text, left + e, f - top, right + e, f - bottom, number))
                    continue
                ax, ay = a * left + c * top + e, b * left + d * top + f
                bx, by = a * right + c * bottom + e, b * right + d * bottom + f
                glyphs.append(Word(text, min(ax, bx), min(ay, by), max(ax, bx), max(ay, by), number))
    finally:
        textpage.close()
    return glyphs


_NOT_PRINTED = frozenset("\r\n\x00\ufffe")
_SPACES = frozenset(chr(code) for code in range(0x3001) if chr(code).isspace())


def _texts(handle: int, count: int) -> list[str]:
    """Each character of the text page, in one call when it is all in the BMP."""
    buffer = (ctypes.c_ushort * (count + 1))()
    written = _get_text(handle, 0, count, ctypes.addressof(buffer))
    text = bytes(buffer)[: max(written - 1, 0) * 2].decode("utf-16-le", errors="replace")
    if len(text) == count:
        return list(text)
    return [chr(_get_unicode(handle, index)) for index in range(count)]


def _rules(page: pypdfium2.PdfPage, display: Matrix, deadline: Deadline) -> list[Rule]:
    """Every horizontal or vertical straight segment the page paints (lines, rectangle sides)."""
    point_x, point_y = ctypes.c_float(), ctypes.c_float()
    x_at, y_at = ctypes.addressof(point_x), ctypes.addressof(point_y)
    fill_mode, stroke = ctypes.c_int(), ctypes.c_int()
    fill_at, stroke_at = ctypes.addressof(fill_mode), ctypes.addressof(stroke)
    get_segment, get_point, get_type, get_close = _get_segment, _segment_point, _segment_type, _segment_close
    line_to, move_to, no_fill = pdfium_c.FPDF_SEGMENT_LINETO, pdfium_c.FPDF_SEGMENT_MOVETO, pdfium_c.FPDF_FILLMODE_NONE
    bounds = [ctypes.c_float() for _ in range(4)]
    bounds_at = [ctypes.addressof(value) for value in bounds]
    rules: list[Rule] = []
    add = rules.extend
    for count, (path, own, parent) in enumerate(_paths(_address(page.raw), display)):
        if count % _CHECK_EVERY == 0:
            deadline.check()
        if not _draw_mode(path, fill_at, stroke_at):
            continue
        if fill_mode.value == no_fill and not stroke.value:
            continue  # neither filled nor stroked: paints nothing
        segments = _count_segments(path)
        if (not stroke.value and segments in (4, 5) and own[1] == own[2] == 0
                and _object_bounds(path, *bounds_at)):
            # a filled four-sided path (a cell's shading, a rule drawn as a thin box): its
            # bounds are its sides, one call instead of twenty; no stroke widens them
            left, bottom, right, top = (value.value for value in bounds)
            pa, pb, pc, pd, pe, pf = parent
            if pb == pc == 0:  # upright in the displayed page (most are): its sides, as _rule gives them
                x0, y0, x1, y1 = pa * left + pe, pd * bottom + pf, pa * right + pe, pd * top + pf
                low_x, high_x = (x0, x1) if x0 <= x1 else (x1, x0)
                if abs(y0 - y1) < _STRAIGHT:  # no height: its left and right sides are dots
                    add((Rule(x0, y0, x0, y0), Rule(low_x, y0, high_x, y0), Rule(x1, y1, x1, y1),
                         Rule(low_x, y1, high_x, y1)))
                else:
                    low_y, high_y = (y0, y1) if y0 <= y1 else (y1, y0)
                    add((Rule(x0, low_y, x0, high_y), Rule(low_x, y0, high_x, y0), Rule(x1, low_y, x1, high_y),
                         Rule(low_x, y1, high_x, y1)))
                continue
            corners = [_apply(parent, x, y) for x, y in ((left, bottom), (right, bottom), (right, top), (left, top))]
            for index in range(4):
                add(_rule(corners[index], corners[index - 1]))
            continue
        a, b, c, d, e, f = _compose(own, parent)
        start = current = None
        for index in range(segments):
            segment = get_segment(path, index)
            get_point(segment, x_at, y_at)
            x, y = point_x.value, point_y.value
            point = (a * x + c * y + e, b * x + d * y + f)
            kind = get_type(segment)
            if kind == line_to and current is not None:
                add(_rule(current, point))
            elif kind == move_to:
                start = point
            current = point  # a Bézier's control points draw no straight rule
            if get_close(segment) and start is not None:
                add(_rule(current, start))
                current = start
    return rules


def _paths(parent: int, matrix: Matrix, in_form: bool = False) -> Iterator[tuple[int, Matrix, Matrix]]:
    """Path objects of a page, and of the form XObjects it draws, each with its own matrix
    (its space → its parent's, where its bounds are) and its parent's matrix to the
    displayed page; composed only where its segments are read."""
    get, get_type = _get_object[in_form], _object_type
    path_kind, form_kind = pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_FORM
    own = pdfium_c.FS_MATRIX()
    own_at = ctypes.addressof(own)
    for index in range(max(_count_objects[in_form](parent), 0)):
        obj = get(parent, index)
        kind = get_type(obj)
        if kind != path_kind and kind != form_kind:
            continue
        if not _object_matrix(obj, own_at):
            continue
        placed = (own.a, own.b, own.c, own.d, own.e, own.f)
        if kind == path_kind:
            yield obj, placed, matrix
        else:
            yield from _paths(obj, _compose(placed, matrix), in_form=True)


def _compose(inner: Matrix, outer: Matrix) -> Matrix:
    """The matrix applying ``inner`` first, then ``outer`` (PDF row-vector convention)."""
    a, b, c, d, e, f = inner
    A, B, C, D, E, F = outer
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(matrix: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = matrix
    return a * x + c * y + e, b * x + d * y + f


def _rule(p: tuple[float, float], q: tuple[float, float]) -> tuple[Rule, ...]:
    """The rule from p to q if it is horizontal or vertical (a tuple of one), else none."""
    (px, py), (qx, qy) = p, q
    if abs(py - qy) < _STRAIGHT:
        return (Rule(min(px, qx), py, max(px, qx), py),)
    if abs(px - qx) < _STRAIGHT:
        return (Rule(px, min(py, qy), px, max(py, qy)),)
    return ()
