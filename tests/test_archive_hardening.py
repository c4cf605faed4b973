"""Issue 14 on the archive's side: damaged and missing archives, bad command inputs, a
second writer on one archive, and CSV cells that a spreadsheet would run as formulas."""

from __future__ import annotations

import csv
import io
import os
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive import Archive, ArchiveError
from archive import cli as archive_cli
from archive import store
from archive.export import neutralised
from archive.merge import merge_shards

RUN_AT = "2026-11-22T10:00:00Z"
EVIL_TITLE = '=HYPERLINK("http://evil.example/x","点击")某某镇2023年政府信息公开工作年度报告'


def make_archive(path: Path) -> Path:
    """A small healthy archive: one report whose title is a spreadsheet formula."""
    with Archive(path) as db:
        run = db.start_run({}, code_version="test")
        fetch = db.record_fetch(run_id=run, url="http://x.gov.cn/r.html", status=200, body=b"<html>r</html>",
                                response_headers={"Content-Type": "text/html"}, fetched_at=RUN_AT)
        db.record_document(fetch_id=fetch, url="http://x.gov.cn/r.html", record={
            "kind": "report", "title": EVIL_TITLE, "organ": "-某某镇人民政府", "organ_level": "township",
            "report_year": 2023, "values": {"t3.new.natural_person": 12, "t2.fees.amount": -1.5},
            "parser_version": "test-1"})
    return path


@pytest.fixture()
def healthy(tmp_path: Path) -> Path:
    return make_archive(tmp_path / "archive.db")


def run(command, *args: str):
    result = CliRunner().invoke(command, list(args))
    assert "Traceback" not in result.output
    # a one-line refusal is a SystemExit; anything else escaped the command boundary
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


# -- damaged, empty and missing archives -----------------------------------------------------

def damaged_files(tmp_path: Path, healthy: Path) -> dict[str, Path]:
    random_bytes = tmp_path / "random.db"
    random_bytes.write_bytes(os.urandom(4096))
    empty = tmp_path / "empty.db"
    empty.touch()
    truncated = tmp_path / "truncated.db"
    with Archive(healthy) as db:  # fold the WAL into the file first, so the cut lands in the tables
        db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    truncated.write_bytes(healthy.read_bytes()[:3 * 4096])
    return {"random bytes": random_bytes, "0 bytes": empty, "truncated": truncated}


READING_COMMANDS = [
    ("stats", ()), ("search", ("report",)), ("changes", ("--since", "2025-01-01")), ("export", ("--out", "-")),
    ("warc", ("--out", "out.warc.gz")), ("wacz", ("--out", "out.wacz")), ("bundle", ("--out", "release")),
    ("check", ()), ("reparse", ()),
    ("serve", ("--port", "1")),
]


@pytest.mark.parametrize("name,args", READING_COMMANDS, ids=[name for name, _ in READING_COMMANDS])
def test_every_command_refuses_a_damaged_archive_in_one_line(name, args, tmp_path, healthy, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    expected = {"random bytes": "not an SQLite database", "0 bytes": "empty file (0 bytes)",
                "truncated": "database disk image is malformed: run ogi check"}
    for what, path in damaged_files(tmp_path, healthy).items():
        before = path.read_bytes()
        result = run(getattr(archive_cli, name), "--archive", str(path), *args)
        assert result.exit_code != 0, (what, result.output)
        assert expected[what] in result.output, (what, result.output)
        assert path.read_bytes() == before, f"{name} changed a {what} file"
    assert not any((tmp_path / name).exists() for name in ("out.warc.gz", "out.wacz", "release"))


@pytest.mark.parametrize("name,args", READING_COMMANDS, ids=[name for name, _ in READING_COMMANDS])
def test_every_command_on_a_missing_archive_creates_nothing(name, args, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(getattr(archive_cli, name), "--archive", "typo.db", *args)
    assert result.exit_code != 0 and "typo.db" in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert sorted(os.listdir(tmp_path)) == []


def test_a_crawl_into_a_damaged_archive_is_one_error_line_and_a_failure(tmp_path, healthy) -> None:
    """``scrapy crawl`` as a user runs it: nothing crawled, nothing written, exit status 1."""
    root = Path(__file__).resolve().parent.parent
    # a crawl that did start anyway would meet a dead proxy, never the portal itself
    env = {**os.environ, "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9"}
    for what, path in damaged_files(tmp_path, healthy).items():
        before = path.read_bytes()
        done = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", "codes=152223",
                               "-s", f"OGI_ARCHIVE={path}", "-s", "LOG_LEVEL=INFO"],
                              cwd=root, env=env, capture_output=True, text=True, timeout=120)
        errors = [line for line in done.stderr.splitlines() if "] ERROR: " in line]
        assert done.returncode == 1, (what, done.stderr[-2000:])
        assert len(errors) == 1 and str(path) in errors[0], (what, done.stderr[-2000:])
        assert "Traceback" not in done.stderr and "Spider closed (archive_error" in done.stderr, what
        assert path.read_bytes() == before, f"the crawl changed a {what} file"


