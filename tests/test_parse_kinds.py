"""Kinds with reasons: look-alikes, unsupported and image-only documents, unreadable bytes; the CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile

import pytest
from click.testing import CliRunner

from conftest import shared_path
from parsers import PARSER_VERSION, parse_document
from parsers.cli import parse

LOOKALIKES = {
    "notice": "<html><head><title>关于做好2023年政府信息公开工作年度报告编制发布工作的通知</title></head><body>"
              "<h1>关于做好2023年政府信息公开工作年度报告编制发布工作的通知</h1><p>各乡镇人民政府：请于2024年1月31日前"
              "完成政府信息公开工作年度报告的编制和发布工作。</p></body></html>",
    "guide": "<html><head><title>泰宁县人民政府政府信息公开指南</title></head><body><h1>泰宁县人民政府政府信息公开指南"
             "</h1><p>一、主动公开。二、依申请公开。年度报告在每年1月31日前公布。</p></body></html>",
    "plan": "<html><body><h1>2024年政务公开工作要点</h1><p>做好政府信息公开工作年度报告发布。</p></body></html>",
    "list": "<html><body><h1>2023年度各乡镇政府信息公开工作年度报告汇总</h1><ul><li><a href='a.html'>某乡2023年"
            "政府信息公开工作年度报告</a></li></ul></body></html>",
}


@pytest.mark.parametrize("name", sorted(LOOKALIKES))
def test_lookalikes_are_not_reports(name: str) -> None:
    record = parse_document(LOOKALIKES[name].encode(), url="http://example.gov.cn/x.html")
    assert record["kind"] == "not_report"
    assert record["reason"] and record["values"] == {}


def test_ole_spreadsheet_is_unsupported() -> None:
    # DOC and WPS files are OLE files too: they are converted (tests/test_parse_convert.py)
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "Workbook".encode("utf-16-le") + b"\0" * 100
    record = parse_document(xls)
    assert record["kind"] == "unsupported" and "XLS" in record["reason"]


def test_xlsx_is_unsupported() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    assert parse_document(buffer.getvalue())["kind"] == "unsupported"


def test_image_page_is_image_only() -> None:
    body = ("<html><head><title>某镇2023年政府信息公开工作年度报告</title></head><body>"
            "<div class='article'><img src='1.jpg'><img src='2.jpg'></div></body></html>").encode()
    record = parse_document(body)
    assert record["kind"] == "image_only" and "image" in record["reason"]


def test_truncated_pdf_is_unreadable_with_reason() -> None:
    record = parse_document(b"%PDF-1.7\n1 0 obj << /Type /Catalog")
    assert record["kind"] == "unreadable" and record["reason"].startswith("PDF")


def test_gbk_page_mislabelled_gb2312_is_decoded() -> None:
    html = "<html><head><meta charset='gb2312'><title>镕乡2023年政府信息公开工作年度报告</title></head><body><p>x</p></body></html>"
    record = parse_document(html.encode("gb18030"), content_type="text/html; charset=gb2312")
    assert record["title"] == "镕乡2023年政府信息公开工作年度报告"


def test_attachment_links_are_absolute() -> None:
    body = "<html><body><p>附件：<a href='/files/report.pdf'>2023年年度报告</a></p></body></html>".encode()
    record = parse_document(body, url="http://www.example.gov.cn/col/a.html")
    assert record["attachments"] == [{"url": "http://www.example.gov.cn/files/report.pdf", "text": "2023年年度报告"}]


def test_cli_prints_json_and_exits_zero(tmp_path) -> None:
    path = tmp_path / "notice.html"
    path.write_text(LOOKALIKES["notice"], encoding="utf-8")
    result = CliRunner().invoke(parse, [str(path), "--url", "http://example.gov.cn/n.html"])
    assert result.exit_code == 0
    record = json.loads(result.output)
    assert record["kind"] == "not_report" and record["parser_version"] == PARSER_VERSION


def test_cli_missing_file_fails_with_one_line(tmp_path) -> None:
    result = subprocess.run([sys.executable, "-m", "ogi.cli", "parse", str(tmp_path / "absent.pdf")],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and "absent.pdf" in result.stderr


def test_time_cap_gives_unreadable_and_nothing_half_parsed() -> None:
    record = parse_document(shared_path("realdata", "hongze-2024.pdf").read_bytes(), time_cap=0.0)
    assert record["kind"] == "unreadable" and "cap" in record["reason"]
    assert record["values"] == {} and record["title"] is None
