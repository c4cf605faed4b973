"""Ruled tables from ruling lines and positioned glyphs: the grid a PDF draws, cell by cell.

The ruling lines of a page (stroked lines and rectangle sides, as a PDF or a page image
gives them) are snapped and joined into edges; where a vertical and a horizontal edge
cross is a corner; the smallest rectangles whose four sides are drawn are the cells; cells
that share a corner form one table. A merged cell covers several columns of its row: the
row has ``None`` in the columns it covers (``pdf._merge_repeats`` drops them like a
colspan). This is pdfplumber's "lines" table finder with its default tolerances, kept on
its results so ruled PDF tables read exactly as they did through pdfplumber.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import NamedTuple, TypeVar

from parsers.words import Word

SNAP = 3.0  # points: parallel edges closer than this are one edge
JOIN = 3.0  # points: collinear edges with a gap smaller than this are one edge
MIN_EDGE = 3.0  # points: shorter joined edges are not table rules
MIN_RULE = 1.0  # points: shorter drawn segments (a thin rectangle's ends) are not rules
CROSSING = 3.0  # points: an edge ending this close to another still crosses it
GLYPH_GAP = 3.0  # points: glyphs further apart than this (or lines whose tops differ more) split

T = TypeVar("T")


class Rule(NamedTuple):
    """One drawn straight segment, horizontal (top == bottom) or vertical (x0 == x1); a
    named tuple, as ``Word`` is: a page draws hundreds."""

    x0: float
    top: float
    x1: float
    bottom: float


def _groups(values: Iterable[float], tolerance: float) -> dict[float, int]:
    """Each value's group: sorted distinct values chain into one group while each is within
    ``tolerance`` of the previous one (pdfplumber's ``cluster_objects``)."""
    group_of: dict[float, int] = {}
    group, previous = 0, None
    for value in sorted(set(values)):
        if previous is not None and value > previous + tolerance:
            group += 1
        group_of[value] = group
        previous = value
    return group_of


def _cluster(items: Sequence[T], key: Callable[[T], float], tolerance: float) -> list[list[T]]:
    """Items grouped by ``key`` (see ``_groups``), groups in key order, items in given order."""
    keys = list(map(key, items))
    group_of = _groups(keys, tolerance)
    groups: list[list[T]] = [[] for _ in range(len(set(group_of.values())))]
    for item, value in zip(items, keys):
        groups[group_of[value]].append(item)
    return groups


def join_glyphs(glyphs: Iterable[Word], gap: float = GLYPH_GAP) -> list[Word]:
    """Glyphs (in content order) → words, line by line, each line left to right: a word ends
    at a space, where the next glyph starts more than ``gap`` after it or goes back."""
    words: list[Word] = []
    for line in _cluster(list(glyphs), _top, gap):
        line.sort(key=_x0)
        current: list[Word] = []
        last = None
        for glyph in line:
            if glyph.text.isspace():
                _flush(current, words)
                continue
            if current and (glyph.x0 < last.x0 or glyph.x0 > last.x1 + gap or abs(glyph.top - last.top) > gap):
                _flush(current, words)
            current.append(glyph)
            last = glyph
        _flush(current, words)
    return words


_top = attrgetter("top")  # sort keys called once per glyph: attrgetter runs in C
_x0 = attrgetter("x0")


def _flush(glyphs: list[Word], words: list[Word]) -> None:
    if len(glyphs) == 1:
        words.append(glyphs[0])  # a one-glyph word is that glyph
    elif glyphs:
        top, bottom, x1 = glyphs[0].top, glyphs[0].bottom, glyphs[0].x1
        for glyph in glyphs:
            top, bottom, x1 = min(top, glyph.top), max(bottom, glyph.bottom), max(x1, glyph.x1)
        words.append(Word("".join(g.text for g in glyphs), glyphs[0].x0, top, x1, bottom, glyphs[0].page,
                          glyphs[0].confidence))  # sorted by x0: the first glyph starts the word
    glyphs.clear()


def text_of(words: list[Word], gap: float = GLYPH_GAP) -> str:
    """Words (as ``join_glyphs`` orders them) → text: words of a line joined by a space,
    a new line wherever the next word's top is in another group of tops."""
    group_of = _groups([w.top for w in words], gap)
    parts: list[str] = []
    previous = None
    for word in words:
        group = group_of[word.top]
        if previous is not None:
            parts.append(" " if group == previous else "\n")
        parts.append(word.text)
        previous = group
    return "".join(parts)


def tables(glyphs: list[Word], rules: Iterable[Rule], check: Callable[[], None] = lambda: None,
           ) -> list[list[list[str | None]]]:
    """Every ruled table of one page, top to bottom, as rows of cell texts (``None`` where a
    merged cell covers the column). ``check`` is called every so often inside the loops
    whose cost grows with the square of the rules (a time cap can raise from it)."""
    cells = _cells(_edges(rules), check)
    centres = [((g.x0 + g.x1) / 2, (g.top + g.bottom) / 2, g) for g in glyphs]
    return [_rows(table, centres, check) for table in _tables(cells, check)]


@dataclass(slots=True)
class _Edge:
    at: float  # y of a horizontal edge, x of a vertical one
    start: float
    end: float


def _edges(rules: Iterable[Rule]) -> tuple[list[_Edge], list[_Edge]]:
    """(horizontal, vertical) edges: snapped to their neighbours' mean, joined, long enough."""
    horizontal, vertical = [], []
    for x0, top, x1, bottom in rules:
        if top == bottom:
            if x1 - x0 >= MIN_RULE:
                horizontal.append((top, x0, x1))
        elif bottom - top >= MIN_RULE:
            vertical.append((x0, top, bottom))
    return _merged(horizontal), _merged(vertical)


def _merged(edges: list[tuple[float, float, float]]) -> list[_Edge]:
    """Edges given as (at, start, end): each moved to the mean ``at`` of its group of parallel
    edges (see ``_groups``), collinear ones joined across gaps up to ``JOIN``, short ones
    dropped. Tuples, not ``_Edge``s, until the few joined edges are left: a page draws hundreds."""
    group_of = _groups([at for at, _, _ in edges], SNAP)
    members: list[list[float]] = [[] for _ in range(len(set(group_of.values())))]
    for at, _, _ in edges:
        members[group_of[at]].append(at)
    means = [sum(group) / len(group) for group in members]
    snapped = sorted((means[group_of[at]], start, end) for at, start, end in edges)
    joined: list[_Edge] = []
    for at, line in itertools.groupby(snapped, key=itemgetter(0)):
        run: list[_Edge] = []
        for _, start, end in line:
            if run and start <= run[-1].end + JOIN:
                run[-1].end = max(run[-1].end, end)
            else:
                run.append(_Edge(at, start, end))
        joined.extend(run)
    return [e for e in joined if e.end - e.start >= MIN_EDGE]


Point = tuple[float, float]
Cell = tuple[float, float, float, float]  # x0, top, x1, bottom


def _cells(edges: tuple[list[_Edge], list[_Edge]], check: Callable[[], None]) -> list[Cell]:
    horizontal, vertical = edges
    # each crossing point → the ids of the vertical and of the horizontal edges through it
    crossings: dict[Point, tuple[set[int], set[int]]] = {}
    across = sorted(enumerate(horizontal), key=lambda p: (p[1].at, p[1].start))
    for v_id, v in sorted(enumerate(vertical), key=lambda p: (p[1].at, p[1].start)):
        check()
        for h_id, h in across:
            if (v.start <= h.at + CROSSING and v.end >= h.at - CROSSING
                    and h.start - CROSSING <= v.at <= h.end + CROSSING):
                ids = crossings.setdefault((v.at, h.at), (set(), set()))
                ids[0].add(v_id)
                ids[1].add(h_id)
    points = sorted(crossings)
    below: dict[float, list[Point]] = {}
    right: dict[float, list[Point]] = {}
    place: dict[Point, tuple[int, int]] = {}  # a point's index in its column and in its row
    for point in points:  # sorted: each column top to bottom, each row left to right
        column, row = below.setdefault(point[0], []), right.setdefault(point[1], [])
        place[point] = (len(column), len(row))
        column.append(point)
        row.append(point)

    def vertical_between(a: Point, b: Point) -> bool:
        return bool(crossings[a][0] & crossings[b][0])

    def horizontal_between(a: Point, b: Point) -> bool:
        return bool(crossings[a][1] & crossings[b][1])

    cells: list[Cell] = []
    for point in points:
        check()
        cell = None
        in_column, in_row = place[point]
        for under in below[point[0]][in_column + 1:]:
            if not vertical_between(point, under):
                continue
            for beside in right[point[1]][in_row + 1:]:
                if not horizontal_between(point, beside):
                    continue
                corner = (beside[0], under[1])
                if corner in crossings and vertical_between(corner, beside) and horizontal_between(corner, under):
                    cell = (point[0], point[1], corner[0], corner[1])
                    break
            if cell:
                break
        if cell:
            cells.append(cell)
    return cells


def _tables(cells: list[Cell], check: Callable[[], None]) -> list[list[Cell]]:
    """Cells grouped into tables: a cell sharing a corner with a table belongs to it."""
    at_corner: dict[Point, list[int]] = {}
    for index, cell in enumerate(cells):
        for corner in _corners(cell):
            at_corner.setdefault(corner, []).append(index)
    seen: set[int] = set()
    found: list[list[Cell]] = []
    for first in range(len(cells)):
        if first in seen:
            continue
        check()
        seen.add(first)
        members, queue = [first], [first]
        while queue:
            for corner in _corners(cells[queue.pop()]):
                for other in at_corner[corner]:
                    if other not in seen:
                        seen.add(other)
                        members.append(other)
                        queue.append(other)
        found.append([cells[i] for i in sorted(members)])
    found.sort(key=lambda t: min((c[1], c[0]) for c in t))
    return [t for t in found if len(t) > 1]


def _corners(cell: Cell) -> tuple[Point, Point, Point, Point]:
    x0, top, x1, bottom = cell
    return (x0, top), (x0, bottom), (x1, top), (x1, bottom)


def _rows(table: list[Cell], centres: list[tuple[float, float, Word]], check: Callable[[], None],
          ) -> list[list[str | None]]:
    """The table's rows; a cell's text is the glyphs whose centre is inside it."""
    xs = sorted({c[0] for c in table} | {c[2] for c in table})
    ys = sorted({c[1] for c in table} | {c[3] for c in table})
    column_of = {x: i for i, x in enumerate(xs)}
    row_of = {y: j for j, y in enumerate(ys)}
    slots: dict[tuple[int, int], list[Cell]] = {}
    for cell in table:
        check()
        for i in range(column_of[cell[0]], column_of[cell[2]]):
            for j in range(row_of[cell[1]], row_of[cell[3]]):
                slots.setdefault((i, j), []).append(cell)
    inside: dict[Cell, list[Word]] = {}
    left, right, top, bottom = xs[0], xs[-1], ys[0], ys[-1]
    for x, y, glyph in centres:
        if not (left <= x < right and top <= y < bottom):
            continue
        for cell in slots.get((bisect_right(xs, x) - 1, bisect_right(ys, y) - 1), ()):
            inside.setdefault(cell, []).append(glyph)
    columns = sorted({c[0] for c in table})
    rows = []
    for _, row in itertools.groupby(sorted(table, key=lambda c: (c[1], c[0])), key=lambda c: c[1]):
        by_x = {cell[0]: cell for cell in row}
        rows.append([None if cell is None else _cell_text(inside.get(cell, []))
                     for cell in (by_x.get(x) for x in columns)])
    return rows


def _cell_text(glyphs: list[Word]) -> str:
    """``text_of(join_glyphs(glyphs))``, without the line grouping for a one-line cell (most are)."""
    tops = [g.top for g in glyphs]
    if not tops or max(tops) - min(tops) > GLYPH_GAP:
        return text_of(join_glyphs(glyphs))
    words: list[str] = []
    current: list[str] = []
    last = None
    for glyph in sorted(glyphs, key=_x0):
        if glyph.text.isspace():
            if current:
                words.append("".join(current))
            current = []
            continue
        if current and (glyph.x0 < last.x0 or glyph.x0 > last.x1 + GLYPH_GAP):
            words.append("".join(current))
            current = []
        current.append(glyph.text)
        last = glyph
    if current:
        words.append("".join(current))
    return " ".join(words)
