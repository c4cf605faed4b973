"""Crash safety: a writer killed with SIGKILL at random points loses no committed row."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from archive import Archive
from archive import cli as archive_cli

TRIALS = 20

# A crawl-shaped writer: registry, then report pages (some bodies repeat) with their
# parsed records. After each explicit flush it prints the ids it knows are committed.
WRITER = r"""
import json, sys
from archive import Archive

path, trial = sys.argv[1], int(sys.argv[2])
db = Archive(path, batch_size=7, batch_seconds=0.05, worker=f"w{trial % 3}")
run = db.start_run({"trial": trial}, code_version="crash-test")
db.upsert_portals([{"code": f"p{trial}", "name": "扎赉特旗", "level": "county"}])
print(json.dumps({"run": run}), flush=True)
fetches, documents = [], []
page = 0
while True:
    url = f"http://p{trial}.gov.cn/zfxxgk/ndbg/{page}.html"
    body = ("<html><body>" + "政府信息公开工作年度报告 第%d页 " % (page % 5) * 200
            + "</body></html>").encode("gbk")
    fetch = db.record_fetch(run_id=run, url=url, status=200, body=body,
                            response_headers={"Content-Type": "text/html; charset=gbk"},
                            portal_code=f"p{trial}")
    document = db.record_document(fetch_id=fetch, url=url, record={
        "parser_version": "crash-1", "kind": "report", "title": f"{page}年度报告",
        "report_year": 2023, "values": {"t3.new.total": page, "t2.fees.amount": 1.5},
        "inferred": [], "checks": [{"name": "t3.balance", "scope": "total", "ok": True}],
        "text": "政府信息公开工作年度报告 %d" % page})
    fetches.append(fetch)
    documents.append(document)
    page += 1
    if page % 3 == 0:
        db.set_portal_status(f"p{trial}", "ok", None, run)
        db.flush()
        print(json.dumps({"fetches": fetches, "documents": documents}), flush=True)
        fetches, documents = [], []
"""


def committed_ids(output: str) -> tuple[set[int], set[int], set[int]]:
    runs, fetches, documents = set(), set(), set()
    for line in output.splitlines(keepends=True):
        if not line.endswith("\n"):
            continue  # cut off by the kill: never reported as committed
        message = json.loads(line)
        runs.update([message["run"]] if "run" in message else [])
        fetches.update(message.get("fetches", ()))
        documents.update(message.get("documents", ()))
    return runs, fetches, documents


def test_sigkilled_writer_leaves_a_consistent_archive(tmp_path: Path) -> None:
    path = tmp_path / "archive.db"
    Archive(path).close()
    chooser = random.Random(20261122)
    repo = Path(__file__).resolve().parents[1]
    all_runs, all_fetches, all_documents = set(), set(), set()
    for trial in range(TRIALS):
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(trial)],
            stdout=subprocess.PIPE, text=True, encoding="utf-8", cwd=repo,
        )
        first = writer.stdout.readline()  # the run is open: writes are under way
        assert first, f"trial {trial}: the writer died before starting its run"
        time.sleep(chooser.uniform(0.0, 0.25))
        writer.send_signal(signal.SIGKILL)
        rest = writer.stdout.read()
        writer.wait()
        assert writer.returncode == -signal.SIGKILL

        runs, fetches, documents = committed_ids(first + rest)
        all_runs |= runs
        all_fetches |= fetches
        all_documents |= documents
        result = CliRunner().invoke(archive_cli.check, ["--archive", str(path)])
        assert result.exit_code == 0, f"trial {trial}: {result.output}"

        conn = sqlite3.connect(path)
        present_runs = {r for (r,) in conn.execute("SELECT id FROM crawl_runs")}
        present_fetches = {r for (r,) in conn.execute("SELECT id FROM fetches")}
        present_documents = {r for (r,) in conn.execute("SELECT id FROM documents")}
        conn.close()
        assert all_runs <= present_runs, f"trial {trial}: committed runs lost"
        assert all_fetches <= present_fetches, f"trial {trial}: committed fetches lost"
        assert all_documents <= present_documents, f"trial {trial}: committed documents lost"

    assert len(all_runs) == TRIALS  # each run continued the same archive
    assert len(all_fetches) > TRIALS  # the kills landed after real work, not before it
    with Archive(path) as db:
        deduplicated = db.one("SELECT COUNT(*) AS n FROM bodies")["n"]
        orphans = db.one(
            "SELECT COUNT(*) AS n FROM documents WHERE id NOT IN (SELECT document_id FROM reports)"
        )["n"]
    assert deduplicated <= 5 * TRIALS  # five distinct pages per portal, stored once each
    assert orphans == 0  # a document and its parse are committed together or not at all
