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
"""

from __future__ import annotations

import csv
import functools
import io
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np
import pypdfium2
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from parsers.cells import Line, parse_value
from parsers.deadline import Deadline
from parsers.tables import Tables
from parsers.words import Word, positioned_lines

ENGINE = "tesseract"
LANGUAGE = "chi_sim"
READ_DPI = 300
PAGE_TIMEOUT_SECONDS = 30.0
# A scan's time cap grows by this per page: OCR costs 4–12 s a page on 2 shared cores,
# where the whole text-layer parse is capped at 20 s.
EXTRA_SECONDS_PER_PAGE = 30.0
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


def available() -> str | None:
    """None when OCR can run, else what is missing (one line)."""
    if shutil.which("tesseract") is None:
        return "Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-chi-sim)"
    if LANGUAGE not in _languages():
        return f"Tesseract's {LANGUAGE} model is not installed (apt-get install tesseract-ocr-chi-sim)"
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
    for number, (picture, dpi) in enumerate(pages, start=1):
        deadline.check()
        prepared, scale = prepare(picture, dpi)
        page_words = _tesseract(prepared, number, 72.0 / (dpi * scale))
        words.extend(page_words)
        text_lines.extend(_text_lines(page_words))
    return Scan(words, len(pages), "\n".join(text_lines))


def table_lines(words: list[Word]) -> list[Line]:
    """Every page's printed lines as cells (``positioned_lines`` reads one page at a time)."""
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


def prepare(picture: Image.Image, dpi: float) -> tuple[Image.Image, float]:
    """The page grey, upright, without ruling lines, at ``READ_DPI``; and the scale applied."""
    grey = np.asarray(picture.convert("L"), dtype=np.uint8)
    dark = grey < _dark_threshold(grey)
    angle = _skew(dark)
    if angle:
        picture = picture.convert("L").rotate(angle, resample=Image.BICUBIC, fillcolor=255)
        grey = np.asarray(picture, dtype=np.uint8)
        dark = grey < _dark_threshold(grey)
    run = max(8, int(_LINE_RUN * dpi))
    lines = _runs(dark, run, axis=1) | _runs(dark, run, axis=0)
    lines = _grow(lines, 1 + int(dpi / 150))
    clean = grey.copy()
    clean[lines] = 255
    scale = max(1.0, READ_DPI / dpi)
    page = Image.fromarray(clean)
    if scale > 1.0:
        page = page.resize((round(page.width * scale), round(page.height * scale)), Image.BICUBIC)
    return page, scale


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
        text = "".join(t["text"].strip() for t in group)
        x0 = min(int(t["left"]) for t in group)
        top = min(int(t["top"]) for t in group)
        x1 = max(_right(t) for t in group)
        bottom = max(int(t["top"]) + int(t["height"]) for t in group)
        confidence = min(max(float(t["conf"]), 0.0) for t in group) / 100
        words.append(Word(text, x0 * to_points, top * to_points, x1 * to_points, bottom * to_points,
                          number, round(confidence, 3)))
    return words


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
