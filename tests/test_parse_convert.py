"""DOC, WPS and RTF reports: converted by LibreOffice, then read exactly as their DOCX originals.

The replica saves its own DOCX reports in the old formats with LibreOffice (as an office
still on Word 97 or WPS would); the parser converts them back in a capped subprocess.
"""

from __future__ import annotations

import os
import random
import shutil

import pytest

from crawler.replica import reports, scans
from crawler.replica.render import render_docx
from parsers import convert, parse_document

COMPARED = ("kind", "title", "organ", "organ_level", "report_year", "published_on", "signed_on",
            "table_format", "values", "inferred", "checks", "warnings", "sections", "text")


@pytest.fixture(scope="module", autouse=True)
def libreoffice() -> None:
    if convert.converter() is None:
        reason = "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui"
        if os.environ.get("CI"):  # CI must run these, not skip them
            pytest.fail(reason)
        pytest.skip(reason)


def _spec(seed: int) -> reports.ReportSpec:
    rng = random.Random(seed)
    level = rng.choice(reports.ORGAN_LEVELS)
    return reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                   report_year=rng.choice((2020, 2022, 2024)))


@pytest.mark.parametrize(("seed", "extension"), [(3, "doc"), (11, "wps"), (29, "rtf")])
def test_old_word_formats_parse_like_their_docx(seed: int, extension: str) -> None:
    spec = _spec(seed)
    original = render_docx(spec, random.Random(seed))
    served = scans.docx_as(original, extension)
    assert served[:4] == (b"{\\rt" if extension == "rtf" else b"\xd0\xcf\x11\xe0")
    from_docx = parse_document(original)
    record = parse_document(served, url=f"http://example.gov.cn/report.{extension}")
    assert from_docx["kind"] == "report"
    assert {field: record[field] for field in COMPARED} == {field: from_docx[field] for field in COMPARED}
    assert record["values"] == spec.truth(keeps_grid=True)["values"]
    assert record["source"]["converted"]["from"] == ("rtf" if extension == "rtf" else "doc")
    assert record["source"]["converted"]["by"].startswith("LibreOffice")


def test_damaged_doc_is_unreadable_with_the_reason() -> None:
    served = scans.docx_as(render_docx(_spec(3), random.Random(3)), "doc")
    record = parse_document(served[:3000])  # cut before the file's directory of streams
    assert record["kind"] == "unreadable"
    assert record["reason"].startswith("LibreOffice could not convert this WPS file (exit 0: Error: source file")
    assert record["values"] == {}


def test_conversion_over_time_is_stopped_and_said() -> None:
    served = scans.docx_as(render_docx(_spec(3), random.Random(3)), "doc")
    with pytest.raises(convert.ConversionFailed, match="took longer than"):
        convert.to_docx(served, "doc", timeout=0.05)


def test_without_libreoffice_a_doc_is_unreadable_and_says_what_is_missing(monkeypatch) -> None:
    served = scans.docx_as(render_docx(_spec(3), random.Random(3)), "doc")
    monkeypatch.setenv("PATH", "/nonexistent")
    assert shutil.which("soffice") is None
    record = parse_document(served)
    assert record["kind"] == "unreadable"
    assert record["reason"] == "DOC needs LibreOffice (soffice), which is not installed"

