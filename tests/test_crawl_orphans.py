"""A running crawl listens on no port (no remote control), and after kill -9 none of its
processes is left after 10 s (issue 14.4, 14.8).

A real ``scrapy crawl`` of the replica, looked at and then killed once its parser worker is at
work. psutil is not installed: processes and sockets are read from /proc.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_crawl_replica import ROOT, TEST_SETTINGS


def _status(pid: int) -> dict[str, str] | None:
    """A process's /proc status fields, or None once it is gone (a zombie counts as gone)."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
    return None if fields.get("State", "").startswith("Z") else fields


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (status := _status(int(entry))) is not None:
            children.setdefault(int(status["PPid"]), []).append(int(entry))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def parser_workers(crawl: int) -> set[int]:
    """Processes started as the parser workers of process ``crawl`` (their argv names it)."""
    return {int(entry) for entry in os.listdir("/proc") if entry.isdigit()
            and _cmdline(int(entry))[1:4] == ["-m", "crawler.parsing", str(crawl)] and _status(int(entry))}


def listening_ports(pid: int) -> set[int]:
    """TCP ports process ``pid`` listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


@pytest.fixture(scope="module")
def mid_crawl(replica_factory, tmp_path_factory):
    """A crawl of the replica caught mid-way: documents are being parsed, pages still fetched."""
    tmp_path = tmp_path_factory.mktemp("mid-crawl")
    replica = replica_factory(seed=2, faults=True)
    registry = tmp_path / "portals.csv"
    registry.write_text(replica.network.registry_csv(), encoding="utf-8")
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={tmp_path / 'archive.db'}"]
    for name, value in TEST_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    env = {**os.environ, "http_proxy": replica.proxy_url, "HTTP_PROXY": replica.proxy_url}
    log = (tmp_path / "crawl.log").open("w")
    crawl = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        before = len(replica.request_log)
        while not (parser_workers(crawl.pid) and len(replica.request_log) - before > 100):
            assert crawl.poll() is None, "the crawl ended before it was caught mid-way"
            assert time.monotonic() < deadline, "the crawl started no parser worker within 120 s"
            time.sleep(0.1)
        yield crawl
    finally:
        crawl.kill()
        crawl.wait(timeout=10)


def test_a_running_crawl_listens_on_no_port(mid_crawl):
    assert mid_crawl.poll() is None
    assert listening_ports(mid_crawl.pid) == set()
    for worker in parser_workers(mid_crawl.pid):
        assert listening_ports(worker) == set()


def test_a_crawl_killed_with_sigkill_leaves_no_process_behind(mid_crawl):
    family = descendants(mid_crawl.pid)
    assert parser_workers(mid_crawl.pid) <= family
    mid_crawl.send_signal(signal.SIGKILL)
    mid_crawl.wait(timeout=10)
    deadline = time.monotonic() + 10
    while (left := {pid for pid in family if _status(pid) is not None}) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert {pid: " ".join(_cmdline(pid)) for pid in left} == {}
    assert parser_workers(mid_crawl.pid) == set()
