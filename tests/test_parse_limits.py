"""Hostile documents stay inside their caps: a DOCX zip bomb is refused before anything
inflates it, and a one-page PDF of 150,000 text operations cannot outlast the time cap.

The two heavy cases run ``ogi parse`` in a child process that reports its own peak memory,
the way the parser worker meets them in a crawl.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from crawler.replica import render, reports
from crawler.replica.faults import one_page_pdf
from parsers import parse_document, zipcaps

CAP_SECONDS = 30
CAP_BYTES = int(1.2 * 2**30)
# runs `ogi parse PATH` and prints the child's peak resident memory (bytes) on stderr's last line:
# VmHWM, not ru_maxrss, which Linux carries over exec from the forking process (the test worker)
_MEASURED_PARSE = (
    "import re, sys\n"
    "from ogi.cli import main\n"
    "try:\n"
    "    main(['parse', sys.argv[1]])\n"
    "except SystemExit:\n"
    "    pass\n"
    "status = open('/proc/self/status').read()\n"
    "print(int(re.search(r'VmHWM:\\s+(\\d+) kB', status).group(1)) * 1024, file=sys.stderr)\n"
)


def _spec() -> reports.ReportSpec:
    rng = random.Random(3)
    return reports.generate_report(rng, organ=reports.organ_name(rng, "county"), organ_level="county",
                                   report_year=2023)


def _docx_with(document_xml_filler: int) -> bytes:
    """The replica's DOCX of one report, its document.xml padded with that many spaces."""
    source = zipfile.ZipFile(io.BytesIO(render.render_docx(_spec(), random.Random(3))))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename != "word/document.xml":
                target.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<w:body>")
            with target.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<w:body>")
                chunk = b" " * 2**20
                for _ in range(document_xml_filler // len(chunk)):
                    member.write(chunk)
                member.write(tail)
    return out.getvalue()


def _measured_parse(path: Path) -> tuple[dict, float, int]:
    """(record, seconds, peak bytes) of `ogi parse path` in a child process."""
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-c", _MEASURED_PARSE, str(path)], capture_output=True, text=True,
                            timeout=120)
    seconds = time.monotonic() - start
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout), seconds, int(result.stderr.strip().splitlines()[-1])


def test_docx_inflating_past_a_gigabyte_is_unreadable_with_the_cap(tmp_path: Path) -> None:
    body = _docx_with(1100 * 2**20)
    assert len(body) < 5 * 2**20  # a small download that inflates to over 1 GiB
    path = tmp_path / "bomb.docx"
    path.write_bytes(body)
    record, seconds, peak = _measured_parse(path)
    assert record["kind"] == "unreadable"
    assert "word/document.xml" in record["reason"] and "cap" in record["reason"], record["reason"]
    assert seconds <= CAP_SECONDS and peak <= CAP_BYTES, (seconds, peak)


def test_a_real_sized_docx_passes_the_caps() -> None:
    body = _docx_with(0)
    assert zipcaps.over_cap(zipfile.ZipFile(io.BytesIO(body))) is None
    assert parse_document(body)["kind"] == "report"


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize("members,named", [
    ({f"word/media/{n}.bin": b"x" for n in range(zipcaps.MAX_MEMBERS + 1)} | {"word/document.xml": b"<w/>"},
     "members"),
    ({"word/document.xml": b"<w/>", "word/media/image1.png": bytes(4 * 2**20)}, "word/media/image1.png"),
    ({"word/document.xml": b"<w>" + b"<w:p/>" * (zipcaps.MAX_XML_BYTES // 6 + 1) + b"</w>"}, "per XML part"),
])
def test_each_zip_cap_names_itself(members: dict[str, bytes], named: str) -> None:
    record = parse_document(_zip(members))
    assert record["kind"] == "unreadable" and named in record["reason"] and "cap" in record["reason"], record["reason"]


def _pdf_of_text_operations(count: int) -> bytes:
    """A valid one-page PDF whose content stream shows ``count`` one-glyph strings."""
    operations = "".join(f"1 0 0 1 {40 + n % 500} {800 - (n // 500) % 760} Tm (a) Tj\n" for n in range(count))
    return one_page_pdf(f"BT /F1 1 Tf\n{operations}ET".encode())


def _pdf_of_dashes() -> bytes:
    """A valid one-page PDF hatched with ~35,000 short horizontal and vertical dashes, each
    too far from the next to join it: as many table edges as a page can hold."""
    dashes = "".join(f"{x} {y} m {x + 3.5} {y} l {x + 3.5} {y} m {x + 3.5} {y + 3.5} l\n"
                     for y in range(0, 840, 4) for x in range(0, 590, 7))
    return one_page_pdf(f"0.1 w\n{dashes}S\nBT /F1 9 Tf 100 100 Td (report) Tj ET".encode())


def test_one_page_of_150000_text_operations_stays_inside_the_caps(tmp_path: Path) -> None:
    path = tmp_path / "dense.pdf"
    path.write_bytes(_pdf_of_text_operations(150_000))
    record, seconds, peak = _measured_parse(path)
    assert record["kind"] in ("unreadable", "not_report"), record["reason"]
    assert seconds <= CAP_SECONDS and peak <= CAP_BYTES, (seconds, peak)


@pytest.mark.parametrize("body", [_pdf_of_text_operations(150_000), _pdf_of_dashes()],
                         ids=["150000 glyphs", "35000 rules"])
def test_the_time_cap_holds_inside_one_page(body: bytes) -> None:
    """One page only: a cap checked between pages alone would let this page run to its end."""
    start = time.monotonic()
    record = parse_document(body, time_cap=0.2)
    assert record["kind"] == "unreadable" and "cap" in record["reason"], record["reason"]
    assert record["text"] == "" and record["values"] == {}
    assert time.monotonic() - start < 10  # stopped inside the page, not after it
