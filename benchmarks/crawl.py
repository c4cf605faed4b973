"""Crawl benchmark: the focused county_portals crawl against a plain breadth-first crawl.

    python benchmarks/crawl.py [--portals 200] [--seed 1] [--depth 8] [--parse-processes N]

Both crawls run on the same replica network (politeness off, robots.txt obeyed, the same
portal domains) in child processes through the replica's proxy, whose attachment files are
rendered before either starts (a real portal serves them as static files). Printed per crawl:
requests, seconds from the first request to the last and pages per second over them, seconds
end to end (the focused crawl goes on parsing what it fetched after its last request), truth
report documents found, requests per report found; then the ratios (goal: the focused crawl
needs at most a fifth of the breadth-first crawl's requests per report and fetches at least
half as many pages per second), and the focused crawl's pages per second end to end against
its fetching pages per second (goal: at least 0.7: parsing keeps up with fetching). Last,
the focused crawl of a network whose columns a script fills (--render-portals): pages
rendered in the browser and seconds per rendered page.
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
FAST = {
    "AUTOTHROTTLE_ENABLED": False, "DOWNLOAD_DELAY": 0, "CONCURRENT_REQUESTS": 32,
    "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "DOWNLOAD_TIMEOUT": 20, "RETRY_BACKOFF_BASE": 0.1,
    "LOG_LEVEL": "WARNING",
}


def run_focused(registry: str, out: str, parse_processes: int | None) -> None:
    from scrapy.crawler import CrawlerProcess

    from crawler.cli import crawl_settings

    overrides = FAST if parse_processes is None else {**FAST, "OGI_PARSE_PROCESSES": parse_processes}
    process = CrawlerProcess(crawl_settings(Path(out) / "archive.db", overrides))
    process.crawl("county_portals", portals=registry)
    process.start()


def run_breadth_first(registry: str, out: str, depth: int) -> None:
    """Every in-scope link from every portal home, breadth first, to ``depth``; no parsing."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor

    from crawler.registry import load_registry
    from crawler.scope import registrable_domain

    portals = [p for p in load_registry(registry).portals if p.level in ("county", "township")]
    domains = sorted({registrable_domain(p.host) for p in portals})

    class BreadthFirst(scrapy.Spider):
        name = "breadth_first"
        allowed_domains = domains
        extractor = LinkExtractor(allow_domains=domains, deny_extensions=[])

        async def start(self):
            for portal in portals:
                yield scrapy.Request(portal.url)

        def parse(self, response):
            if not isinstance(response, scrapy.http.TextResponse):
                return
            for link in self.extractor.extract_links(response):
                yield response.follow(link.url)

    settings = {**FAST, "ROBOTSTXT_OBEY": True, "DEPTH_LIMIT": depth, "DEPTH_PRIORITY": 1,
                "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
                "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
                "DOWNLOAD_MAXSIZE": 64 * 1024 * 1024, "USER_AGENT": "ogi-archive-benchmark"}
    process = CrawlerProcess(settings)
    process.crawl(BreadthFirst)
    process.start()


def found_reports(truth: dict, urls: set[str]) -> int:
    return sum(1 for r in truth["reports"] if r["url"] in urls or set(r.get("also_at") or ()) & urls)


def measure(kind: str, replica, registry: Path, depth: int, parse_processes: int | None) -> dict:
    out = tempfile.mkdtemp(prefix=f"ogi-bench-{kind}-")
    before = len(replica.request_log)
    started, started_at = time.monotonic(), time.time()  # the proxy logs each request's time.time()
    env = {**os.environ, "http_proxy": replica.proxy_url}
    subprocess.run([sys.executable, __file__, "--child", kind, "--registry", str(registry), "--out", out,
                    "--depth", str(depth)] + (["--parse-processes", str(parse_processes)] if parse_processes else []),
                   cwd=ROOT, env=env, check=True)
    elapsed, ended_at = time.monotonic() - started, time.time()
    requests = replica.request_log[before:]
    # Both crawls are judged by what they fetched (the proxy's log), not by what they stored.
    urls = {r["url"] for r in requests if r["status"] == 200}
    pages = sum(1 for r in requests if r["status"] and 200 <= r["status"] < 300)
    reports = found_reports(replica.truth, urls)
    fetching = requests[-1]["time"] - requests[0]["time"] if len(requests) > 1 else elapsed
    return {"kind": kind, "requests": len(requests), "pages": pages, "fetching": fetching, "seconds": elapsed,
            "start_up": requests[0]["time"] - started_at if requests else elapsed,
            "after_last": ended_at - requests[-1]["time"] if requests else 0.0,
            "pages_per_second": pages / fetching, "reports_found": reports,
            "requests_per_report": len(requests) / reports if reports else float("inf")}


