"""Positioned words to table lines: the one reader for every source of words with boxes.

A PDF's text layer and an OCR engine both give words with their boxes. Without ruling
lines a blank cell prints nothing, so the text alone cannot say which column a value
belongs to. The words' x-positions can: within one block of table rows (between two
header lines) the value columns are the header's column titles when every value sits
under one, else wherever values are printed in any row; a row that prints nothing in a
column gets a blank cell there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from parsers.cells import BLANK, Line, parse_value

_SAME_LINE = 2.5  # points: words whose tops differ by less than this print on one line


class Word(NamedTuple):
    """One printed word and its box (top-left origin; PDF points or image pixels).

    A named tuple, not a frozen dataclass: a PDF page makes one per glyph, and a tuple is
    built three times faster."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    page: int = 0
    confidence: float | None = None  # None for a text layer; 0..1 from OCR


@dataclass
class _Word:
    text: str
    x0: float
    x1: float
    is_value: bool


def positioned_lines(words: list[Word], same_line: float = _SAME_LINE) -> list[Line]:
    """Every printed line of one page as cells, a blank cell where a column prints nothing."""
    return _place_columns(_word_lines(words, same_line))


def _word_lines(words: list[Word], same_line: float) -> list[list[_Word]]:
    """Words grouped into printed lines, top to bottom, each line left to right."""
    lines: list[tuple[float, list[_Word]]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        item = _Word(word.text, word.x0, word.x1, parse_value(word.text)[0])
        if lines and word.top - lines[-1][0] < same_line:
            lines[-1][1].append(item)
        else:
            lines.append((word.top, [item]))
    return [sorted(line, key=lambda w: w.x0) for _, line in lines]


def _place_columns(lines: list[list[_Word]]) -> list[Line]:
    out: list[Line] = []
    block: list[list[_Word]] = []
    header: list[_Word] = []
    for line in lines:
        if not any(w.is_value for w in line) and len(line) >= 2:  # a header line starts a new block
            out.extend(_block_lines(block, header))
            block, header = [], line
            out.append(Line([w.text for w in line]))
        else:
            block.append(line)
    out.extend(_block_lines(block, header))
    return out


def _header_columns(header: list[_Word], values: list[_Word]) -> list[tuple[float, float]] | None:
    """The header's column titles as columns, when every value of the block sits under one.

    This keeps a column whose cells are blank in every row of the block (a one-row block
    such as 行政事业性收费 printing only 本年增/减).
    """
    titles = [(w.x0, w.x1) for w in header[1:]]
    if not titles or not values:
        return None
    if all(any(v.x0 <= x1 and v.x1 >= x0 for x0, x1 in titles) for v in values):
        return titles
    return None


def _columns(words: list[_Word]) -> list[tuple[float, float]]:
    """The x-extents of the value columns: overlapping value words share a column."""
    columns: list[list[float]] = []
    for word in sorted(words, key=lambda w: w.x0):
        if columns and word.x0 <= columns[-1][1]:
            columns[-1][1] = max(columns[-1][1], word.x1)
        else:
            columns.append([word.x0, word.x1])
    return [(x0, x1) for x0, x1 in columns]


def _block_lines(block: list[list[_Word]], header: list[_Word]) -> list[Line]:
    printed = [w for line in block for w in line if w.is_value]
    columns = _header_columns(header, printed) or _columns(printed)
    out = []
    for line in block:
        values = [w for w in line if w.is_value]
        inside = [w for w in line if not w.is_value and values[0].x0 < w.x0 < values[-1].x1] if values else []
        if not values or len(values) >= len(columns) or inside:
            out.append(Line([w.text for w in line]))
            continue
        labels_end = max((w.x1 for w in line if not w.is_value and w.x1 <= values[0].x0), default=None)
        slots = [c for c in columns if labels_end is None or c[0] >= labels_end]
        cells = [w.text for w in line if not w.is_value and w.x1 <= values[0].x0]
        by_slot: dict[int, str] = {}
        for word in values:
            slot = next((i for i, (x0, x1) in enumerate(slots) if word.x0 <= x1 and word.x1 >= x0), None)
            if slot is None or slot in by_slot:  # not under a column: keep the text as printed
                by_slot = {}
                break
            by_slot[slot] = word.text
        if not by_slot:
            out.append(Line([w.text for w in line]))
            continue
        cells.extend(by_slot.get(i, BLANK) for i in range(len(slots)))
        cells.extend(w.text for w in line if not w.is_value and w.x0 >= values[-1].x1)
        out.append(Line(cells))
    return out
