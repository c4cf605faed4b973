"""DOCX: paragraphs as text lines, tables as grids (merged cells once per row)."""

from __future__ import annotations

import io

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph

from parsers.cells import Line
from parsers.deadline import Deadline


def read(body: bytes, deadline: Deadline) -> tuple[str, list[Line]]:
    document = docx.Document(io.BytesIO(body))
    lines: list[str] = []
    table_lines: list[Line] = []
    for block in document.iter_inner_content():
        deadline.check()
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            for row in block.rows:
                deadline.check()  # one table can hold most of a 32 MiB document.xml
                cells, last = [], None
                for cell in row.cells:
                    if cell._tc is not last:
                        cells.append(cell.text.replace("\n", "").strip())
                    last = cell._tc
                table_lines.append(Line(cells, exact=True))
                lines.append("\t".join(cells))
    return "\n".join(lines), table_lines
