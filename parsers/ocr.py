"""Scanned pages to positioned words (``parsers.words.Word``) with Tesseract.

Engine: Debian's ``tesseract-ocr`` with ``tesseract-ocr-chi-sim``, run as a subprocess on
one page at a time (the models ship in the system package; nothing is downloaded).
Chosen over RapidOCR (PP-OCRv4 in onnxruntime) by measurement on the replica's scans:
on a ruled 150 dpi table page both read the digits of a cleaned page, but RapidOCR's
recogniser took 15–40 s a page on this project's 2 shared cores against 4–6 s for
Tesseract (figures in the ocr branch's report and ``benchmarks/parse.py --ocr``).

A page is prepared the way a table scan needs: grey, deskewed (projection profile),
ruling lines removed (they make Tesseract read a cell's digit as part of a line), and
brought to ``READ_DPI`` (Tesseract's LSTM reads 6-point table digits only when they are
about 30 px tall). Boxes are returned in PDF points, so ``positioned_lines`` groups
lines with the same tolerance as a text layer.

A ruled table (every table of the official template is) is read on its drawn grid: the
ruling lines found in the image are ``parsers.ruled.Rule``s and the words go through the
PDF reader's ruled-table finder, cell by cell. Before that each cell is settled by what is
printed inside it: no ink, blank; a value cell whose first read is not a sure number is
read again alone, as digits (all of a page's such cells in one Tesseract call; where reads
disagree, the cell alone twice more), and the number most reads agree on is its value, at
a confidence combining theirs; disagreeing reads give a value of confidence 0, which the
parser leaves null with a warning. A page without ruling lines is read by position.
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from parsers import ruled
from parsers.cells import Line, parse_value
from parsers.deadline import Deadline
from parsers.keys import T3_ROWS
from parsers.ruled import Rule
from parsers.tables import Tables
from parsers.words import Word, positioned_lines

ENGINE = "tesseract"
LANGUAGE = "chi_sim"
DIGITS_LANGUAGE = "eng"  # a cell's digits read alone: the Latin model reads them better than chi_sim
READ_DPI = 300
PAGE_TIMEOUT_SECONDS = 30.0
# A scan's time cap grows by this per page: OCR costs 10–35 s a page on 2 shared cores
# (the page read, then its unsure cells read again), where a text-layer parse is capped at 20 s.
EXTRA_SECONDS_PER_PAGE = 60.0
MIN_SCAN_DPI = 100  # coarser scans print table digits a few pixels tall: OCR would guess them
MAX_PAGES = 12  # a disclosure report has 3-8 pages; more is not one report
# Below this Tesseract confidence a value is not trusted: null and a warning (measured on
# the replica's scans: misread digits scored under it, see benchmarks/parse.py --ocr)
MIN_VALUE_CONFIDENCE = 0.6
# An amount (万元) is held to more: a lost decimal point multiplies it by ten and no
# arithmetic check involves amounts (129.0 was read "1290" at 0.905).
MIN_AMOUNT_CONFIDENCE = 0.95
_SHORT_TOKEN = 2  # characters
_SENTINEL = 900_000  # numbers no report prints, standing for "the value of word i"
_A4_WIDTH_INCHES = 8.27
# inches: a dark run this long, horizontal or vertical, is a ruling line; a 16 pt title's
# longest stroke is about 0.22 in
_LINE_RUN = 0.3
_SKEW_DEGREES = 2.0  # scans are deskewed within ±this
_JOIN_GAP = 0.6  # of the line height: tokens closer than this are one word (as a text layer's words)
_DRAWN = 0.8  # of a slot's side: a ruling line drawn along this much of it separates two cells
_MAX_CELL_SLOTS = 40  # a region of more slots is the page around the tables, not a merged cell
_MAX_SLOTS = 6000  # a report page's tables cut it into some 600 slots
# dark pixels at READ_DPI: fewer inside a cell is speckle, not a digit (a faint 6-point 0 has 90)
_MIN_INK = 30
_CELL_MARGIN = 4  # pixels at READ_DPI kept off a cell's sides (a line's blurred edge)
_DIGITS = "0123456789.-"
_MIN_LABEL_CHARS = 4  # shorter cell texts are not matched to a row label
_LABEL_LIKENESS = 0.6  # difflib ratio: a misread label keeps this much of the template's
_LABEL_MARGIN = 0.3  # ... and is this much closer to it than to any other (non-labels score 0.4 at most)
# A number read at this confidence or more is taken as read; under it, in a ruled value
# cell, it is read again alone
SURE_CONFIDENCE = 0.9


class OcrUnavailable(Exception):
    """Tesseract or its Chinese model is not installed."""


class CoarseScan(Exception):
    """The scan's resolution is below ``MIN_SCAN_DPI``; the message says it in one line."""

    def __init__(self, dpi: float) -> None:
        super().__init__(f"scanned at {dpi:.0f} dpi, below the {MIN_SCAN_DPI} dpi OCR reads reliably")


