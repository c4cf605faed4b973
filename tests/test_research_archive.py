"""The replica-built archive the research tests share, and the exports read back from it.

The archive is written the way a crawl writes it: two crawl runs of the replica network
(seed 1, epoch 1 then epoch 2, which adds a year and changes some documents), each
report's page and attachment fetched, parsed with ``parsers.parse_document`` and
recorded with ``Archive.record_fetch`` / ``record_document``. It is built once per test
session (other ``test_research_*`` modules import ``research_archive``) and only read.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

import parsers
from archive import Archive
from archive import cli as archive_cli
from archive.export import KEY_COLUMNS, column_name
from crawler.replica.network import EPOCH_DATES, build_network
from parsers import keys

SEED = 1
PORTALS = 3  # counties: enough for every document kind, both formats, failed checks
USER_AGENT = "ogi-archive-test"
_BUILT: dict[str, Any] = {}


def replica_truths() -> dict[int, dict]:
    return {epoch: build_network(seed=SEED, epoch=epoch, portals=PORTALS).truth()
            for epoch in (1, 2)}


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def crawl_epoch(db: Archive, epoch: int, parsed: dict[tuple[str, bytes], dict]) -> None:
    """One crawl run of the replica at ``epoch``: every report, its page, some look-alikes."""
    net = build_network(seed=SEED, epoch=epoch, portals=PORTALS)
    truth = net.truth()
    fetched_at = f"{EPOCH_DATES[epoch].isoformat()}T08:00:00Z"
    run = db.start_run({"replica_seed": SEED, "epoch": epoch, "portals": PORTALS},
                       code_version="test-sha", worker="w1")
    db.upsert_portals({key: portal[key] for key in ("code", "name", "level", "province",
                                                    "city", "url")}
                      for portal in truth["portals"])

    def fetch_and_parse(url: str, portal_code: str) -> tuple[int, dict]:
        reply = net.respond("GET", url, {"User-Agent": USER_AGENT})
        content_type = _content_type(reply.headers)
        fetch = db.record_fetch(
            run_id=run, url=url, status=reply.status,
            request_headers={"User-Agent": USER_AGENT}, response_headers=dict(reply.headers),
            body=reply.body, fetched_at=fetched_at, duration=0.05, portal_code=portal_code,
        )
        cache_key = (url, reply.body)
        if cache_key not in parsed:  # an unchanged body parses the same: parse it once
            parsed[cache_key] = parsers.parse_document(reply.body, url, content_type)
        return fetch, parsed[cache_key]

    pages: dict[str, dict] = {}
    for report in truth["reports"]:
        page_url = report["attachment_of"]
        if page_url and page_url not in pages:
            page_fetch, pages[page_url] = fetch_and_parse(page_url, report["portal_code"])
            db.record_document(fetch_id=page_fetch, url=page_url, record=pages[page_url],
                               portal_code=report["portal_code"])
        fetch, record = fetch_and_parse(report["url"], report["portal_code"])
        if page_url:
            record = parsers.with_page_metadata(record, pages[page_url])
        db.record_document(fetch_id=fetch, url=report["url"], record=record,
                           attachment_of=page_url, portal_code=report["portal_code"])
    for lookalike in truth["lookalikes"][:4]:
        fetch, record = fetch_and_parse(lookalike["url"], lookalike["portal_code"])
        db.record_document(fetch_id=fetch, url=lookalike["url"], record=record,
                           portal_code=lookalike["portal_code"])
    db.record_fetch(run_id=run, url=f"http://dead{epoch}.example.gov.cn/",
                    request_headers={"User-Agent": USER_AGENT}, error="DNS lookup failed",
                    fetched_at=fetched_at)
    db.finish_run(run, {"reports": len(truth["reports"])})


def build_research_archive(directory: Path) -> Path:
    path = directory / "replica.db"
    parsed: dict[tuple[str, bytes], dict] = {}
    with Archive(path) as db:
        for epoch in (1, 2):
            crawl_epoch(db, epoch, parsed)
    return path


@pytest.fixture(scope="session")
def research_archive(tmp_path_factory) -> Path:
    """The replica-built archive (built once per session, shared across modules)."""
    if "path" not in _BUILT:
        _BUILT["path"] = build_research_archive(tmp_path_factory.mktemp("research"))
    return _BUILT["path"]


def run_cli(command, *args: str):
    result = CliRunner().invoke(command, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def archive_values(path: Path, where: str = "", params: tuple = ()) -> dict[int, dict]:
    """{report_id: {key: (value, inferred)}} of the current reports, read straight from SQL."""
    conn = sqlite3.connect(path)
    sql = ("SELECT current.id, report_values.key, report_values.value, report_values.inferred"
           " FROM current JOIN documents ON documents.id = current.document_id"
           " LEFT JOIN portals ON portals.code = documents.portal_code"
           " LEFT JOIN report_values ON report_values.report_id = current.id"
           f" WHERE 1 {where}")
    out: dict[int, dict] = {}
    for report_id, key, value, inferred in conn.execute(sql, params):
        cells = out.setdefault(report_id, {})
        if key is not None:
            cells[key] = (value, inferred)
    conn.close()
    return out


def blank(value: Any) -> bool:
    return value is None or bool(pd.isna(value))


def same(cell: Any, stored: Any) -> bool:
    if blank(stored):
        return blank(cell)
    return not blank(cell) and float(cell) == pytest.approx(float(stored))


def assert_wide_equals_archive(rows: list[dict], expected: dict[int, dict]) -> None:
    assert sorted(row["report_id"] for row in rows) == sorted(expected)
    for row in rows:
        cells = expected[row["report_id"]]
        for column, key in KEY_COLUMNS.items():
            stored = cells.get(key, (None, 0))[0]
            assert same(row[column], stored), (row["report_id"], key, row[column], stored)
        listed = set() if blank(row["inferred_keys"]) or not row["inferred_keys"] else set(
            row["inferred_keys"].split("; "))
        assert listed == {key for key, (_, inferred) in cells.items() if inferred}


def test_fixture_archive_is_realistic(research_archive: Path) -> None:
    with Archive(research_archive) as db:
        kinds = {r["kind"] for r in db.query("SELECT DISTINCT kind FROM current")}
        formats = {r["table_format"] for r in db.query(
            "SELECT DISTINCT table_format FROM current WHERE kind = 'report'")}
        runs = db.one("SELECT COUNT(*) AS n FROM crawl_runs")["n"]
        assert db.check() == []
    assert {"report", "not_report", "image_only"} <= kinds
    assert formats == {"2019", "2021"} and runs == 2


def test_column_names_are_unique_and_map_back_to_keys() -> None:
    assert len(KEY_COLUMNS) == len(keys.KEYS)
    assert all(KEY_COLUMNS[column_name(key)] == key for key in keys.KEYS)
    assert column_name("t3.new.total") == "t3_new_total"


def test_csv_wide_reads_back_equal_to_archive(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports.csv"
    run_cli(archive_cli.export, "--archive", str(research_archive), "--format", "csv",
            "--kind", "report", "--out", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel's UTF-8 signature
    frame = pd.read_csv(out, encoding="utf-8-sig", dtype={"portal_code": str})
    rows = frame.to_dict("records")
    expected = archive_values(research_archive, "AND current.kind = ?", ("report",))
    assert len(rows) > 50
    assert_wide_equals_archive(rows, expected)
    with Archive(research_archive) as db:
        provenance = {r["id"]: r for r in db.query(
            "SELECT current.id, current.sha256, current.organ, documents.url"
            " FROM current JOIN documents ON documents.id = current.document_id")}
    for row in rows:
        stored = provenance[row["report_id"]]
        assert (row["sha256"], row["organ"], row["source_url"]) == (
            stored["sha256"], stored["organ"], stored["url"])


def test_csv_long_reads_back_equal_to_archive(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "values.csv"
    run_cli(archive_cli.export, "--archive", str(research_archive), "--format", "csv",
            "--shape", "long", "--out", str(out))
    frame = pd.read_csv(out, encoding="utf-8-sig")
    assert list(frame.columns) == ["report_id", "key", "value", "inferred"]
    read = {(r["report_id"], r["key"]): (r["value"], r["inferred"])
            for r in frame.to_dict("records")}
    expected = {(report_id, key): cell
                for report_id, cells in archive_values(research_archive).items()
                for key, cell in cells.items()}
    assert read.keys() == expected.keys() and len(read) == len(frame)
    for pair, (value, inferred) in expected.items():
        assert same(read[pair][0], value) and read[pair][1] == inferred, pair


def test_parquet_keeps_types_and_equals_archive(research_archive: Path, tmp_path: Path) -> None:
    wide, long = tmp_path / "reports.parquet", tmp_path / "values.parquet"
    run_cli(archive_cli.export, "--archive", str(research_archive), "--format", "parquet",
            "--kind", "report", "--out", str(wide))
    run_cli(archive_cli.export, "--archive", str(research_archive), "--format", "parquet",
            "--shape", "long", "--kind", "report", "--out", str(long))
    frame = pd.read_parquet(wide, dtype_backend="numpy_nullable")
    assert str(frame["t3_new_total"].dtype) == "Int64"
    assert str(frame["t2_fees_amount"].dtype) == "Float64"
    expected = archive_values(research_archive, "AND current.kind = ?", ("report",))
    assert_wide_equals_archive(frame.to_dict("records"), expected)
    values = pd.read_parquet(long, dtype_backend="numpy_nullable")
    read = {(r["report_id"], r["key"]): (r["value"], r["inferred"])
            for r in values.to_dict("records")}
    stored = {(report_id, key): cell for report_id, cells in expected.items()
              for key, cell in cells.items()}
    assert read.keys() == stored.keys()
    assert all(same(read[pair][0], value) and read[pair][1] == inferred
               for pair, (value, inferred) in stored.items())


def test_jsonl_reads_back_equal_to_archive(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    run_cli(archive_cli.export, "--archive", str(research_archive), "--out", str(out))
    records = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    expected = archive_values(research_archive)
    assert sorted(r["report_id"] for r in records) == sorted(expected)
    for record in records:
        cells = expected[record["report_id"]]
        assert record["values"] == {key: value for key, (value, _) in cells.items()}
        assert set(record["inferred"]) == {key for key, (_, inf) in cells.items() if inf}
        assert {"schema_version", "kind", "status", "version", "first_seen", "last_seen",
                "source", "province", "portal_code"} <= record.keys()


def last_province(path: Path) -> str:
    """A province of the archive's portals (the replica picks them from real places)."""
    conn = sqlite3.connect(path)
    (province,) = conn.execute("SELECT MAX(province) FROM portals").fetchone()
    conn.close()
    return province


