"""The codebook: generated from the key registry, covering every key the parser emits."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from test_research_archive import research_archive, run_cli  # noqa: F401 - shared fixture

from archive import cli as archive_cli
from archive.export import WIDE_FIELDS
from parsers import checks, keys, parse_document


def read_codebook(directory: Path) -> tuple[str, list[dict[str, str]]]:
    run_cli(archive_cli.codebook, "--out", str(directory))
    with (directory / "codebook.csv").open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    return (directory / "codebook.md").read_text("utf-8"), rows


def test_codebook_has_every_registry_key_with_labels_and_checks(tmp_path: Path) -> None:
    markdown, rows = read_codebook(tmp_path / "book")
    by_key = {row["key"]: row for row in rows if row["key"]}
    assert list(by_key) == list(keys.KEYS)  # every key, in the registry's order
    assert [row["column"] for row in rows] == [field.name for field in WIDE_FIELDS]

    fees = by_key["t2.fees.amount"]
    assert (fees["column"], fees["table"], fees["type"]) == ("t2_fees_amount", "2", "decimal")
    assert fees["column_label_zh"] == "本年收费金额(单位:万元)"
    assert (fees["format_2021"], fees["format_2019"]) == ("yes", "no")
    parts = by_key["t3.other_handling.unpaid_fee.natural_person"]
    assert (parts["format_2021"], parts["format_2019"]) == ("yes", "no")
    assert by_key["t2.procurement.amount"]["format_2021"] == "no"
    new_total = by_key["t3.new.total"]
    assert new_total["label_zh"] == "一、本年新收政府信息公开申请数量 / 总计"
    assert new_total["label_en"] == "New applications this year: total"
    assert new_total["checks"].split("; ") == checks.checks_involving("t3.new.total")
    assert {"t3.balance:total", "t3.row_sum:new"} <= set(new_total["checks"].split("; "))

    for key in ("t3.denied.security_stability.research", "t4.suit_after_review.pending"):
        assert f"`{key}`" in markdown and keys.KEYS[key].row.label in markdown
    assert "| `t4.block_sum:review` | t4.review.total = t4.review.upheld" in markdown


def test_codebook_covers_every_key_in_the_archive(research_archive: Path, tmp_path: Path) -> None:  # noqa: F811
    _, rows = read_codebook(tmp_path / "book")
    documented = {row["key"] for row in rows}
    conn = sqlite3.connect(research_archive)
    emitted = {key for (key,) in conn.execute("SELECT DISTINCT key FROM report_values")}
    conn.close()
    assert len(emitted) > 150 and emitted <= documented


def test_the_record_metadata_fields_are_in_every_record_and_explained_by_the_codebook(tmp_path: Path) -> None:
    page = "<html><head><title>某镇2023年政府信息公开工作年度报告</title></head><body><p>一、总体情况</p></body></html>"
    record = parse_document(page.encode())
    assert [field for field in record if field in keys.RECORD_METADATA_FIELDS] == list(keys.RECORD_METADATA_FIELDS)
    _, rows = read_codebook(tmp_path / "book")
    described = {row["column"]: row["description"] for row in rows if not row["key"]}
    assert all(described.get(field) for field in keys.RECORD_METADATA_FIELDS), described