@dataclass
class Scan:
    words: list[Word]  # in points, page by page
    pages: int
    text: str  # the words line by line, for metadata and full-text search
    rules: dict[int, list[Rule]]  # page -> the ruling lines found on it, in points


@dataclass
class Grid:
    """A page's ruled table grid, in pixels of the deskewed page at its scan resolution."""

    rules: list[Rule]
    cells: list[tuple[int, int, int, int]]  # x0, top, x1, bottom of each ruled cell (lines excluded)


def available() -> str | None:
    """None when OCR can run, else what is missing (one line)."""
    if shutil.which("tesseract") is None:
        return "Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
    for language, package in ((LANGUAGE, "tesseract-ocr-chi-sim"), (DIGITS_LANGUAGE, "tesseract-ocr-eng")):
        if language not in _languages():
            return f"Tesseract's {language} model is not installed (apt-get install {package})"
    return None


@functools.cache
def _languages() -> frozenset[str]:
    done = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
    return frozenset(line.strip() for line in done.stdout.splitlines()[1:])


@functools.cache
def engine_version() -> str:
    """E.g. ``5.3.0``: recorded with every OCR'd document."""
    done = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, timeout=30)
    first = (done.stdout or done.stderr).split("\n", 1)[0]
    return first.split()[-1] if first else "unknown"