def measure_rendering(seed: int, portals: int) -> dict:
    """The focused crawl of a network whose scripted columns need a browser: pages rendered
    and seconds per rendered page (wall time inside the browser, OGI_RENDER_CONCURRENCY at once)."""
    import json
    import sqlite3

    from crawler.replica.network import build_network
    from crawler.replica.server import serve_in_thread

    replica = serve_in_thread(build_network(seed=seed, portals=portals, scripted=True))
    registry = Path(tempfile.mkdtemp(prefix="ogi-bench-rendered-")) / "portals.csv"
    registry.write_text(replica.network.registry_csv(), encoding="utf-8")
    out = tempfile.mkdtemp(prefix="ogi-bench-rendered-")
    started = time.monotonic()
    env = {**os.environ, "http_proxy": replica.proxy_url, "https_proxy": replica.proxy_url}
    try:
        subprocess.run([sys.executable, __file__, "--child", "focused", "--registry", str(registry), "--out", out],
                       cwd=ROOT, env=env, check=True)
    finally:
        replica.stop()
    with sqlite3.connect(Path(out) / "archive.db") as db:
        stats = json.loads(db.execute("SELECT stats FROM crawl_runs").fetchone()[0])["scrapy"]
    rendered = stats.get("ogi/rendered", 0)
    return {"pages": stats.get("ogi/pages", 0), "rendered": rendered, "seconds": time.monotonic() - started,
            "per_rendered": stats.get("ogi/render_seconds", 0) / rendered if rendered else float("nan")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portals", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--depth", type=int, default=8, help="depth limit of the breadth-first crawl")
    parser.add_argument("--render-portals", type=int, default=8,
                        help="county portals of the scripted-list network crawled for the rendering cost (0: skip)")
    parser.add_argument("--parse-processes", type=int,
                        help="the focused crawl's parse workers (default: the crawl's OGI_PARSE_PROCESSES)")
    parser.add_argument("--child", choices=("focused", "breadth_first"))
    parser.add_argument("--registry")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.child == "focused":
        run_focused(args.registry, args.out, args.parse_processes)
        return
    if args.child == "breadth_first":
        run_breadth_first(args.registry, args.out, args.depth)
        return

    from crawler.replica.network import build_network
    from crawler.replica.server import serve_in_thread

    network = build_network(seed=args.seed, portals=args.portals)
    started = time.monotonic()
    files = network.prerender_files()
    print(f"replica: {files} attachment files rendered in {time.monotonic() - started:.0f} s")
    replica = serve_in_thread(network)
    registry = Path(tempfile.mkdtemp(prefix="ogi-bench-")) / "portals.csv"
    registry.write_text(network.registry_csv(), encoding="utf-8")
    truth = replica.truth
    print(f"replica: seed {args.seed}, {sum(p['level'] == 'county' for p in truth['portals'])} county portals, "
          f"{len(truth['portals'])} portals in all, {len(truth['reports'])} report documents")
    try:
        results = [measure(kind, replica, registry, args.depth, args.parse_processes) for kind in ("focused", "breadth_first")]
    finally:
        replica.stop()
    print(f"{'crawl':<14}{'requests':>10}{'pages':>8}{'fetching s':>12}{'pages/s':>9}{'end-to-end s':>14}"
          f"{'reports':>9}{'req/report':>12}")
    for r in results:
        print(f"{r['kind']:<14}{r['requests']:>10}{r['pages']:>8}{r['fetching']:>12.1f}{r['pages_per_second']:>9.1f}"
              f"{r['seconds']:>14.1f}{r['reports_found']:>9}{r['requests_per_report']:>12.2f}")
    focused, baseline = results
    print(f"requests per report, focused / breadth-first: {focused['requests_per_report'] / baseline['requests_per_report']:.3f}"
          " (goal <= 0.2)")
    print(f"pages per second, focused / breadth-first: {focused['pages_per_second'] / baseline['pages_per_second']:.3f}"
          " (goal >= 0.5)")
    end_to_end = focused["pages"] / focused["seconds"]
    print(f"focused crawl end to end: {end_to_end:.1f} pages/s, {end_to_end / focused['pages_per_second']:.2f}x its "
          f"fetching {focused['pages_per_second']:.1f} pages/s (goal >= 0.7)")
    print(f"  of its {focused['seconds']:.1f} s: {focused['start_up']:.1f} s before its first request, "
          f"{focused['fetching']:.1f} s fetching, {focused['after_last']:.1f} s after its last "
          "(parsing and archiving what it fetched, closing the run)")
    if args.render_portals:
        cost = measure_rendering(args.seed, args.render_portals)
        print(f"script-filled lists ({args.render_portals} county portals): {cost['pages']} pages, "
              f"{cost['rendered']} rendered, {cost['per_rendered']:.2f} s per rendered page, "
              f"{cost['seconds']:.1f} s end to end")


if __name__ == "__main__":
    main()
