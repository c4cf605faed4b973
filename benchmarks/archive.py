"""Archive write speed and storage cost.

Prints (1) fetch records written per second, batched against one commit per record
(the baseline) in the same process, and (2) bytes stored per archived report page
(zlib-compressed, deduplicated) against the raw bytes fetched, for a crawl that
fetches every page twice (a re-crawl finds most pages unchanged).

Report pages are generated here: the real seed reports of ../shared/seeds (numbers
varied per page) inside portal boilerplate, GBK-encoded as county portals serve them.

    /tmp/venv/bin/python benchmarks/archive.py [--pages 1000]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tempfile
import time
from pathlib import Path

# Run as a script, this file's directory comes first on sys.path and its own name
# ("archive") would shadow the archive package it measures.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from archive import Archive  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
FALLBACK_TEXT = (
    "某某县人民政府2023年政府信息公开工作年度报告\n一、总体情况\n"
    + "本年度主动公开政府信息123条,收到政府信息公开申请4件。\n" * 80
)


def seed_texts() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return texts or [FALLBACK_TEXT]


def portal_chrome(rng: random.Random) -> tuple[str, str]:
    """Header/navigation and footer shared by every page of one portal."""
    menu = "".join(
        f'<li><a href="/col/col{rng.randrange(10**5)}/index.html">栏目{n}</a></li>'
        for n in range(120)
    )
    header = (
        '<html><head><meta charset="gbk"><link rel="stylesheet" href="/css/main.css">'
        f'</head><body><div class="header"><ul class="nav">{menu}</ul></div>'
    )
    footer = (
        '<div class="footer">主办单位:某某县人民政府办公室 承办:县大数据中心 '
        f'ICP备{rng.randrange(10**8)}号 政府网站标识码{rng.randrange(10**10)}</div></body></html>'
    )
    return header, footer


def report_pages(count: int, seed: int = 4) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    texts = seed_texts()
    chromes = [portal_chrome(rng) for _ in range(max(1, count // 20))]
    pages = []
    for number in range(count):
        text = re.sub(r"\d+", lambda m: str(rng.randrange(200)), texts[number % len(texts)])
        header, footer = chromes[number % len(chromes)]
        paragraphs = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
        html = f'{header}<div class="article">{paragraphs}</div>{footer}'
        url = f"http://portal{number % len(chromes)}.gov.cn/zfxxgk/ndbg/{number}.html"
        pages.append((url, html.encode("gbk", errors="replace")))
    return pages


def record_for(url: str) -> dict:
    return {"parser_version": "bench", "kind": "report", "title": url, "values": {},
            "checks": [], "text": ""}


def write_fetches(
    path: Path, pages: list[tuple[str, bytes]], batch_size: int, with_bodies: bool = True
) -> float:
    """Seconds to record one fetch per page with ``batch_size`` writes per commit.

    Without bodies (failed fetches, 304s) the rows alone show the cost of committing.
    """
    with Archive(path, batch_size=batch_size, batch_seconds=3600) as db:
        run = db.start_run({"batch_size": batch_size}, code_version="bench")
        started = time.perf_counter()
        for url, body in pages:
            db.record_fetch(run_id=run, url=url, status=200 if with_bodies else 304,
                            body=body if with_bodies else None,
                            response_headers={"Content-Type": "text/html; charset=gbk"})
        db.flush()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    pages = report_pages(args.pages)

    with tempfile.TemporaryDirectory() as tmp:
        print(f"fetch records written per second ({len(pages)} pages):")
        for label, with_bodies in (("with a ~14 KB body", True), ("without a body", False)):
            unbatched = write_fetches(Path(tmp) / f"one-{with_bodies}.db", pages, 1, with_bodies)
            batched = write_fetches(Path(tmp) / f"batch-{with_bodies}.db", pages, 500, with_bodies)
            print(f"  {label}:")
            print(f"    one commit per record : {len(pages) / unbatched:8.0f} /s")
            print(f"    batched (500/commit)  : {len(pages) / batched:8.0f} /s"
                  f"  ({unbatched / batched:.1f}x)")

        path = Path(tmp) / "crawl.db"
        with Archive(path) as db:
            run = db.start_run({}, code_version="bench")
            for _ in range(2):  # the crawl, then a re-crawl of the same pages
                for url, body in pages:
                    fetch = db.record_fetch(run_id=run, url=url, status=200, body=body)
                    db.record_document(fetch_id=fetch, url=url, record=record_for(url))
            stored = db.one("SELECT SUM(length(compressed)) AS n FROM bodies")["n"]
            raw = db.one("SELECT SUM(size) AS n, COUNT(*) AS fetches FROM fetches")
        database_bytes = sum(p.stat().st_size for p in Path(tmp).glob("crawl.db*"))
    print(f"storage ({len(pages)} report pages, each fetched twice):")
    print(f"  raw bytes fetched      : {raw['n'] / len(pages):10.0f} per page (two fetches)")
    print(f"  body bytes stored      : {stored / len(pages):10.0f} per page"
          f" (zlib + dedup, {raw['n'] / stored:.1f}x smaller)")
    print(f"  whole database file    : {database_bytes / len(pages):10.0f} per page"
          " (with fetch, document and report rows)")


if __name__ == "__main__":
    main()
