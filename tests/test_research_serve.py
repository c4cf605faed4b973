"""`ogi serve`: Datasette over the archive, read-only, answering on a free loopback port."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html as lxml_html
from test_research_archive import research_archive  # noqa: F401 - shared fixture

from archive import Archive, research
from archive.browse import CANNED_QUERIES

OGI = str(Path(sys.executable).parent / "ogi")
STARTUP_LIMIT = 60  # seconds to wait for the server before giving up (not a speed check)
CHROMIUM = "/usr/bin/chromium"  # Debian's package; .ci/run installs it when missing


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(base + path, timeout=30) as reply:
        return reply.status, dict(reply.headers), reply.read()


def get_json(base: str, path: str) -> dict:
    return json.loads(get(base, path)[2])


@pytest.fixture(scope="module")
def served(research_archive: Path, tmp_path_factory) -> Iterator[str]:  # noqa: F811
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [OGI, "serve", "--archive", str(research_archive), "--port", str(port)],
            stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(STARTUP_LIMIT * 4):
            if process.poll() is not None:
                pytest.fail(f"ogi serve exited: {log.read_text()}")
            try:
                get(base, "/-/versions.json")
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.25)
        else:
            pytest.fail(f"ogi serve did not answer within {STARTUP_LIMIT} s: {log.read_text()}")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_reports_table_answers_with_data_and_facets(served: str,
                                                    research_archive: Path) -> None:  # noqa: F811
    with Archive(research_archive) as db:
        current = {r["id"]: r for r in db.query("SELECT id, organ, kind FROM current")}
        reports = db.one("SELECT COUNT(*) AS n FROM current WHERE kind = 'report'")["n"]
        expected_provinces = {r["province"] for r in db.query(
            "SELECT DISTINCT portals.province FROM current"
            " JOIN documents ON documents.id = current.document_id"
            " JOIN portals ON portals.code = documents.portal_code WHERE current.kind = 'report'")}
    page = get_json(served, "/research/reports.json?_shape=objects&_size=max&kind=report")
    rows = page["rows"]
    assert len(rows) == reports > 0
    assert all(current[row["report_id"]]["organ"] == row["organ"] for row in rows)
    assert {"province", "report_year", "organ_level", "kind"} <= set(page["facet_results"])
    provinces = {f["value"] for f in page["facet_results"]["province"]["results"]}
    assert provinces == expected_provinces and len(provinces) > 1


def test_column_descriptions_come_from_the_codebook(served: str) -> None:
    html = get(served, "/research/reports?_size=1")[2].decode("utf-8")
    assert "Division code of the portal the report was found on" in html
    values = get_json(served, "/research/report_values.json?_shape=objects&key=t3.new.total"
                              "&_size=1")["rows"]
    assert values[0]["label_zh"] == "一、本年新收政府信息公开申请数量 / 总计"


def test_full_text_search_finds_report_text(served: str) -> None:
    query = urllib.parse.quote("依申请公开")
    page = get_json(served, f"/archive/report_text.json?_shape=objects&_search={query}")
    assert page["rows"] and all("依申请公开" in row["text"] for row in page["rows"])


def test_report_links_to_source_url_and_archived_bytes(served: str,
                                                       research_archive: Path) -> None:  # noqa: F811
    row = get_json(served, "/research/reports.json?_shape=objects&_size=1&kind=report"
                           "&content_type__startswith=application/pdf")["rows"][0]
    status, headers, body = get(served, f"/-/ogi/body/{row['sha256']}")
    assert status == 200 and hashlib.sha256(body).hexdigest() == row["sha256"]
    assert headers["content-type"] == "application/pdf"
    assert headers["Content-Security-Policy"] == "sandbox"
    html = get(served, f"/research/reports/{row['report_id']}")[2].decode("utf-8")
    assert f'href="/-/ogi/body/{row["sha256"]}"' in html
    assert f'href="{row["source_url"]}"'.replace("&", "&amp;") in html
    with pytest.raises(urllib.error.HTTPError) as missing:
        get(served, "/-/ogi/body/" + "0" * 64)
    assert missing.value.code == 404


def test_archive_is_not_writable_through_datasette(served: str, research_archive: Path) -> None:  # noqa: F811
    before = hashlib.sha256(research_archive.read_bytes()).hexdigest()
    query = urllib.parse.quote("DELETE FROM portals")
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(served, f"/archive.json?sql={query}")
    assert refused.value.code == 400
    assert hashlib.sha256(research_archive.read_bytes()).hexdigest() == before
    with Archive(research_archive) as db:
        assert db.one("SELECT COUNT(*) AS n FROM portals")["n"] > 0


def rendered_dom(url: str, profile: Path) -> lxml_html.HtmlElement:
    """The page as headless Chromium renders it (Debian's chromium, no network but loopback)."""
    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs the chromium package")
        pytest.skip(f"{CHROMIUM} is not installed")
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--no-first-run", f"--user-data-dir={profile}", "--dump-dom", url],
        capture_output=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return lxml_html.fromstring(result.stdout.decode("utf-8"))  # --dump-dom writes UTF-8


def test_browser_opens_home_on_the_research_database(served: str, tmp_path: Path) -> None:
    dom = rendered_dom(served + "/", tmp_path / "profile")
    text = dom.text_content()
    assert "Research database / 研究数据库" in text
    listed = {a.text_content().strip() for a in dom.cssselect("a")}
    assert {query["title"] for query in CANNED_QUERIES.values()} <= listed
    assert {"reports", "report_units", "report_values"} <= listed


def test_browser_shows_the_late_reports(served: str, research_archive: Path,  # noqa: F811
                                        tmp_path: Path) -> None:
    with Archive(research_archive) as db:
        late = research.views(db, ["timeliness"])["timeliness"]["late"]
    dom = rendered_dom(served + "/research/late_reports", tmp_path / "profile")
    table_rows = dom.cssselect("table.rows-and-columns tbody tr")
    shown = sorted((tr.cssselect("td.col-organ")[0].text_content().strip(),
                    int(tr.cssselect("td.col-report_year")[0].text_content()),
                    tr.cssselect("td.col-published_on")[0].text_content().strip())
                   for tr in table_rows)
    assert shown == sorted((r["organ"], r["report_year"], r["published_on"]) for r in late)
    assert shown
    links = [a.get("href") for a in dom.cssselect("td.col-sha256 a")]
    assert len(links) == len(table_rows) and all(h.startswith("/-/ogi/body/") for h in links)
