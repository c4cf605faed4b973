"""pywb replays a report from `ogi wacz` output with the archived bytes.

pywb pins redis 2.10 and the distributed crawl needs redis 5, so pywb lives in its own
virtualenv: ``.venv-pywb`` at the repository root (``.ci/run`` creates it), or the directory
holding ``wb-manager`` and ``wayback`` named by ``OGI_PYWB_BIN``. pywb 2.10 adds a WACZ only
with ``--unpack-wacz`` (it copies the package's WARC out and indexes it itself).
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from test_research_archive import research_archive  # noqa: F401 - shared fixture
from test_research_wacz import package, timestamp14  # noqa: F401 - shared fixture

from archive import Archive

PYWB_BIN = Path(os.environ.get("OGI_PYWB_BIN", Path(__file__).parents[1] / ".venv-pywb" / "bin"))
COLLECTION = "replica"
# Loopback only, and never through a proxy the environment may name.
LOOPBACK = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def pywb_tools() -> tuple[str, str]:
    """``wb-manager`` and ``wayback``, checked before the replica crawl is built for them."""
    tools = [PYWB_BIN / "wb-manager", PYWB_BIN / "wayback"]
    for tool in tools:
        if not tool.is_file():
            reason = (f"{tool} is missing: .ci/run creates .venv-pywb"
                      " (or set OGI_PYWB_BIN to the bin directory of a pywb 2.10 virtualenv)")
            if os.environ.get("CI"):  # CI must run this, not skip it
                pytest.fail(reason)
            pytest.skip(reason)
    return str(tools[0]), str(tools[1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with LOOPBACK.open(url, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def memento_timestamp(headers: dict) -> str:
    """The capture pywb served, as a 14-digit timestamp."""
    return parsedate_to_datetime(headers["Memento-Datetime"]).strftime("%Y%m%d%H%M%S")


@pytest.fixture(scope="module")
def wayback(pywb_tools: tuple[str, str], package: Path, tmp_path_factory) -> str:  # noqa: F811
    """Base URL of pywb's `wayback` serving the package as collection ``replica``.

    Replay only: no ``--live``/``--record``/``--proxy`` and pywb's default config has no live
    collection, so every answer comes from the indexed WARC.
    """
    wb_manager, wayback_bin = pywb_tools
    root = tmp_path_factory.mktemp("pywb")
    for args in (["init", COLLECTION], ["add", "--unpack-wacz", COLLECTION, str(package)]):
        done = subprocess.run([wb_manager, *args], cwd=root, capture_output=True, text=True,
                              timeout=300, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    assert list((root / "collections" / COLLECTION / "archive").glob("*.warc.gz"))
    port = free_port()
    log = (root / "wayback.log").open("wb")
    server = subprocess.Popen([wayback_bin, "-b", "127.0.0.1", "-p", str(port), "-d", str(root)],
                              cwd=root, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (root / "wayback.log").read_text(errors="replace")
            try:
                if get(base + "/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "wayback did not answer within 60 s"
            time.sleep(0.3)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def test_pywb_replays_each_capture_of_a_report_with_the_archived_bytes(
        wayback: str, research_archive: Path) -> None:  # noqa: F811
    with Archive(research_archive) as db:
        url = db.one(
            "SELECT documents.url FROM current JOIN documents ON documents.id = current.document_id"
            " JOIN fetches ON fetches.id = current.fetch_id"
            " WHERE current.kind = 'report' AND fetches.content_type LIKE 'application/pdf%'"
            " ORDER BY current.id LIMIT 1")["url"]
        captures = list(db.query(
            "SELECT fetched_at, sha256 FROM fetches WHERE final_url = ? AND status = 200"
            " ORDER BY fetched_at", [url]))
        archived = {row["sha256"]: db.body(row["sha256"]) for row in captures}
    # the same bytes twice: the recrawl's capture is a revisit record in the WARC
    assert len(captures) == 2 and captures[0]["sha256"] == captures[1]["sha256"]
    for capture in captures:
        # id_ asks for the original bytes, without pywb's rewriting or banner
        at = timestamp14(capture["fetched_at"])
        status, headers, body = get(f"{wayback}/{COLLECTION}/{at}id_/{url}")
        assert status == 200 and headers["Content-Type"] == "application/pdf"
        assert hashlib.sha256(body).hexdigest() == capture["sha256"]
        assert body == archived[capture["sha256"]]
        assert memento_timestamp(headers) == at
    status, headers, body = get(f"{wayback}/{COLLECTION}/id_/{url}")  # no timestamp: the latest
    assert status == 200 and hashlib.sha256(body).hexdigest() == captures[-1]["sha256"]
    assert memento_timestamp(headers) == timestamp14(captures[-1]["fetched_at"])


def test_pywb_answers_only_from_the_archive(wayback: str, research_archive: Path) -> None:  # noqa: F811
    with Archive(research_archive) as db:
        url = db.one("SELECT url FROM documents ORDER BY id LIMIT 1")["url"]
    status, _headers, _body = get(f"{wayback}/{COLLECTION}/id_/{url}.never-archived")
    assert status == 404  # not fetched from the live web
