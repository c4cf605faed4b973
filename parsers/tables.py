"""Locate tables 2–4 by their labels, detect the format from the labels, map cells to keys."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers import keys, labels
from parsers.cells import Number, Row, parse_value

T4_KEYS = tuple(f"t4.{b.key}.{c.key}" for b in keys.T4_BLOCKS for c in keys.T4_COLUMNS)


@dataclass
class Tables:
    values: dict[str, Number | None] = field(default_factory=dict)
    table_format: str | None = None
    warnings: list[str] = field(default_factory=list)
    # t3 rows printed with fewer cells than columns, positions unknown: row key -> printed values
    short_rows: dict[str, list[Number | None]] = field(default_factory=dict)
    other_handling_rows: int = 1
    found: set[int] = field(default_factory=set)  # which tables were located


def _rightmost(label: str, patterns: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    """The row whose label ends last in the text: the most specific of nested labels."""
    best, best_end = None, -1
    for key, pattern in patterns:
        for match in pattern.finditer(label):
            if match.end() > best_end:
                best, best_end = key, match.end()
    return best


def read_tables(rows: list[Row]) -> Tables:
    result = Tables()
    seen_t2 = seen_t3 = False
    stage = 0
    t2_rows: dict[str, list[Number | None]] = {}
    t2_text: list[str] = []
    t3_rows: dict[str, Row] = {}
    t4_row: Row | None = None
    for row in rows:
        label = row.label
        tail = label[-labels.ANCHOR_REACH:]  # prose before a table must not pass for its header
        if labels.T2_ANCHOR.search(tail) and stage < 3:
            seen_t2, stage = True, 2
        if labels.T3_ANCHOR.search(tail):
            seen_t3, stage = True, max(stage, 3)
        if stage >= 3 and labels.T4_MARKER.search(tail):
            stage = 4
        if stage == 2:
            t2_text.append(label)
        if not row.values and not seen_t2:
            continue
        if stage == 4 or (seen_t3 and labels.T4_MARKER.search(label)):
            if t4_row is None and len(_fit(row.values, len(T4_KEYS))) == len(T4_KEYS):
                t4_row = Row(row.label, _fit(row.values, len(T4_KEYS)), row.exact)
            continue
        if seen_t3:
            key = _rightmost(label, keys.T3_ROW_PATTERNS)
            if key and (key not in t3_rows or not t3_rows[key].values):
                t3_rows[key] = row
                if key == "carried_out" and row.values:
                    stage = 4
            continue
        if seen_t2:
            key = _rightmost(label, keys.T2_ROW_PATTERNS)
            if key and (key not in t2_rows or not t2_rows[key]):
                t2_rows[key] = row.values
    if t2_rows:
        result.found.add(2)
        result.table_format = _detect_format(" ".join(t2_text), t2_rows)
        _map_t2(result, t2_rows)
    if t3_rows:
        result.found.add(3)
        _map_t3(result, t3_rows)
        if result.table_format is None:
            result.table_format = "2021" if result.other_handling_rows == 3 else None
    if t4_row is not None or 3 in result.found:
        _map_t4(result, t4_row)
    return result


def _fit(values: list[Number | None], width: int) -> list[Number | None]:
    """Drop blank cells a text layout added around a row (paragraph gaps), never numbers."""
    values = list(values)
    while len(values) > width and values[-1] is None:
        values.pop()
    while len(values) > width and values[0] is None:
        values.pop(0)
    return values


def _detect_format(text: str, t2_rows: dict[str, list[Number | None]]) -> str:
    scores = {fmt: len(pattern.findall(text)) for fmt, pattern in labels.T2_FORMAT_MARKERS.items()}
    if "other_services" in t2_rows or "procurement" in t2_rows:
        scores["2019"] += 2
    for row in ("licensing", "punishment", "coercion"):
        if row in t2_rows:
            scores["2019" if len(t2_rows[row]) >= 3 else "2021"] += 1
    return "2019" if scores["2019"] > scores["2021"] else "2021"


def _map_t2(result: Tables, t2_rows: dict[str, list[Number | None]]) -> None:
    layout = keys.T2_2021 if result.table_format == "2021" else keys.T2_2019
    for row, columns in layout:
        printed = t2_rows.get(row.key)
        if printed is not None:
            printed = _fit(printed, len(columns))
        if printed is None:
            result.warnings.append(f"table 2 row {row.key}: not found")
            printed = []
        elif len(printed) != len(columns):
            result.warnings.append(f"table 2 row {row.key}: {len(printed)} values for {len(columns)} columns")
        for i, column in enumerate(columns):
            result.values[f"t2.{row.key}.{column.key}"] = printed[i] if i < len(printed) else None
        _warn_blanks(result, f"table 2 row {row.key}", [c.key for c in columns], printed)


def _tab_grid_values(t3_rows: dict[str, Row], width: int) -> dict[str, list[Number | None]]:
    """Rows of a tab-separated table 3 that print every grid column: their last seven cells
    are the value columns, so a blank first cell keeps its place (trailing blanks are lost)."""
    lengths = [len(r.tab_cells) for r in t3_rows.values() if r.tab_cells]
    if not lengths:
        return {}
    grid = max(lengths)
    out = {}
    for key, row in t3_rows.items():
        if row.tab_cells and len(row.tab_cells) == grid > width:
            slots = row.tab_cells[grid - width:]
            parsed = [parse_value(c) for c in slots]
            if all(is_value for is_value, _ in parsed):
                out[key] = [value for _, value in parsed]
    return out


def _map_t3(result: Tables, t3_rows: dict[str, Row]) -> None:
    parts = [k for k in keys.T3_OTHER_HANDLING_PARTS if k in t3_rows]
    result.other_handling_rows = 3 if parts else 1
    skip = {"other_handling"} if parts else set(keys.T3_OTHER_HANDLING_PARTS)
    width = len(keys.T3_COLUMN_KEYS)
    full_rows = _tab_grid_values(t3_rows, width)
    for row in keys.T3_ROWS:
        if row.key in skip:
            continue
        found = t3_rows.get(row.key)
        printed = full_rows.get(row.key) or (_fit(found.values, width) if found else [])
        if found is None:
            result.warnings.append(f"table 3 row {row.key}: not found")
        elif len(printed) != width:
            result.warnings.append(f"table 3 row {row.key}: {len(printed)} values for {width} columns")
            if len(printed) < width:
                result.short_rows[row.key] = printed
            printed = printed[:width] if len(printed) > width else []
        for i, column in enumerate(keys.T3_COLUMN_KEYS):
            result.values[f"t3.{row.key}.{column}"] = printed[i] if i < len(printed) else None
        _warn_blanks(result, f"table 3 row {row.key}", list(keys.T3_COLUMN_KEYS), printed)


def _warn_blanks(result: Tables, where: str, columns: list[str], printed: list[Number | None]) -> None:
    """A blank cell in a row that prints other numbers is worth a warning (null, never 0)."""
    if any(v is not None for v in printed):
        blank = [c for i, c in enumerate(columns) if i >= len(printed) or printed[i] is None]
        if blank:
            result.warnings.append(f"{where}: blank {', '.join(blank)}")


def _map_t4(result: Tables, t4_row: Row | None) -> None:
    if t4_row is None:
        result.warnings.append(f"table 4: no row of {len(T4_KEYS)} values")
    else:
        result.found.add(4)
    for i, key in enumerate(T4_KEYS):
        result.values[key] = t4_row.values[i] if t4_row is not None else None


def template_without_numbers(text: str) -> Tables | None:
    """A report that prints the table labels and no numbers at all (a published blank
    template, or a PDF whose text keeps no cells): every cell null, nothing guessed."""
    flat = labels.normalise(text)
    printed = {key for key, pattern in keys.T3_ROW_PATTERNS if pattern.search(flat)}
    if len(printed) < labels.TEMPLATE_MIN_T3_LABELS:
        return None
    scores = {fmt: len(pattern.findall(flat)) for fmt, pattern in labels.T2_FORMAT_MARKERS.items()}
    result = Tables(table_format="2019" if scores["2019"] > scores["2021"] else "2021", found={3})
    layout = keys.T2_2021 if result.table_format == "2021" else keys.T2_2019
    result.values = {f"t2.{row.key}.{column.key}": None for row, columns in layout for column in columns}
    _map_t3(result, {key: Row(key) for key in printed})
    _map_t4(result, None)
    result.warnings = ["the tables print their labels but no numbers: every cell is null"]
    return result
