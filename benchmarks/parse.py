"""Parser speed on the replica's report pages, against trafilatura alone.

Prints (1) report pages parsed per second by ``parse_document`` and (2) the ratio of that
full parse time to ``trafilatura.extract`` alone on the same pages, in the same process
(the goal is within 2×). Pages are rendered by the replica (crawler/replica) in every HTML
layout, wrapped in portal chrome; ``--pdf`` adds the replica's PDF and DOCX attachments
(reported separately: trafilatura does not read them).

    /tmp/venv/bin/python benchmarks/parse.py [--reports 40] [--pdf]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

# Run as a script, this directory comes first on sys.path; keep package imports unambiguous.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import trafilatura  # noqa: E402

from crawler.replica import render, reports  # noqa: E402
from parsers import parse_document  # noqa: E402

CHROME = ("<div class='nav'>" + "".join(f"<a href='/col/{i}.html'>栏目{i}</a>" for i in range(40)) + "</div>")


def report_pages(count: int, seed: int) -> list[bytes]:
    pages = []
    for n in range(count):
        rng = random.Random(seed + n)
        level = rng.choice(reports.ORGAN_LEVELS)
        spec = reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                       report_year=rng.choice((2020, 2022, 2023, 2024)))
        for layout in render.LAYOUTS:
            body = render.render_body_html(spec, layout, random.Random(seed + n))
            pages.append((f"<html><head><meta charset='utf-8'><title>{spec.title or '信息公开'}</title>"
                          f"<meta name='PubDate' content='{spec.published_on}'></head><body>{CHROME}"
                          f"<div class='content'>{body}</div><div class='footer'>主办单位 版权所有</div>"
                          f"</body></html>").encode("utf-8"))
    return pages


def attachments(count: int, seed: int) -> list[bytes]:
    out = []
    for n in range(count):
        rng = random.Random(seed + n)
        spec = reports.generate_report(rng, organ=reports.organ_name(rng, "township"), organ_level="township",
                                       report_year=2023)
        out.append(render.render_pdf(spec, random.Random(n), ruled=n % 2 == 0))
        out.append(render.render_docx(spec, random.Random(n)))
    return out


def timed(function, bodies: list[bytes]) -> float:
    start = time.perf_counter()
    for body in bodies:
        function(body)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=40, help="reports to render (4 HTML layouts each)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdf", action="store_true", help="also time PDF and DOCX attachments")
    args = parser.parse_args()
    pages = report_pages(args.reports, args.seed)
    parse_document(pages[0])  # warm imports and caches for both sides alike
    trafilatura.extract(pages[0])
    ours = timed(parse_document, pages)
    alone = timed(lambda body: trafilatura.extract(body, include_tables=True, favor_recall=True), pages)
    kinds = sum(parse_document(p)["kind"] == "report" for p in pages)
    print(f"HTML report pages: {len(pages)} ({kinds} parsed as reports)")
    print(f"parse_document:        {len(pages) / ours:8.1f} pages/s  ({ours * 1000 / len(pages):.1f} ms/page)")
    print(f"trafilatura.extract:   {len(pages) / alone:8.1f} pages/s  ({alone * 1000 / len(pages):.1f} ms/page)")
    print(f"ratio full parse / trafilatura alone: {ours / alone:.2f}x  (goal: within 2x)")
    if args.pdf:
        documents = attachments(max(2, args.reports // 10), args.seed)
        spent = timed(parse_document, documents)
        print(f"PDF+DOCX attachments:  {len(documents) / spent:8.1f} docs/s  ({spent * 1000 / len(documents):.1f} ms/doc)")


if __name__ == "__main__":
    main()
