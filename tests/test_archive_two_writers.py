"""Two crawls writing one archive at once lose no fetch (issue 14, point 3).

Both crawl the replica into the same SQLite file; every request the replica answered must
be an archived fetch (a redirect is archived as one fetch of its first URL, with the URL
it ended at), and neither crawl may log a lost item.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from test_crawl_replica import CRAWL_TIMEOUT, ROOT, TEST_SETTINGS

LOST_ITEM = ("Error processing", "UNIQUE constraint failed", "database is locked")


def crawl_command(registry: Path, archive: Path) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}"]
    for name, value in TEST_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    return command


def test_two_crawls_into_one_archive_lose_no_fetch(replica_factory, tmp_path: Path) -> None:
    replica = replica_factory(seed=2, portals=3)
    registry = tmp_path / "portals.csv"
    registry.write_text(replica.network.registry_csv(), encoding="utf-8")
    archive = tmp_path / "shared.db"
    env = {**os.environ, "http_proxy": replica.proxy_url, "HTTP_PROXY": replica.proxy_url}
    before = len(replica.request_log)
    crawls = [subprocess.Popen(crawl_command(registry, archive), cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True) for _ in range(2)]
    logs = [crawl.communicate(timeout=CRAWL_TIMEOUT)[1] for crawl in crawls]
    assert [crawl.returncode for crawl in crawls] == [0, 0], [log[-2000:] for log in logs]
    for log in logs:
        assert not [line for line in log.splitlines() if any(word in line for word in LOST_ITEM)]

    answered = Counter(r["url"] for r in replica.request_log[before:] if not r["path"].startswith("/robots.txt"))
    db = sqlite3.connect(archive)
    archived = Counter()
    for url, final_url, status in db.execute("SELECT url, final_url, status FROM fetches"):
        archived[url] += 1
        if final_url != url and status is not None and not 300 <= status < 400:
            archived[final_url] += 1  # the redirect's target answered too
    assert len(list(db.execute("SELECT DISTINCT run_id FROM fetches"))) == 2
    assert sum(answered.values()) > 100
    assert archived == answered
