"""Text PDFs through pdfplumber: cells of ruled tables where there are any, text otherwise."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pdfplumber

from parsers.cells import Line
from parsers.deadline import Deadline

MAX_PAGES = 60


@dataclass
class PdfContent:
    text: str
    table_lines: list[Line]
    pages: int
    chars: int


def read(body: bytes, deadline: Deadline) -> PdfContent:
    texts: list[str] = []
    table_lines: list[Line] = []
    chars = 0
    with pdfplumber.open(io.BytesIO(body)) as pdf:
        pages = len(pdf.pages)
        for page in pdf.pages[:MAX_PAGES]:
            deadline.check()
            chars += len(page.chars)
            texts.append(page.extract_text() or "")
            for table in page.extract_tables():
                for row in table:
                    cells = [(cell or "").replace("\n", "") for cell in row]
                    if any(cells):
                        table_lines.append(Line(_merge_repeats(row, cells), exact=True))
            page.flush_cache()
    return PdfContent("\n".join(texts), table_lines, pages, chars)


def _merge_repeats(raw: list[str | None], cells: list[str]) -> list[str]:
    """pdfplumber gives None for the columns a merged cell covers: drop them like a colspan."""
    return [cell for original, cell in zip(raw, cells) if original is not None]
