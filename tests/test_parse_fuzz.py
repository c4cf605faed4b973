"""Mutated and truncated HTML/PDF/DOCX bytes never crash or hang the parser."""

from __future__ import annotations

import io

import docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import shared_path
from parsers import parse_document

CAP = 5.0
KINDS = {"report", "not_report", "image_only", "unsupported", "unreadable"}

HTML = ("<html><head><meta charset='utf-8'><title>某乡2023年政府信息公开工作年度报告</title></head><body>"
        "<table><tr><td rowspan='2'>规章</td><td>1</td><td colspan='2'>2</td></tr><tr><td>3</td></tr></table>"
        "<p>一、总体情况</p><p>2023年，本乡。</p></body></html>").encode()


def _docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("某镇2023年政府信息公开工作年度报告")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).merge(table.cell(1, 0)).text = "规章"
    table.cell(0, 1).text = "0"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _pdf() -> bytes:
    return shared_path("realdata", "hongze-2024.pdf").read_bytes()


def _mutate(body: bytes, data: st.DataObject) -> bytes:
    out = bytearray(body)
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(out) - 1))
        out[position] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(1, len(out)))
    return bytes(out[:cut])


def _assert_sane(record: dict) -> None:
    assert record["kind"] in KINDS
    assert record["reason"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_html_and_docx(data: st.DataObject) -> None:
    body = _mutate(data.draw(st.sampled_from([HTML, _docx()])), data)
    _assert_sane(parse_document(body, time_cap=CAP))


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_and_truncated_pdf(data: st.DataObject) -> None:
    body = _mutate(_pdf(), data)
    _assert_sane(parse_document(body, time_cap=CAP))


@given(st.binary(max_size=2000))
@settings(max_examples=60, deadline=None)
def test_random_bytes(body: bytes) -> None:
    record = parse_document(body, time_cap=CAP)
    assert record["kind"] in KINDS
