"""Turn any input into table rows: a normalised label and the value cells after it.

Two kinds of input lines:
- *exact* rows come from a real table grid (HTML, DOCX, ruled PDF tables): the cells after
  the label are the row's value slots, blank cells included, so positions are certain;
- *free* lines come from text (cell per line, ``|``-separated, tab-separated PDF text):
  cells are read as one stream and a row ends where a label follows values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from parsers import labels

Number = int | float
BLANK = ""  # a blank cell in the stream (a row slot that prints nothing)


@dataclass
class Line:
    cells: list[str]
    exact: bool = False
    tabbed: bool = False  # tab-separated: an empty cell between two values is a blank cell


@dataclass
class Row:
    label: str  # normalised text of the label cells, in reading order
    values: list[Number | None] = field(default_factory=list)  # None: blank / placeholder
    exact: bool = False
    tab_cells: list[str] | None = None  # the whole tab line, empties included (its grid columns)


@lru_cache(maxsize=8192)  # a report repeats its cells ("0", blanks, labels) and each is asked several times
def parse_value(cell: str) -> tuple[bool, Number | None]:
    """(is a value cell, the number or None for a placeholder/blank)."""
    text = cell.strip()
    if text == BLANK or text in labels.PLACEHOLDERS:
        return True, None
    text = labels.UNITS.sub("", text.replace(" ", "").replace("，", ","))
    if labels.THOUSANDS.match(text):
        text = text.replace(",", "")
    if not labels.NUMBER.fullmatch(text):
        return False, None
    text = text.replace("−", "-")
    return True, (float(text) if "." in text else int(text))


def _text_cells(text: str) -> list[Line]:
    """Lines of plain text → free lines; extra blank lines in cell-per-line text are blank cells."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    gaps: list[int] = []
    run = 0
    for line in raw:
        if line.strip():
            gaps.append(run)
            run = 0
        else:
            run += 1
    usual = max(set(gaps[1:]), key=gaps[1:].count) if len(gaps) > 1 else 0
    lines: list[Line] = []
    run = 0
    for line in raw:
        if not line.strip():
            run += 1
            continue
        cells = _split_line(line)
        extra = run - usual
        single = len(cells) == 1 and "\t" not in line and "|" not in line
        if lines and single and len(lines[-1].cells) == 1 and extra > 0 and extra % (usual + 1) == 0:
            lines.extend(Line([BLANK]) for _ in range(extra // (usual + 1)))
        run = 0
        lines.append(Line(cells, tabbed="\t" in line))
    return lines


def _split_line(line: str) -> list[str]:
    if "\t" in line:
        return [c.strip() for c in line.rstrip("\t \r").split("\t")]
    elif "|" in line or "｜" in line:
        stripped = line.strip()
        if re.fullmatch(r"[|｜]+", stripped):
            # padding of a short row (seed 003); a blank cell prints as " |"
            return [BLANK] if line.startswith(" ") and len(stripped) == 1 else []
        cells = re.split(r"[|｜]", line)
        if cells and not cells[-1].strip():
            cells = cells[:-1]
    else:
        cells = [line]
    return [c.strip() for c in cells if c.strip()] or []


def text_lines(text: str) -> list[Line]:
    return _text_cells(text)


def spaced_text_lines(text: str) -> list[Line]:
    """PDF text without ruled tables: cells are separated by spaces only."""
    return [Line(line.split()) for line in text.split("\n") if line.strip()]


def _label_and_value(cell: str) -> tuple[str, str] | None:
    """A short label cell that carries its value at its end ("行政处罚 0")."""
    if len(cell) > 24:
        return None
    match = labels.LABEL_THEN_NUMBER.match(cell)
    return (match["label"], match["value"]) if match else None


def rows(lines: list[Line]) -> list[Row]:
    """Rows of label + values, in document order (labels normalised, script simplified)."""
    out: list[Row] = []
    label: list[str] = []
    values: list[Number | None] = []

    def emit(line_ends: bool = False, tab_cells: list[str] | None = None) -> None:
        # a tab line is one printed row: it ends there even when every cell is blank
        if values or (line_ends and label):
            out.append(Row("".join(label), list(values), tab_cells=tab_cells))
        label.clear()
        values.clear()

    for line in lines:
        if line.exact:
            emit()
            out.append(_exact_row(line.cells))
            continue
        leading_blanks = line.tabbed and _single_label_then_blanks(line.cells)
        for index, cell in enumerate(line.cells):
            if not cell and line.tabbed:
                # an empty cell of a tab line is blank between two values, or right after a
                # one-cell label; elsewhere it is the shadow of a spanned label
                if (values or leading_blanks) and any(c and parse_value(c)[0] for c in line.cells[index + 1:]):
                    values.append(None)
                continue
            is_value, value = parse_value(cell)
            if is_value:
                values.append(value)
                continue
            split = _label_and_value(cell)
            if values:
                emit()
            if len(cell) > labels.LONG_TEXT:
                label.clear()
                continue
            if split:
                label.append(split[0])
                values.append(parse_value(split[1])[1])
            else:
                label.append(cell)
        if line.tabbed:
            emit(line_ends=True, tab_cells=line.cells)
    emit()
    return _simplify_labels(out)


def _simplify_labels(found: list[Row]) -> list[Row]:
    """Traditional → Simplified for every label in one call (zhconv per cell is the cost)."""
    simplified = labels.to_simplified("\x00".join(row.label for row in found)).split("\x00")
    if len(simplified) == len(found):
        for row, label in zip(found, simplified):
            row.label = labels.normalise(label)
    else:
        for row in found:
            row.label = labels.normalise(labels.to_simplified(row.label))
    return found


def _single_label_then_blanks(cells: list[str]) -> bool:
    """A tab line like "行政许可<TAB><TAB>5<TAB>170": one label cell, then empties, then values."""
    if not cells or not cells[0] or parse_value(cells[0])[0]:
        return False
    for cell in cells[1:]:
        if cell:
            return parse_value(cell)[0]
    return False


def _exact_row(cells: list[str]) -> Row:
    last_text = -1
    for i, cell in enumerate(cells):
        if cell.strip() and not parse_value(cell)[0]:
            last_text = i
    parts: list[str] = []
    for cell in cells[: last_text + 1]:
        if cell.strip() and (not parts or parts[-1] != cell):
            parts.append(cell)
    return Row("".join(parts), [parse_value(c)[1] for c in cells[last_text + 1:]], exact=True)
