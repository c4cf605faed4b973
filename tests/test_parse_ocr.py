"""Image-only reports: scans of the replica's own printed reports, read back by OCR.

The replica rasterises its ruled PDF at 150 dpi, rotates, blurs and JPEG-compresses each
page (crawler/replica/scans.py); the parser must read the values back or leave them null
with a warning, never print a number the scan does not show. OCR costs seconds a page on
two shared cores: one scanned PDF, one image file.
"""

from __future__ import annotations

import os
import random
import shutil

import pytest

from crawler.replica import reports, scans
from parsers import checks, ocr, parse_document

SEED = 8  # a 2020 county-office report: 2 pages, every table, a 5-row table 2


@pytest.fixture(scope="module", autouse=True)
def tesseract() -> None:
    missing = ocr.available()
    if missing:
        if os.environ.get("CI"):  # CI must run these, not skip them
            pytest.fail(missing)
        pytest.skip(missing)


def _spec(seed: int) -> reports.ReportSpec:
    rng = random.Random(seed)
    level = rng.choice(reports.ORGAN_LEVELS)
    return reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                   report_year=rng.choice((2020, 2022, 2024)))


def _assert_read_back(record: dict, spec: reports.ReportSpec) -> None:
    truth = spec.truth(keeps_grid=True)
    assert record["kind"] == "report", record["reason"]
    for field in ("organ", "report_year", "table_format"):
        assert record[field] == truth[field], field
    values, expected = record["values"], truth["values"]
    invented = {k: values.get(k) for k, v in expected.items() if v is None and values.get(k) is not None}
    assert not invented, f"values where the scan prints none: {invented}"
    printed = [k for k, v in expected.items() if v is not None]
    right = [k for k in printed if values.get(k) == expected[k]]
    failed = {f"{c['name']}:{c['scope']}" for c in record["checks"] if c["ok"] is False}
    wrong = {k: (expected[k], values[k]) for k in printed if values.get(k) not in (None, expected[k])}
    uncaught = {k: v for k, v in wrong.items() if not set(checks.checks_involving(k)) & failed}
    assert not uncaught, f"misread values no check catches: {uncaught}"
    # the ruled grid read cell by cell: measured 198 of 198 on this scan (issue 16 asks ≥ 99%)
    assert len(right) / len(printed) >= 0.99, f"{len(right)} of {len(printed)} printed cells read right"
    assert set(record["value_confidence"]) == {k for k, v in values.items() if v is not None} - set(record["inferred"])
    assert all(0.0 <= c <= 1.0 for c in record["value_confidence"].values())
    source = record["source"]["ocr"]
    assert source["engine"] == "tesseract" and source["version"] == ocr.engine_version()
    assert 0.5 < source["mean_confidence"] <= 1.0 and source["min_confidence"] <= source["mean_confidence"]


def test_scanned_pdf_is_read_by_ocr() -> None:
    spec = _spec(SEED)
    _assert_read_back(parse_document(scans.render_scanned_pdf(spec, random.Random(SEED), dpi=150)), spec)


def test_scan_as_an_image_file_is_read_by_ocr() -> None:
    spec = _spec(SEED)
    _assert_read_back(parse_document(scans.render_scan_image(spec, random.Random(SEED), "tif", dpi=150)), spec)


def test_unsure_values_are_null_and_named_in_warnings() -> None:
    from parsers.words import Word

    words = [Word("行政许可", 50, 100, 110, 110, 1, 0.95), Word("5", 200, 100, 206, 110, 1, 0.97),
             Word("1", 300, 100, 306, 110, 1, 0.31), Word("和", 400, 100, 410, 110, 1, 0.12)]
    assert ocr.unsure_values(words) == {2, 3}
    assert [w.text for w in ocr.without(words, {2, 3})] == ["行政许可", "5", "/", "/"]
    assert [w.text for w in ocr.numbered(words, {2, 3})] == ["行政许可", "900001", "/", "/"]