def pdf_pages(body: bytes, deadline: Deadline) -> list[tuple[Image.Image, float]]:
    """Each page of a PDF as an image rendered at ``READ_DPI``. Raises CoarseScan when a
    page's scan (its largest picture's pixels over the page's width) is too coarse."""
    document = pypdfium2.PdfDocument(body)
    try:
        out = []
        for index in range(min(len(document), MAX_PAGES)):
            deadline.check()
            page = document[index]
            width_inches = page.get_size()[0] / 72
            pictures = [image.get_px_size()[0] for image in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
            scan_dpi = max(pictures, default=0) / width_inches if width_inches else 0.0
            if scan_dpi < MIN_SCAN_DPI:
                raise CoarseScan(scan_dpi)
            out.append((page.render(scale=READ_DPI / 72).to_pil().convert("L"), float(READ_DPI)))
        return out
    finally:
        document.close()


def image_pages(body: bytes) -> list[tuple[Image.Image, float]]:
    """Each frame of an image file (a TIFF may hold every page) and its resolution: the
    file's own when it says one, else the width of an A4 page. Raises CoarseScan when too
    coarse."""
    picture = Image.open(io.BytesIO(body))
    out = []
    for index in range(min(getattr(picture, "n_frames", 1), MAX_PAGES)):
        picture.seek(index)
        frame = ImageOps.exif_transpose(picture).convert("L")
        said = picture.info.get("dpi", (0, 0))[0]
        dpi = float(said) if said and said > 50 else frame.width / _A4_WIDTH_INCHES
        if dpi < MIN_SCAN_DPI:
            raise CoarseScan(dpi)
        out.append((frame, dpi))
    return out


def read(pages: list[tuple[Image.Image, float]], deadline: Deadline) -> Scan:
    """The words of every page, in points (1/72 inch), with Tesseract's confidence."""
    missing = available()
    if missing:
        raise OcrUnavailable(missing)
    deadline.until += EXTRA_SECONDS_PER_PAGE * len(pages)
    words: list[Word] = []
    text_lines: list[str] = []
    rules: dict[int, list[Rule]] = {}
    for number, (picture, dpi) in enumerate(pages, start=1):
        deadline.check()
        prepared, scale, grid = prepare(picture, dpi)
        to_points = 72.0 / (dpi * scale)
        page_words = _tesseract(prepared, number, to_points)
        if grid.cells:
            deadline.check()
            page_words = _read_cells(prepared, page_words, grid, scale, number, to_points)
        rules[number] = [Rule(*(v * 72.0 / dpi for v in rule)) for rule in grid.rules]
        words.extend(page_words)
        text_lines.extend(_text_lines(page_words))
    return Scan(words, len(pages), "\n".join(text_lines), rules)


def table_lines(words: list[Word], rules: dict[int, list[Rule]]) -> list[Line]:
    """Every page's tables as cells: a ruled table cell by cell, as a PDF's drawn grid is
    read (``parsers.ruled``); a page without ruling lines by the words' positions."""
    pages: dict[int, list[Word]] = {}
    for word in words:
        pages.setdefault(word.page, []).append(word)
    out: list[Line] = []
    for number in sorted(pages):
        found = ruled.tables(pages[number], rules.get(number, ()))
        if not found:
            out.extend(positioned_lines(pages[number]))
        for table in found:
            for row in table:
                cells = [_known_label((cell or "").replace("\n", "")) for cell in row if cell is not None]
                if any(cells):
                    out.append(Line(cells, exact=True))
    return out


def _known_label(text: str) -> str:
    """A table 3 row label as the template prints it when OCR misread a character or two of it
    (予以公开 as 闻以公开): the one template label it is close to, else the text as read."""
    if len(text) < _MIN_LABEL_CHARS or parse_value(text)[1] is not None or any(
            row.printed is not None and row.printed.search(text) for row in T3_ROWS):
        return text
    scores = sorted((difflib.SequenceMatcher(None, text, row.label).ratio(), row.label) for row in T3_ROWS)
    (second, _), (best, label) = scores[-2], scores[-1]
    return label if best >= _LABEL_LIKENESS and best - second >= _LABEL_MARGIN else text


def positioned(words: list[Word]) -> list[Line]:
    """Every page's printed lines as cells placed by position: the read of a page whose grid
    was not found as a table."""
    pages: dict[int, list[Word]] = {}
    for word in words:
        pages.setdefault(word.page, []).append(word)
    return [line for number in sorted(pages) for line in positioned_lines(pages[number])]


def unsure_values(words: list[Word]) -> set[int]:
    """Indexes of the words that may be a misread value, read below ``MIN_VALUE_CONFIDENCE``:
    numbers, and one- or two-character tokens (a faint 4 comes out as 和 or -)."""
    return {i for i, w in enumerate(words) if w.confidence is not None and w.confidence < MIN_VALUE_CONFIDENCE
            and (parse_value(w.text)[1] is not None or len(w.text) <= _SHORT_TOKEN)}


def unsure_warnings(words: list[Word], indexes: set[int]) -> list[str]:
    """One warning naming the words left blank as unsure, with their page and confidence."""
    if not indexes:
        return []
    named = ", ".join(f"{words[i].page}: {words[i].text!r} {words[i].confidence:.2f}" for i in sorted(indexes))
    return [f"OCR left {len(indexes)} unsure word(s) blank (page: text confidence): {named}"]


def without(words: list[Word], indexes: set[int]) -> list[Word]:
    """The words with those printed as a placeholder: the cell keeps its column (a faint 4
    read as 和 is still a cell), the value is null."""
    return [w._replace(text="/") if i in indexes else w for i, w in enumerate(words)]


def numbered(words: list[Word], unsure: set[int]) -> list[Word]:
    """The words as ``without(words, unsure)`` prints them, each other number replaced by a
    sentinel naming its word: read as a table, the values say which word each key came
    from (blanks fall where they fall in the real read, so every placement agrees)."""
    return [w._replace(text="/") if i in unsure else
            w._replace(text=str(_SENTINEL + i)) if parse_value(w.text)[1] is not None else w
            for i, w in enumerate(words)]


def value_origins(words: list[Word], tables: Tables) -> dict[str, int]:
    """Key -> index of the word its value was read from, from a table read of ``numbered``."""
    return {key: int(value) - _SENTINEL for key, value in tables.values.items()
            if isinstance(value, int) and _SENTINEL <= value < _SENTINEL + len(words)}


def prepare(picture: Image.Image, dpi: float) -> tuple[Image.Image, float, Grid]:
    """The page grey, upright, without ruling lines, at ``READ_DPI``; the scale applied; and
    the table grid the ruling lines draw."""
    grey = np.asarray(picture.convert("L"), dtype=np.uint8)
    dark = grey < _dark_threshold(grey)
    angle = _skew(dark)
    if angle:
        picture = picture.convert("L").rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        grey = np.asarray(picture, dtype=np.uint8)
        dark = grey < _dark_threshold(grey)
    run = max(8, int(_LINE_RUN * dpi))
    across, down = _runs(dark, run, axis=1), _runs(dark, run, axis=0)
    lines = _grow(across | down, 1 + int(dpi / 150))
    clean = grey.copy()
    clean[lines] = 255
    grid = _grid(across, down)
    scale = max(1.0, READ_DPI / dpi)
    page = Image.fromarray(clean)
    if scale > 1.0:
        page = page.resize((round(page.width * scale), round(page.height * scale)), Image.BICUBIC)
    return page, scale, grid


def _dark_threshold(grey: np.ndarray) -> int:
    """Between paper and ink: the midpoint of the page's light and dark ends."""
    low, high = np.percentile(grey, (1, 90))
    return int((int(low) + int(high)) // 2)


def _skew(dark: np.ndarray) -> float:
    """The rotation that makes printed lines level: the angle whose row profile is sharpest."""
    small = Image.fromarray((dark * 255).astype(np.uint8))
    factor = max(1, small.width // 800)
    small = small.resize((small.width // factor, small.height // factor))
    best, best_score = 0.0, -1.0
    for step in range(-int(_SKEW_DEGREES * 10), int(_SKEW_DEGREES * 10) + 1, 2):
        angle = step / 10
        rows = np.asarray(small.rotate(angle, resample=Image.NEAREST), dtype=np.float64).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score:
            best, best_score = angle, score
    return best


def _runs(dark: np.ndarray, length: int, axis: int) -> np.ndarray:
    """Pixels that lie on a straight dark run of at least ``length`` along ``axis``."""
    d = (dark.T if axis == 0 else dark).astype(np.int32)
    width = d.shape[1]
    if width < length:
        return np.zeros_like(dark, dtype=bool)
    zeros = np.zeros((d.shape[0], 1), np.int32)
    dark_before = np.concatenate([zeros, np.cumsum(d, axis=1)], axis=1)
    full = (dark_before[:, length:] - dark_before[:, :-length]) == length  # window [i, i + length) all dark
    full_before = np.concatenate([zeros, np.cumsum(full, axis=1)], axis=1)
    j = np.arange(width)
    # pixel j is on a run when a full window starts in [j - length + 1, j]
    covered = (full_before[:, np.minimum(j + 1, full.shape[1])] - full_before[:, np.maximum(j - length + 1, 0)]) > 0
    return covered.T if axis == 0 else covered


def _grow(mask: np.ndarray, pixels: int) -> np.ndarray:
    """The mask widened by ``pixels`` on every side (a line's anti-aliased edge)."""
    out = mask.copy()
    for shift in range(1, pixels + 1):
        out[shift:, :] |= mask[:-shift, :]
        out[:-shift, :] |= mask[shift:, :]
        out[:, shift:] |= mask[:, :-shift]
        out[:, :-shift] |= mask[:, shift:]
    return out


def _tesseract(page: Image.Image, number: int, to_points: float) -> list[Word]:
    buffer = io.BytesIO()
    page.save(buffer, "PNG")
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANGUAGE, "--psm", "6", "tsv"],
                          input=buffer.getvalue(), capture_output=True, timeout=PAGE_TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise RuntimeError(f"tesseract failed on page {number}: {done.stderr.decode('utf-8', 'replace')[-200:]}")
    rows = csv.DictReader(io.StringIO(done.stdout.decode("utf-8", "replace")), delimiter="\t",
                          quoting=csv.QUOTE_NONE)
    tokens: dict[tuple[str, str, str], list[dict]] = {}
    for row in rows:
        if row.get("level") == "5" and (row.get("text") or "").strip():
            tokens.setdefault((row["block_num"], row["par_num"], row["line_num"]), []).append(row)
    words = []
    for line in tokens.values():
        words.extend(_join(line, number, to_points))
    return words


def _join(tokens: list[dict], number: int, to_points: float) -> list[Word]:
    """Tesseract's tokens of one line as a text layer's words: Chinese prints no spaces, so
    characters closer than a fraction of the line height belong to one word."""
    tokens = sorted(tokens, key=lambda t: int(t["left"]))
    height = max(int(t["height"]) for t in tokens)
    groups: list[list[dict]] = []
    for token in tokens:
        if groups and int(token["left"]) - _right(groups[-1][-1]) <= _JOIN_GAP * height:
            groups[-1].append(token)
        else:
            groups.append([token])
    words = []
    for group in groups:
        text = _corrected("".join(t["text"].strip() for t in group))
        x0 = min(int(t["left"]) for t in group)
        top = min(int(t["top"]) for t in group)
        x1 = max(_right(t) for t in group)
        bottom = max(int(t["top"]) + int(t["height"]) for t in group)
        confidence = min(max(float(t["conf"]), 0.0) for t in group) / 100
        words.append(Word(text, x0 * to_points, top * to_points, x1 * to_points, bottom * to_points,
                          number, round(confidence, 3)))
    return words


# Misreads of the reports' fixed wording that Tesseract's chi_sim model makes (予 as 子):
# the row labels are matched by their words
_CONFUSIONS = (("子以", "予以"), ("不子", "不予"))


def _corrected(text: str) -> str:
    for wrong, right in _CONFUSIONS:
        text = text.replace(wrong, right)
    return text


def _right(token: dict) -> int:
    return int(token["left"]) + int(token["width"])


def _text_lines(words: list[Word]) -> list[str]:
    """Words of one page as printed lines (tops within half a line), left to right."""
    lines: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        if lines and word.top - lines[-1][0].top < (word.bottom - word.top) / 2:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [" ".join(w.text for w in sorted(line, key=lambda w: w.x0)) for line in lines]


def _bands(marked: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of consecutive True entries: one ruling line's thickness."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], marked.astype(np.int8), [0]])))
    return list(zip(edges[::2].tolist(), edges[1::2].tolist()))


def _grid(across: np.ndarray, down: np.ndarray) -> Grid:
    """The ruling lines as rules, and the cells they enclose.

    Every horizontal line's rows and every vertical line's columns cut the page into slots;
    neighbouring slots are one cell where the line between them is not drawn (a merged
    cell); a group of slots is a cell when every side around it is drawn."""
    rows, columns = _bands(across.any(axis=1)), _bands(down.any(axis=0))
    rules: list[Rule] = []
    for start, end in rows:
        for x0, x1 in _bands(across[start:end].any(axis=0)):
            rules.append(Rule(float(x0), (start + end) / 2, float(x1), (start + end) / 2))
    for start, end in columns:
        for y0, y1 in _bands(down[:, start:end].any(axis=1)):
            rules.append(Rule((start + end) / 2, float(y0), (start + end) / 2, float(y1)))
    if len(rows) < 2 or len(columns) < 2 or len(rows) * len(columns) > _MAX_SLOTS:
        return Grid(rules, [])  # no grid, or a picture's texture rather than a table's

    def drawn_across(i: int, j: int) -> bool:  # the horizontal line rows[i] over slot column j
        (y0, y1), x0, x1 = rows[i], columns[j][1], columns[j + 1][0]
        return x1 <= x0 or across[y0:y1, x0:x1].any(axis=0).mean() > _DRAWN

    def drawn_down(i: int, j: int) -> bool:  # the vertical line columns[j] beside slot row i
        (x0, x1), y0, y1 = columns[j], rows[i][1], rows[i + 1][0]
        return y1 <= y0 or down[y0:y1, x0:x1].any(axis=1).mean() > _DRAWN

    height, width = len(rows) - 1, len(columns) - 1
    parent = list(range(height * width))

    def root(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    closed = {}  # slot -> (top, bottom, left, right drawn)
    for i in range(height):
        for j in range(width):
            closed[i, j] = (drawn_across(i, j), drawn_across(i + 1, j), drawn_down(i, j), drawn_down(i, j + 1))
            if i and not closed[i, j][0]:
                parent[root(i * width + j)] = root((i - 1) * width + j)
            if j and not closed[i, j][2]:
                parent[root(i * width + j)] = root(i * width + j - 1)
    groups: dict[int, list[tuple[int, int]]] = {}
    for (i, j) in closed:
        groups.setdefault(root(i * width + j), []).append((i, j))
    cells = []
    for slots in groups.values():
        members = set(slots)
        outside_drawn = all(
            side for i, j in slots for side, neighbour in zip(closed[i, j], ((i - 1, j), (i + 1, j), (i, j - 1), (i, j + 1)))
            if neighbour not in members) if len(slots) <= _MAX_CELL_SLOTS else False
        if outside_drawn:
            top, bottom = min(i for i, _ in slots), max(i for i, _ in slots)
            left, right = min(j for _, j in slots), max(j for _, j in slots)
            cells.append((columns[left][1], rows[top][1], columns[right + 1][0], rows[bottom + 1][0]))
    return Grid(rules, cells)


def _read_cells(page: Image.Image, words: list[Word], grid: Grid, scale: float, number: int,
                to_points: float) -> list[Word]:
    """The page's words with each ruled cell settled by what is printed inside it.

    A cell with no ink is blank whatever was read into it; a value cell (in a column of
    numbers) whose first read is not a sure number is read again alone, as digits:
    Tesseract reads an isolated number better than a page of them (see ``_vote``). A label
    cell read unsurely is read again alone too (a two-line label beside a column of digits
    is where the page read goes astray), and kept when read more surely."""
    grey = np.asarray(page, dtype=np.uint8)
    threshold = _dark_threshold(grey)
    ink = grey < threshold
    least = _MIN_INK * (72.0 / to_points / READ_DPI) ** 2  # at this page's resolution
    margin = max(2, round(_CELL_MARGIN * 72.0 / to_points / READ_DPI))
    placed: dict[int, list[int]] = {}  # cell index -> indexes of the words centred inside
    boxes = [tuple(round(v * scale) for v in cell) for cell in grid.cells]
    for index, word in enumerate(words):
        x, y = (word.x0 + word.x1) / 2 / to_points, (word.top + word.bottom) / 2 / to_points
        # a word centred on a ruling line (which the cells leave out) is in the cell beside it
        for pad in (0, 2 * margin):
            cell = next((c for c, (x0, top, x1, bottom) in enumerate(boxes)
                         if x0 - pad <= x < x1 + pad and top - pad <= y < bottom + pad), None)
            if cell is not None:
                placed.setdefault(cell, []).append(index)
                break
    numeric_columns = _numeric_columns(boxes, placed, words)
    dropped: set[int] = set()
    again: list[int] = []
    for cell, (x0, top, x1, bottom) in enumerate(boxes):
        inside = placed.get(cell, [])
        if ink[top + margin:bottom - margin, x0 + margin:x1 - margin].sum() < least:
            dropped.update(inside)  # nothing printed: blank, never a number
        elif ((x0, x1) in numeric_columns and _may_be_number([words[i] for i in inside])
              or _misread_digit([words[i] for i in inside])):
            again.append(cell)
    labels = [cell for cell, inside in placed.items() if boxes[cell][:3:2] not in numeric_columns
              and not set(inside) & dropped
              and min(words[i].confidence or 0.0 for i in inside) < MIN_VALUE_CONFIDENCE
              and parse_value("".join(words[i].text for i in inside))[1] is None]
    settled: dict[int, tuple[str, float]] = {}  # cell -> its text and confidence, read again
    for cell, (text, confidence) in zip(labels, _read_alone(page, [boxes[c] for c in labels], margin, LANGUAGE)):
        inside = [words[i] for i in placed[cell]]
        # a label read again is a label: a number there is not taken from the Chinese model
        if text and parse_value(text)[1] is None and confidence > sum(w.confidence or 0.0 for w in inside) / len(inside):
            settled[cell] = (_corrected(text), confidence)
    sheet = _read_alone(page, [boxes[c] for c in again], margin)
    reads: dict[int, list[tuple[str, float]]] = {}
    for cell, reading in zip(again, sheet):
        inside = [words[i] for i in placed.get(cell, [])]
        first = ("".join(w.text for w in inside), min((w.confidence or 0.0 for w in inside), default=0.0))
        reads[cell] = [first, reading] if inside else [reading]
    # where a number was read but the reads differ, two more: the cell alone as one line, as
    # scanned and in black and white (each reads digits the other misses: a faint 4, a narrow 11)
    for cell, candidates in reads.items():
        numbers = [(t, c) for t, c in candidates if parse_value(t)[1] is not None]
        if numbers and (len(numbers) < 2 or numbers[0][0] != numbers[1][0]):
            candidates.append(_read_line(page, boxes[cell], margin))
            candidates.append(_read_line(page, boxes[cell], margin, threshold))
    for cell, candidates in reads.items():
        text, confidence = _vote(candidates)
        x0, top, x1, bottom = boxes[cell]
        if parse_value(text)[1] is None or (x0, x1) not in numeric_columns and (
                confidence < MIN_VALUE_CONFIDENCE or cell in settled):
            continue  # no number read (outside a column of numbers: none trusted, a label read first)
        settled[cell] = (text, confidence)
    added: list[Word] = []
    for cell, (text, confidence) in settled.items():
        x0, top, x1, bottom = boxes[cell]
        dropped.update(placed.get(cell, []))
        added.append(Word(text, x0 * to_points, top * to_points, x1 * to_points, bottom * to_points, number,
                          round(confidence, 3)))
    return [w for i, w in enumerate(words) if i not in dropped] + added


def _vote(reads: list[tuple[str, float]]) -> tuple[str, float]:
    """One cell's value from its reads (text, confidence). A number read by more reads than
    any other, and by two at least, makes it, at the confidence that all of those misread
    alike (unlikely); else (no two agree) the one sure number read; else the most confident
    number at confidence 0 (null, with a warning). No number read: the first read stands."""
    numbers = [(t, c) for t, c in reads if parse_value(t)[1] is not None]
    if not numbers:
        return reads[0]
    by_text: dict[str, list[float]] = {}
    for text, confidence in numbers:
        by_text.setdefault(text, []).append(confidence)
    ranked = sorted(by_text.items(), key=lambda item: -len(item[1]))
    best = max(numbers, key=lambda r: r[1])
    if len(ranked[0][1]) >= 2:
        if len(ranked) > 1 and len(ranked[1][1]) == len(ranked[0][1]):
            return best[0], 0.0  # as many reads say another number: unsure
        text, confidences = ranked[0]
        return text, 1 - float(np.prod([1 - c for c in confidences]))
    sure = [r for r in numbers if r[1] >= SURE_CONFIDENCE]
    return best if len(sure) == 1 else (best[0], 0.0)


def _numeric_columns(boxes: list[tuple[int, int, int, int]], placed: dict[int, list[int]],
                     words: list[Word]) -> set[tuple[int, int]]:
    """The (x0, x1) of the columns of one-column cells at least half of whose printed cells read as
    numbers (in table 2 every value row is under a row of column titles)."""
    numbers: dict[tuple[int, int], list[bool]] = {}
    for cell, (x0, _, x1, _) in enumerate(boxes):
        inside = placed.get(cell)
        if inside:
            text = "".join(words[i].text for i in inside)
            numbers.setdefault((x0, x1), []).append(parse_value(text)[1] is not None)
    return {column for column, read in numbers.items() if sum(read) * 2 >= len(read)}


def _misread_digit(words: list[Word]) -> bool:
    """A short unsure token where a number could be (a faint 4 read as 和, 11 as 全)."""
    return (len(words) == 1 and len(words[0].text) <= _SHORT_TOKEN and parse_value(words[0].text)[1] is None
            and (words[0].confidence or 0.0) < MIN_VALUE_CONFIDENCE)


def _may_be_number(words: list[Word]) -> bool:
    """Nothing read, or a number not read surely, or a short token: worth reading as digits
    (a column title is not)."""
    text = "".join(w.text for w in words)
    if parse_value(text)[1] is None:
        return len(text) <= _SHORT_TOKEN
    # an amount is held to more (a lost decimal point is a tenfold error no check sees)
    sure = MIN_AMOUNT_CONFIDENCE if "." in text else SURE_CONFIDENCE
    return len(words) > 1 or (words[0].confidence or 0.0) < sure


def _read_line(page: Image.Image, box: tuple[int, int, int, int], margin: int,
               threshold: int | None = None) -> tuple[str, float]:
    """One cell's digits read alone as a single line (``--psm 7``); in black and white when
    a ``threshold`` (grey level) is given."""
    x0, top, x1, bottom = box
    crop = page.crop((x0 + margin, top + margin, x1 - margin, bottom - margin))
    if threshold is not None:
        crop = crop.point(lambda v: 0 if v < threshold else 255)
    pad = (bottom - top) // 2
    sheet = Image.new("L", (crop.width + 2 * pad, crop.height + 2 * pad), 255)
    sheet.paste(crop, (pad, pad))
    tokens = _tokens(sheet, "7")
    return ("".join(t for _, _, _, t, _ in sorted(tokens, key=lambda t: t[1])),
            min((c for *_, c in tokens), default=0.0))


def _tokens(sheet: Image.Image, psm: str, language: str = DIGITS_LANGUAGE,
            ) -> list[tuple[tuple[int, int, int], int, float, str, float]]:
    """(Tesseract's line, left, middle y, text, confidence) of each token it reads on the
    image, digits only with the digits model."""
    buffer = io.BytesIO()
    sheet.save(buffer, "PNG")
    only = ["-c", f"tessedit_char_whitelist={_DIGITS}"] if language == DIGITS_LANGUAGE else []
    done = subprocess.run(["tesseract", "stdin", "stdout", "-l", language, "--psm", psm, *only, "tsv"],
                          input=buffer.getvalue(), capture_output=True, timeout=PAGE_TIMEOUT_SECONDS)
    if done.returncode != 0:
        return []
    return [((int(row["block_num"]), int(row["par_num"]), int(row["line_num"])), int(row["left"]),
             int(row["top"]) + int(row["height"]) / 2, row["text"].strip(),
             max(float(row["conf"]), 0.0) / 100)
            for row in csv.DictReader(io.StringIO(done.stdout.decode("utf-8", "replace")), delimiter="\t",
                                      quoting=csv.QUOTE_NONE)
            if row.get("level") == "5" and (row.get("text") or "").strip()]


def _read_alone(page: Image.Image, boxes: list[tuple[int, int, int, int]], margin: int,
                language: str = DIGITS_LANGUAGE) -> list[tuple[str, float]]:
    """Each box's text, read in one Tesseract call: the crops stacked one under the other
    with white between them; digits only unless ``language`` is the Chinese model. A box's
    text is its tokens line by line; its confidence the mean of theirs."""
    if not boxes:
        return []
    crops = [page.crop((x0 + margin, top + margin, x1 - margin, bottom - margin)) for x0, top, x1, bottom in boxes]
    gap = max(c.height for c in crops)
    sheet = Image.new("L", (max(c.width for c in crops) + 2 * gap, sum(c.height + gap for c in crops) + gap), 255)
    bands = []
    top = gap
    for crop in crops:
        sheet.paste(crop, (gap, top))
        bands.append((top - gap / 2, top + crop.height + gap / 2))
        top += crop.height + gap
    found: list[list[tuple[tuple[int, int, int], int, str, float]]] = [[] for _ in boxes]
    for line, left, middle, text, confidence in _tokens(sheet, "6", language):
        band = next((k for k, (a, b) in enumerate(bands) if a <= middle < b), None)
        if band is not None:
            found[band].append((line, left, text, confidence))
    if language == DIGITS_LANGUAGE:  # a number is as sure as its least sure digit
        return [("".join(t for *_, t, _ in sorted(tokens)), min((c for *_, c in tokens), default=0.0))
                for tokens in found]
    return [("".join(t for *_, t, _ in sorted(tokens)), sum(c for *_, c in tokens) / len(tokens) if tokens else 0.0)
            for tokens in found]