def test_check_lists_the_damage_without_a_traceback(tmp_path, healthy) -> None:
    for what, path in damaged_files(tmp_path, healthy).items():
        result = run(archive_cli.check, "--archive", str(path))
        assert result.exit_code == 1, (what, result.output)
        assert "1 problem(s)" in result.output


def test_check_of_a_healthy_archive_opens_it_read_only(healthy) -> None:
    os.chmod(healthy, 0o444)  # a reading command needs no write access to the file
    try:
        with Archive(healthy, read_only=True) as db:
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                db.conn.execute("DELETE FROM reports")
        assert run(archive_cli.check, "--archive", str(healthy)).exit_code == 0
    finally:
        os.chmod(healthy, 0o644)


def test_merge_of_a_damaged_shard_leaves_no_output(tmp_path, healthy) -> None:
    for what, shard in damaged_files(tmp_path, healthy).items():
        into = tmp_path / f"merged-{what}.db"
        with pytest.raises(ArchiveError):
            merge_shards([healthy, shard], into=into)
        assert not into.exists(), what
        result = run(archive_cli.merge, str(healthy), str(shard), "--into", str(into))
        assert result.exit_code != 0 and not into.exists()


# -- bad inputs --------------------------------------------------------------------------------

BAD_INPUTS = [
    ("changes", ("--since", "garbage"), "--since"),
    ("changes", ("--since", "2025-13-45"), "--since"),
    ("search", ("--limit", "99999999999999999999", "report"), "--limit"),
    ("search", ("--limit", "0", "report"), "--limit"),
    ("export", ("--format", "csv", "--out", "missing-dir/reports.csv"), "missing-dir"),
    ("export", ("--format", "csv", "--out", "n" * 300 + ".csv"), "too long"),
    ("export", ("--format", "csv", "--out", "/dev/full"), "No space left"),
    ("export", ("--format", "parquet", "--out", "missing-dir/values.parquet"), "missing-dir"),
    ("warc", ("--out", "missing-dir/archive.warc.gz"), "missing-dir"),
    ("warc", ("--out", "w" * 300 + ".warc.gz"), "too long"),
    ("warc", ("--out", "/dev/full"), "No space left"),
    ("reparse", ("--url", "http://x.gov.cn/absent.html"), "absent.html"),
    ("reparse", ("--print",), "--url"),
]


@pytest.mark.parametrize("name,args,says", BAD_INPUTS, ids=[" ".join((n, *a))[:60] for n, a, _ in BAD_INPUTS])
def test_bad_inputs_are_clear_errors(name, args, says, tmp_path, healthy, monkeypatch) -> None:
    if "/dev/full" in args and not Path("/dev/full").exists():
        pytest.fail("/dev/full is needed to stand for a full disk")
    monkeypatch.chdir(tmp_path)
    result = run(getattr(archive_cli, name), "--archive", str(healthy), *args)
    assert result.exit_code != 0, result.output
    assert says in result.output, result.output