def test_without_tesseract_a_scan_stays_image_only_and_says_why(monkeypatch) -> None:
    body = scans.render_scanned_pdf(_spec(SEED), random.Random(SEED), dpi=100)
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("tesseract") is None
    record = parse_document(body)
    assert record["kind"] == "image_only" and record["values"] == {}
    assert "not OCR'd: Tesseract is not installed" in record["reason"]


def _ruled_page():
    """A 300 dpi page with one ruled table: a header cell merged over two columns above two
    rows of two cells; the first row prints a 7 and a blank, the second a speck and a 0."""
    from PIL import Image, ImageDraw

    page = Image.new("L", (1200, 800), 250)
    draw = ImageDraw.Draw(page)
    xs, ys = (100, 500, 900), (100, 200, 300, 400)
    for y in ys:
        draw.line((xs[0], y, xs[-1], y), fill=20, width=3)
    for x in xs:
        draw.line((x, ys[0] if x != 500 else ys[1], x, ys[-1]), fill=20, width=3)
    draw.text((280, 230), "7", fill=0, font_size=40)
    draw.point((700, 350), fill=0)  # a speck of scanner dust in the blank cell below
    draw.text((280, 330), "0", fill=0, font_size=40)
    return page


def test_the_grid_of_a_ruled_scan_is_its_cells_and_a_cell_without_ink_is_blank() -> None:
    from parsers.words import Word

    page, scale, grid = ocr.prepare(_ruled_page(), 300.0)
    assert scale == 1.0
    # the header spans both columns: one cell, not two
    assert sorted((x1 - x0) // 100 for x0, _, x1, _ in grid.cells) == [3, 3, 3, 3, 7]
    assert len(grid.cells) == 5 and all(rule.top == rule.bottom or rule.x0 == rule.x1 for rule in grid.rules)
    to_points = 72 / 300
    # Tesseract's page read put an unsure "8" in the empty cell: no ink there, so blank
    words = [Word("7", 280 * to_points, 230 * to_points, 300 * to_points, 270 * to_points, 1, 0.97),
             Word("8", 700 * to_points, 230 * to_points, 720 * to_points, 270 * to_points, 1, 0.41),
             Word("0", 280 * to_points, 330 * to_points, 300 * to_points, 370 * to_points, 1, 0.95)]
    kept = ocr._read_cells(page, words, grid, scale, 1, to_points)
    assert sorted(w.text for w in kept) == ["0", "7"]


def test_a_value_cell_read_twice_is_kept_only_when_the_reads_agree_or_one_is_sure() -> None:
    assert ocr._vote([("14", 0.7), ("14", 0.8)]) == ("14", pytest.approx(0.94))
    assert ocr._vote([("14", 0.7), ("4", 0.5), ("4", 0.6)]) == ("4", pytest.approx(0.8))
    assert ocr._vote([("-4", 0.64), ("-1", 0.84)]) == ("-1", 0.0)  # disagree, neither sure: null
    assert ocr._vote([("", 0.0), ("7", 0.95)]) == ("7", 0.95)  # missed by the page read, sure alone
    assert ocr._vote([("和", 0.3), ("", 0.0)]) == ("和", 0.3)  # no number read: the first read stands
    assert ocr._vote([("4", 0.86), ("7", 0.28), ("7", 0.2), ("4", 0.9)])[1] == 0.0  # a tie: null


def test_a_misread_row_label_is_read_as_the_template_label_it_is_close_to() -> None:
    assert ocr._known_label("(一闻以公开") == "(一)予以公开"  # 予 misread: the row is still found
    assert ocr._known_label("5.属于三类内部事务信息") == "5.属于三类内部事务信息"  # found as read
    # too short, or as close to two labels, or no label at all: kept as read
    assert [ocr._known_label(t) for t in ("5人", "商业企业", "行政许可")] == ["5人", "商业企业", "行政许可"]
