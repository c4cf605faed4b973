"""The PDFium reader on pages as viewers show them: rotated by /Rotate (the printed report
drawn inside a form XObject, turned so it reads upright), cut by a CropBox."""

from __future__ import annotations

import io
import random

import pypdfium2
import pytest

from crawler.replica import render, reports
from parsers import parse_document, pdf
from parsers.deadline import Deadline

WIDTH, HEIGHT = 595.2755905511812, 841.8897637795277  # the replica's A4 pages


def _report_pdf(ruled: bool) -> bytes:
    rng = random.Random(5)
    spec = reports.generate_report(rng, organ=reports.organ_name(rng, "township"), organ_level="township",
                                   report_year=2023)
    return render.render_pdf(spec, random.Random(5), ruled=ruled)


# /Rotate → (user-space page size, matrix placing the upright page so the rotated view reads upright)
_PLACEMENTS = {
    90: ((HEIGHT, WIDTH), (0, 1, -1, 0, HEIGHT, 0)),
    180: ((WIDTH, HEIGHT), (-1, 0, 0, -1, WIDTH, HEIGHT)),
    270: ((HEIGHT, WIDTH), (0, -1, 1, 0, 0, WIDTH)),
}


def _rotated(body: bytes, rotation: int) -> bytes:
    """Each page of ``body`` as a form XObject on a page with /Rotate ``rotation``, turned
    the other way so that a viewer shows the very same upright page."""
    source = pypdfium2.PdfDocument(body)
    target = pypdfium2.PdfDocument.new()
    (width, height), matrix = _PLACEMENTS[rotation]
    for index in range(len(source)):
        page = target.new_page(width, height)
        placed = source.page_as_xobject(index, target).as_pageobject()
        placed.transform(pypdfium2.PdfMatrix(*matrix))
        page.insert_obj(placed)
        page.gen_content()
        page.set_rotation(rotation)
    out = io.BytesIO()
    target.save(out)
    return out.getvalue()


@pytest.mark.parametrize("ruled", [True, False], ids=["ruled", "unruled"])
@pytest.mark.parametrize("rotation", sorted(_PLACEMENTS))
def test_a_rotated_page_reads_as_the_upright_page(rotation: int, ruled: bool) -> None:
    upright = _report_pdf(ruled)
    expected = parse_document(upright)
    assert expected["kind"] == "report" and expected["values"]
    record = parse_document(_rotated(upright, rotation))
    assert record["kind"] == "report", record["reason"]
    assert record["values"] == expected["values"]
    assert record["text"] == expected["text"]
    read = [[line.cells for line in pdf.read(body, Deadline(20)).table_lines]
            for body in (upright, _rotated(upright, rotation))]
    assert read[0] == read[1]  # the same ruled cells (none when unruled)


def _first_page(body: bytes, cropbox: tuple[float, float, float, float] | None = None) -> bytes:
    document = pypdfium2.PdfDocument(body)
    for index in reversed(range(1, len(document))):
        document.del_page(index)
    if cropbox:
        document[0].set_cropbox(*cropbox)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_glyphs_outside_the_cropbox_are_not_read() -> None:
    upright = _report_pdf(ruled=True)
    full = pdf.read(_first_page(upright), Deadline(20)).text.split("\n")
    top_half = pdf.read(_first_page(upright, (0, HEIGHT / 2, WIDTH, HEIGHT)), Deadline(20)).text.split("\n")
    assert top_half[0] == full[0]  # the title at the top is shown
    assert 0 < len(top_half) < len(full) and set(top_half) <= set(full)
    assert full[-1] not in top_half  # the foot of the page is cut off
