"""Text PDFs through pdfplumber: cells of ruled tables where there are any, positioned
words (``parsers.words``) otherwise."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pdfplumber

from parsers.cells import Line, spaced_text_lines
from parsers.deadline import Deadline
from parsers.words import Word, positioned_lines

MAX_PAGES = 60


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
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        pages = len(pdf.pages)
        for page in pdf.pages[:MAX_PAGES]:
            deadline.check()
            chars += len(page.chars)
            text = page.extract_text() or ""
            texts.append(text)
            tables = page.extract_tables()
            for table in tables:
                for row in table:
                    cells = [(cell or "").replace("\n", "") for cell in row]
                    if any(cells):
                        table_lines.append(Line(_merge_repeats(row, cells), exact=True))
            # a page with ruled tables has its cells already; word positions cost as much as its text
            positioned.extend(spaced_text_lines(text) if tables else positioned_lines(_words(page)))
            page.flush_cache()
    return PdfContent("\n".join(texts), table_lines, pages, chars, positioned)


def _merge_repeats(raw: list[str | None], cells: list[str]) -> list[str]:
    """pdfplumber gives None for the columns a merged cell covers: drop them like a colspan."""
    return [cell for original, cell in zip(raw, cells) if original is not None]


def _words(page) -> list[Word]:
    return [Word(w["text"], w["x0"], w["top"], w["x1"], w["bottom"], page.page_number)
            for w in page.extract_words()]
