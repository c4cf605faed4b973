"""`ogi bundle`: a dataset release whose SHA256SUMS verify."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
from click.testing import CliRunner
from test_research_archive import research_archive, run_cli  # noqa: F401 - shared fixture

from archive import Archive
from archive import cli as archive_cli
from archive.bundle import SUMS, verify_sums
from conftest import unavailable

RELEASE_FILES = {"README.md", SUMS, "archive.db", "reports.csv", "values.csv",
                 "reports.parquet", "values.parquet", "documents.jsonl", "codebook.md",
                 "codebook.csv"}


def test_bundle_sums_verify_and_database_is_whole(research_archive: Path,  # noqa: F811
                                                  tmp_path: Path) -> None:
    release = tmp_path / "release"
    run_cli(archive_cli.bundle, "--archive", str(research_archive), "--out", str(release))
    assert {p.name for p in release.iterdir()} == RELEASE_FILES
    listed = [line.split("  ", 1)[1] for line in (release / SUMS).read_text().splitlines()]
    assert sorted(listed) == sorted(RELEASE_FILES - {SUMS})
    assert verify_sums(release) == []
    # the release verifies with the tool a reader has too (before anything opens the database)
    sha256sum = shutil.which("sha256sum")
    if sha256sum is not None:
        checked = subprocess.run([sha256sum, "-c", SUMS], cwd=release, capture_output=True, text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    with Archive(research_archive) as original, Archive(release / "archive.db") as copy:
        assert copy.check() == []
        for table in ("fetches", "bodies", "reports", "report_values"):
            sql = f"SELECT COUNT(*) AS n FROM {table}"
            assert copy.one(sql) == original.one(sql)
        reports = original.one("SELECT COUNT(*) AS n FROM current WHERE kind = 'report'")["n"]
        run_uids = [r["uid"] for r in original.query("SELECT uid FROM crawl_runs")]
    assert not (release / "archive.db-wal").exists()
    assert len(pd.read_csv(release / "reports.csv", encoding="utf-8-sig")) == reports
    assert len(pd.read_parquet(release / "reports.parquet")) == reports
    readme = (release / "README.md").read_text("utf-8")
    assert all(f"`{uid[:8]}`" in readme for uid in run_uids) and len(run_uids) == 2
    assert '"epoch": 2' in readme
    if sha256sum is None:  # everything else is checked; the reader's tool could not be
        unavailable("sha256sum (coreutils) is not installed")


def test_tampered_or_missing_file_fails_verification(research_archive: Path,  # noqa: F811
                                                     tmp_path: Path) -> None:
    release = tmp_path / "release"
    run_cli(archive_cli.bundle, "--archive", str(research_archive), "--out", str(release))
    conn = sqlite3.connect(release / "archive.db")
    conn.execute("DELETE FROM report_checks")
    conn.commit()
    conn.close()
    (release / "values.csv").unlink()
    assert verify_sums(release) == ["archive.db: checksum differs", "values.csv: missing"]


def test_bundle_with_warc_and_refusing_a_used_directory(research_archive: Path,  # noqa: F811
                                                        tmp_path: Path) -> None:
    release = tmp_path / "release"
    run_cli(archive_cli.bundle, "--archive", str(research_archive), "--out", str(release),
            "--warc")
    assert (release / "archive.warc.gz").stat().st_size > 0 and verify_sums(release) == []
    index = (release / "archive.cdxj").read_text(encoding="utf-8").splitlines()
    assert index and all('"filename": "archive.warc.gz"' in line for line in index)
    assert "`archive.cdxj`" in (release / "README.md").read_text(encoding="utf-8")
    again = CliRunner().invoke(archive_cli.bundle, ["--archive", str(research_archive),
                                                    "--out", str(release)])
    assert again.exit_code == 2 and "is not empty" in again.output
