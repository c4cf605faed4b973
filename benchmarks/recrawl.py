"""Re-crawl benchmark: a second crawl of an unchanged network against the first.

    python benchmarks/recrawl.py [--portals 20] [--seed 1]

Both crawls run ``scrapy crawl county_portals`` (politeness off) through the replica's
proxy into the same archive. Printed: requests, body bytes served and wall time of each
crawl, and the second as a fraction of the first (issue 6: at most 10% of the bytes).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, this folder comes first on sys.path and benchmarks/archive.py would
# shadow the archive package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
FAST = {"AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "CONCURRENT_REQUESTS": "32",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8", "DOWNLOAD_TIMEOUT": "20", "LOG_LEVEL": "WARNING"}


def crawl(replica, registry: Path, archive: Path) -> dict:
    command = [sys.executable, "-m", "scrapy", "crawl", "county_portals", "-a", f"portals={registry}",
               "-s", f"OGI_ARCHIVE={archive}"]
    for name, value in FAST.items():
        command += ["-s", f"{name}={value}"]
    before = len(replica.request_log)
    started = time.monotonic()
    subprocess.run(command, cwd=ROOT, env={**os.environ, "http_proxy": replica.proxy_url}, check=True)
    seconds = time.monotonic() - started
    log = replica.request_log[before:]
    return {"requests": len(log), "bytes": sum(entry["size"] for entry in log), "seconds": seconds,
            "not_modified": sum(1 for entry in log if entry["status"] == 304)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from crawler.replica.network import build_network
    from crawler.replica.server import serve_in_thread

    network = build_network(seed=args.seed, portals=args.portals)
    replica = serve_in_thread(network)
    workdir = Path(tempfile.mkdtemp(prefix="ogi-recrawl-"))
    registry = workdir / "portals.csv"
    registry.write_text(network.registry_csv(), encoding="utf-8")
    try:
        first = crawl(replica, registry, workdir / "archive.db")
        second = crawl(replica, registry, workdir / "archive.db")
    finally:
        replica.stop()
    print(f"replica: seed {args.seed}, {args.portals} county portals, {len(network.reports)} report documents")
    print(f"{'crawl':<8}{'requests':>10}{'304s':>8}{'body bytes':>14}{'seconds':>10}")
    for name, run in (("first", first), ("second", second)):
        print(f"{name:<8}{run['requests']:>10}{run['not_modified']:>8}{run['bytes']:>14}{run['seconds']:>10.1f}")
    print(f"second / first: requests {second['requests'] / first['requests']:.3f}, "
          f"bytes {second['bytes'] / first['bytes']:.3f} (goal <= 0.10), "
          f"wall time {second['seconds'] / first['seconds']:.3f}")


if __name__ == "__main__":
    main()
