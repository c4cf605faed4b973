"""Distributed crawling on Redis: several `scrapy crawl county_portals` workers, one frontier.

A real ``redis-server`` runs on a free loopback port; workers are ``scrapy crawl`` subprocesses
with ``REDIS_URL`` and their own ``OGI_ARCHIVE``, exactly as on several machines; their shards
are merged with ``ogi merge``. The replica's request log says what was fetched, and how often.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from conftest import unavailable
from tests.test_crawl_replica import ROOT, TEST_SETTINGS

try:
    import redis
except ImportError:
    unavailable("the redis client is needed: pip install 'redis>=5'")

# At least 50 portals (issue 8); OGI_TEST_DISTRIBUTED_PORTALS=200 for a longer run.
PORTALS = int(os.environ.get("OGI_TEST_DISTRIBUTED_PORTALS", "50"))
SEED = 4
WORKER_TIMEOUT = 900
# Short leases, so that a killed worker's portals are taken over within seconds.
DISTRIBUTED_SETTINGS = {**TEST_SETTINGS, "OGI_PORTAL_LEASE_SECONDS": "3", "LOG_LEVEL": "INFO"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_binary() -> str:
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server; .ci/run installs it)")
    return binary


def start_redis(port: int, directory: Path) -> subprocess.Popen:
    """A redis-server on 127.0.0.1:``port``, answering."""
    server = subprocess.Popen(
        [redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(directory)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return server
        except redis.ConnectionError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"redis-server did not start on 127.0.0.1:{port}")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port = _free_port()
    server = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(scope="module")
def network(replica_factory, tmp_path_factory):
    replica = replica_factory(seed=SEED, portals=PORTALS)
    registry = tmp_path_factory.mktemp("registry") / "portals.csv"
    registry.write_text(replica.network.registry_csv(), encoding="utf-8")
    return replica, registry


def start_worker(replica, registry: Path, archive: Path, *, redis_url: str | None = None,
                 crawl: str = "", worker: str = "") -> subprocess.Popen:
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}"]
    for name, value in DISTRIBUTED_SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    if worker:
        command += ["-s", f"OGI_WORKER={worker}"]
    if crawl:
        command += ["-s", f"OGI_CRAWL_NAME={crawl}"]
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "OGI_ARCHIVE")}
    env |= {"http_proxy": replica.proxy_url, "HTTP_PROXY": replica.proxy_url}
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = archive.with_suffix(".log").open("w")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def finish(worker: subprocess.Popen, archive: Path) -> None:
    returncode = worker.wait(timeout=WORKER_TIMEOUT)
    log = archive.with_suffix(".log").read_text()
    assert returncode == 0, log[-3000:]
    assert "Spider closed (finished)" in log, log[-3000:]


def report_urls(archive: Path) -> set[str]:
    with sqlite3.connect(archive) as db:
        return {url for (url,) in db.execute("SELECT url FROM documents WHERE kind IN ('report', 'image_only')")}


def portal_statuses(archive: Path) -> dict[str, str]:
    with sqlite3.connect(archive) as db:
        return dict(db.execute("SELECT code, status FROM portals WHERE level IN ('county', 'township')"))


def finished_portals(archive: Path) -> set[str]:
    with sqlite3.connect(archive) as db:
        return {code for (code,) in db.execute("SELECT portal_code FROM portal_runs")}


def merge(shards: list[Path], into: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ogi.cli", "merge", *map(str, shards), "--into", str(into)],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def crawled_codes(replica) -> set[str]:
    return {p["code"] for p in replica.truth["portals"] if p["level"] in ("county", "township")}


@pytest.fixture(scope="module")
def single_archive(network, tmp_path_factory) -> Path:
    """A plain one-machine crawl (no Redis) of the same network."""
    replica, registry = network
    archive = tmp_path_factory.mktemp("single") / "single.db"
    worker = start_worker(replica, registry, archive)
    finish(worker, archive)
    assert finished_portals(archive) == crawled_codes(replica)
    return archive


@pytest.fixture(scope="module")
def single_worker(single_archive) -> set[str]:
    """Report documents of the one-machine crawl."""
    return report_urls(single_archive)


@pytest.mark.timeout(1500)  # a 50-portal crawl is minutes of parsing per run
def test_two_workers_find_exactly_the_reports_of_one_and_fetch_nothing_twice(
        network, single_archive, single_worker, redis_url, tmp_path):
    replica, registry = network
    before = len(replica.request_log)
    shards = [tmp_path / "worker-1.db", tmp_path / "worker-2.db"]
    workers = [start_worker(replica, registry, shard, redis_url=redis_url, crawl="two-workers",
                            worker=f"w{n}") for n, shard in enumerate(shards, 1)]
    for worker, shard in zip(workers, shards, strict=True):
        finish(worker, shard)
    requests = replica.request_log[before:]
    merged = tmp_path / "merged.db"
    merge(shards, merged)

    assert single_worker and report_urls(merged) == single_worker
    # each portal's status is the one its finishing run gave it, as one worker would have
    assert portal_statuses(merged) == portal_statuses(single_archive)
    # both workers did part of the work, and the shards carry their worker's name
    shares = [len(report_urls(shard)) for shard in shards]
    assert all(shares), shares
    with sqlite3.connect(merged) as db:
        assert {w for (w,) in db.execute("SELECT DISTINCT worker FROM fetches")} == {"w1", "w2"}
        documents = {url for (url,) in db.execute("SELECT url FROM documents")}
    fetched = Counter(r["url"] for r in requests if r["method"] == "GET")
    assert {url: n for url, n in fetched.items() if url in documents and n > 1} == {}
    # every portal finished, recorded by the worker that finished it, once
    client = redis.Redis.from_url(redis_url)
    assert {code.decode() for code in client.smembers("two-workers:finished")} == crawled_codes(replica)
    assert finished_portals(shards[0]) | finished_portals(shards[1]) == crawled_codes(replica)
    assert finished_portals(shards[0]) & finished_portals(shards[1]) == set()


@pytest.mark.timeout(1500)  # a 50-portal crawl is minutes of parsing per run
def test_a_killed_worker_loses_no_portal(network, single_worker, redis_url, tmp_path):
    replica, registry = network
    before = len(replica.request_log)
    shards = [tmp_path / "worker-1.db", tmp_path / "worker-2.db", tmp_path / "worker-3.db"]
    victim = start_worker(replica, registry, shards[0], redis_url=redis_url, crawl="killed", worker="victim")
    survivor = start_worker(replica, registry, shards[1], redis_url=redis_url, crawl="killed", worker="survivor")
    deadline = time.monotonic() + WORKER_TIMEOUT
    while len(replica.request_log) - before < 8 * PORTALS:  # about a fifth of the crawl
        assert time.monotonic() < deadline and victim.poll() is None, "the crawl ended before the kill"
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    restarted = start_worker(replica, registry, shards[2], redis_url=redis_url, crawl="killed", worker="restarted")
    finish(survivor, shards[1])
    finish(restarted, shards[2])

    client = redis.Redis.from_url(redis_url)
    assert {code.decode() for code in client.smembers("killed:finished")} == crawled_codes(replica)
    assert set().union(*(finished_portals(shard) for shard in shards)) == crawled_codes(replica)
    assert client.hlen("killed:reseeds") > 0, "the kill should have lost some portal's requests"
    merged = tmp_path / "merged.db"
    merge(shards, merged)
    assert single_worker - report_urls(merged) == set()
    truth = replica.truth["reports"]
    urls = report_urls(merged)
    missing = [r["url"] for r in truth if r["url"] not in urls and not set(r.get("also_at") or ()) & urls]
    assert len(missing) <= len(truth) // 100, missing


# -- the pieces, against the same redis-server -----------------------------------------------


def test_a_new_generation_is_not_a_duplicate_of_the_first_crawl(redis_url):
    from scrapy import Request

    from crawler.distributed import GENERATION_META, GenerationDupeFilter

    seen = GenerationDupeFilter(redis.Redis.from_url(redis_url), key="dupes-test")
    home = "http://www.example.gov.cn/"
    assert not seen.request_seen(Request(home))
    assert seen.request_seen(Request(home, meta={GENERATION_META: 1}))
    assert not seen.request_seen(Request(home, meta={GENERATION_META: 2}))
    assert seen.request_seen(Request(home, meta={GENERATION_META: 2}))


def test_the_host_gate_holds_the_limit_across_workers_and_frees_a_dead_one(redis_url):
    from crawler.distributed import HostGateMiddleware

    server = redis.Redis.from_url(redis_url)
    # two workers' gates on one host, two requests at most, entries expiring after 1 s
    first, second = (HostGateMiddleware(server, "gate-test", limit=2, hold_seconds=1, poll_seconds=0.05)
                     for _ in range(2))
    host = "www.example.gov.cn"
    assert first.try_acquire(host, "a") and second.try_acquire(host, "b")
    assert not second.try_acquire(host, "c")
    assert first.try_acquire("other.example.gov.cn", "d")  # other hosts are not held up
    first.release(host, "a")
    assert second.try_acquire(host, "c")
    assert not first.try_acquire(host, "e")
    time.sleep(1.2)  # "b" and "c" belong to a worker that died: their entries expire
    assert first.try_acquire(host, "e")


def test_the_ledger_finishes_a_portal_once_and_lets_one_worker_claim_it(redis_url):
    from crawler.distributed import RedisLedger

    server = redis.Redis.from_url(redis_url)
    one, other = (RedisLedger(server, "ledger-test", worker, lease_seconds=1) for worker in ("w1", "w2"))
    one.add("150124", 1, "a")
    other.add("150124", 1, "b")
    assert not one.done("150124", 1, "a")
    assert not one.done("150124", 1, "a")   # counted off twice (a call retried after a lost reply): once
    assert other.done("150124", 1, "b")     # the last request done finishes the portal
    assert not one.done("150124", 1, "b")   # a late duplicate does not finish it again
    assert one.finished() == {"150124"}
    one.add("150424", 1, "c")               # its requests die with worker w1
    assert one.claim("150424") is None and other.claim("150424") is None  # w1's lease holds
    time.sleep(1.1)
    assert other.claim("150424") == 1 and one.claim("150424") is None


def test_the_ledger_waits_out_a_redis_restart_and_counts_the_retries(tmp_path):
    from scrapy.utils.test import get_crawler
    from tenacity import Retrying

    from crawler import settings as project_settings
    from crawler.distributed import RedisLedger, project_redis, redis_retries

    port = _free_port()
    server = start_redis(port, tmp_path)
    crawler = get_crawler(settings_dict={"OGI_REDIS_RETRY_ATTEMPTS": project_settings.OGI_REDIS_RETRY_ATTEMPTS,
                                         "OGI_REDIS_RETRY_MAX_WAIT": project_settings.OGI_REDIS_RETRY_MAX_WAIT,
                                         "REDIS_URL": f"redis://127.0.0.1:{port}/0"})
    crawler.stats.open_spider()
    ledger = RedisLedger(project_redis(crawler.settings), "restart-test", "w1", lease_seconds=60,
                         call=Retrying(**redis_retries(crawler)))
    ledger.add("150124", 1, "a")
    server.kill()
    server.wait(timeout=10)
    restarted = []
    restart = threading.Timer(0.5, lambda: restarted.append(start_redis(port, tmp_path)))
    restart.start()
    try:
        ledger.add("150124", 1, "b")  # Redis is down for half a second: retried, not lost
        restart.join()
        assert ledger.done("150124", 1, "b")  # the restart lost "a" (no persistence); "b" is there
        assert crawler.stats.get_value("ogi/redis_retries") >= 1
    finally:
        restart.join()
        for process in restarted:
            process.terminate()
            process.wait(timeout=10)