@pytest.mark.parametrize("option, value, where", [
    ("--province", None, "AND portals.province = ?"),
    ("--year", "2023", "AND current.report_year = ?"),
    ("--level", "township", "AND current.organ_level = ?"),
    ("--kind", "not_report", "AND current.kind = ?"),
])
def test_filters_keep_exactly_the_matching_reports(
    research_archive: Path, tmp_path: Path, option: str, value: str | None, where: str
) -> None:
    out = tmp_path / "filtered.jsonl"
    value = value or last_province(research_archive)
    run_cli(archive_cli.export, "--archive", str(research_archive), option, value,
            "--out", str(out))
    ids = sorted(json.loads(line)["report_id"] for line in out.read_text("utf-8").splitlines())
    param: Any = int(value) if option == "--year" else value
    expected = sorted(archive_values(research_archive, where, (param,)))
    assert ids and ids == expected


def test_filters_combine(research_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "filtered.csv"
    run_cli(archive_cli.export, "--archive", str(research_archive), "--format", "csv",
            "--province", last_province(research_archive), "--year", "2022", "--year", "2023",
            "--level", "township", "--kind", "report", "--out", str(out))
    expected = archive_values(
        research_archive,
        "AND portals.province = ? AND current.report_year IN (2022, 2023)"
        " AND current.organ_level = 'township' AND current.kind = 'report'",
        (last_province(research_archive),))
    with out.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert expected and sorted(int(r["report_id"]) for r in rows) == sorted(expected)


def test_parquet_to_stdout_is_refused(research_archive: Path) -> None:
    result = CliRunner().invoke(archive_cli.export, ["--archive", str(research_archive),
                                                     "--format", "parquet"])
    assert result.exit_code == 2 and "Parquet cannot be written to stdout" in result.output