def test_an_export_the_disk_cut_short_leaves_no_file(healthy, tmp_path, monkeypatch) -> None:
    from archive import export

    def disk_full(rows, fields, stream):
        stream.write("report_id,document_id\r\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "write_csv", disk_full)
    out = tmp_path / "reports.csv"
    result = run(archive_cli.export, "--archive", str(healthy), "--format", "csv", "--out", str(out))
    assert result.exit_code != 0 and "No space left on device" in result.output
    assert not out.exists()


def test_reparse_never_creates_an_archive(tmp_path) -> None:
    result = run(archive_cli.reparse, "--archive", str(tmp_path / "absent.db"), "--force")
    assert result.exit_code != 0 and "no such archive" in result.output
    assert not (tmp_path / "absent.db").exists()


# -- CSV cells a spreadsheet would run -------------------------------------------------------

def test_csv_export_neutralises_formulas_and_keeps_numbers(healthy, tmp_path) -> None:
    out = tmp_path / "reports.csv"
    assert run(archive_cli.export, "--archive", str(healthy), "--format", "csv", "--out", str(out)).exit_code == 0
    (row,) = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["title"] == "'" + EVIL_TITLE
    assert row["organ"] == "'-某某镇人民政府"
    assert row["report_year"] == "2023"
    numbers = {name: value for name, value in row.items() if value in ("12", "-1.5")}
    assert sorted(numbers.values()) == ["-1.5", "12"]  # numbers stay numbers, also negative ones


@pytest.mark.parametrize("cell,shown", [
    ("=1+1", "'=1+1"), ("+86 10", "'+86 10"), ("-x", "'-x"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("某某镇", "某某镇"), ("", ""), (-3, -3), (2.5, 2.5), (None, None),
])
def test_neutralised_cells(cell, shown) -> None:
    assert neutralised(cell) == shown


# -- a second writer on one archive ----------------------------------------------------------

def test_a_second_writer_waits_for_the_lock_and_loses_no_fetch(tmp_path, monkeypatch) -> None:
    """Two writers store the same bytes at once: the second one saw no body row (the first had
    not committed), waits past SQLite's busy timeout for the lock, and then inserts the body
    idempotently instead of failing on ``UNIQUE constraint failed: bodies.sha256``."""
    monkeypatch.setattr(store, "BUSY_TIMEOUT_SECONDS", 0.2)
    path = tmp_path / "shared.db"
    first, second = Archive(path), Archive(path)
    run_one, run_two = first.start_run({}, "test"), second.start_run({}, "test")
    body = b"<html>the same report, fetched by two crawls</html>"
    first.record_fetch(run_id=run_one, url="http://x.gov.cn/a.html", status=200, body=body)  # batch open
    release = threading.Timer(1.0, first.flush)  # past the second writer's busy timeout
    release.start()
    started = time.monotonic()
    second.record_fetch(run_id=run_two, url="http://x.gov.cn/a.html", status=200, body=body)
    second.flush()
    assert time.monotonic() - started >= 0.9  # it waited instead of failing
    release.join()
    first.close()
    second.close()
    with Archive(path, read_only=True) as db:
        assert db.one("SELECT COUNT(*) AS n FROM fetches")["n"] == 2
        assert db.one("SELECT COUNT(*) AS n FROM bodies")["n"] == 1
        assert db.check() == []


def test_read_only_archive_sees_a_writers_commits(tmp_path) -> None:
    path = make_archive(tmp_path / "a.db")
    shutil.copyfile(path, tmp_path / "b.db")
    with Archive(tmp_path / "b.db", read_only=True) as db:
        assert [r["title"] for r in db.export_records()] == [EVIL_TITLE]


def test_an_older_archive_is_read_as_it_is_and_never_migrated_by_a_reader(tmp_path, healthy) -> None:
    conn = sqlite3.connect(healthy)
    conn.execute("DROP TABLE document_links")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    exported = run(archive_cli.export, "--archive", str(healthy), "--out", "-")
    assert exported.exit_code == 0 and "某某镇2023年政府信息公开工作年度报告" in exported.output
    shown = run(archive_cli.reparse, "--archive", str(healthy), "--url", "http://x.gov.cn/r.html", "--print")
    assert shown.exit_code != 0 and "run ogi migrate" in shown.output
    with Archive(healthy, read_only=True) as db:
        assert db.schema_version == 2
