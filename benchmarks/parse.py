"""Parser speed on the replica's report documents, against trafilatura alone.

Prints (1) report pages parsed per second by ``parse_document`` and (2) the ratio of that
full parse time to ``trafilatura.extract`` alone on the same pages, in the same process
(the goal is within 2×). The pages are the replica network's HTML report pages exactly as
``Network.respond`` serves them (portal chrome, meta tags, GBK and UTF-8), for every report
of ``--seed``; without the network module, pages rendered by the replica in every HTML
layout wrapped in a generic chrome. ``--pdf`` adds the network's PDF and DOCX attachments
(reported separately: trafilatura does not read them), and times the full parse of each
text PDF against pypdfium2's bare text extraction of it (the goal is within 3×): the real
report PDFs of ../shared/realdata and replica PDFs ruled, unruled and with blank cells.

    .venv/bin/python benchmarks/parse.py [--seed 1] [--reports 40] [--pdf]

``--ocr`` instead reads scans by OCR: the replica's reports scanned at ``--dpi`` (150) and
the real report of ../shared/realdata rasterised at the same resolution, and prints OCR
seconds per page and how many printed cells came back right, null or wrong.

    .venv/bin/python benchmarks/parse.py --ocr [--scans 4] [--dpi 150]
"""

from __future__ import annotations

import argparse
import io
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
Document = tuple[bytes, str | None, str | None]  # body, url, content type


def network_documents(seed: int) -> tuple[list[Document], list[Document]] | None:
    """(HTML report pages, PDF/DOCX attachments) of the replica network, as served."""
    try:
        from crawler.replica.network import build_network
    except ImportError:
        return None
    net = build_network(seed=seed)
    pages, attachments = [], []
    for report in net.truth()["reports"]:
        if report["kind"] == "image_only":
            continue
        reply = net.respond("GET", report["url"], {})
        document = (reply.body, report["url"], dict(reply.headers).get("Content-Type"))
        (pages if report["kind"] == "html" else attachments).append(document)
    return pages, attachments


def rendered_documents(count: int, seed: int) -> tuple[list[Document], list[Document]]:
    pages, attachments = [], []
    for n in range(count):
        rng = random.Random(seed + n)
        level = rng.choice(reports.ORGAN_LEVELS)
        spec = reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                       report_year=rng.choice((2020, 2022, 2023, 2024)))
        for layout in render.LAYOUTS:
            body = render.render_body_html(spec, layout, random.Random(seed + n))
            pages.append(((f"<html><head><meta charset='utf-8'><title>{spec.title or '信息公开'}</title>"
                           f"<meta name='PubDate' content='{spec.published_on}'></head><body>{CHROME}"
                           f"<div class='content'>{body}</div><div class='footer'>主办单位 版权所有</div>"
                           f"</body></html>").encode("utf-8"), None, "text/html"))
        if n < max(2, count // 10):
            attachments.append((render.render_pdf(spec, random.Random(n), ruled=n % 2 == 0), None, None))
            attachments.append((render.render_docx(spec, random.Random(n)), None, None))
    return pages, attachments


REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def replica_pdfs(seed: int, count: int = 6) -> list[Document]:
    """Text PDFs the replica renders: ruled and unruled, several reports (some with blank cells)."""
    documents = []
    for n in range(count):
        rng = random.Random(seed + n)
        level = rng.choice(reports.ORGAN_LEVELS)
        spec = reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                       report_year=rng.choice((2020, 2022, 2023, 2024)))
        documents.append((render.render_pdf(spec, random.Random(seed + n), ruled=n % 2 == 0), None, None))
    return documents


def pdfium_text(body: bytes, _url: str | None, _content_type: str | None) -> None:
    """pypdfium2's bare text extraction: every page's text, nothing else."""
    import pypdfium2

    document = pypdfium2.PdfDocument(body)
    for index in range(len(document)):
        page = document[index]
        textpage = page.get_textpage()
        textpage.get_text_range()
        textpage.close()
        page.close()
    document.close()


def rounds_of(rounds: int, functions: dict, documents: list[Document]) -> list[dict[str, float]]:
    """CPU seconds per document of each function in each of ``rounds`` interleaved rounds: one
    process, the same documents, the functions taking turns, so that a busy spell of the shared
    machine falls on both sides alike."""
    return [{name: timed(function, documents, time.process_time) / len(documents)
             for name, function in functions.items()} for _ in range(rounds)]


def print_pdf_figures(ours, seed: int, rounds: int = 20) -> None:
    sets = {"real report PDFs (../shared/realdata)": [(p.read_bytes(), None, None)
                                                      for p in sorted(REALDATA.glob("*.pdf"))],
            f"replica text PDFs (seed {seed})": replica_pdfs(seed)}
    for label, documents in sets.items():
        if not documents:
            print(f"{label}: none found")
            continue
        ours(*documents[0])  # warm imports and caches
        measured = rounds_of(rounds, {"ours": ours, "pdfium": pdfium_text}, documents)
        best = {name: min(r[name] for r in measured) for name in ("ours", "pdfium")}
        ratios = sorted(r["ours"] / r["pdfium"] for r in measured)
        print(f"{label}: {len(documents)}")
        print(f"  parse_document:          {best['ours'] * 1000:7.1f} ms CPU/PDF (best of {rounds})")
        print(f"  pypdfium2 text alone:    {best['pdfium'] * 1000:7.1f} ms CPU/PDF (best of {rounds})")
        print(f"  ratio full parse / pypdfium2 text: {best['ours'] / best['pdfium']:.2f}x best to best, "
              f"{ratios[len(ratios) // 2]:.2f}x the median round ({ratios[0]:.2f}-{ratios[-1]:.2f}x)  (goal: within 3x)")


def timed(function, documents: list[Document], clock=time.perf_counter) -> float:
    start = clock()
    for body, url, content_type in documents:
        function(body, url, content_type)
    return clock() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reports", type=int, default=40, help="without the network: reports to render")
    parser.add_argument("--pdf", action="store_true", help="also time PDF and DOCX attachments")
    args = parser.parse_args()
    found = network_documents(args.seed)
    source = f"replica network seed {args.seed}" if found else "rendered by the replica (no network module)"
    pages, attachments = found or rendered_documents(args.reports, args.seed)

    def ours(body: bytes, url: str | None, content_type: str | None) -> None:
        parse_document(body, url=url, content_type=content_type)

    def alone(body: bytes, url: str | None, _content_type: str | None) -> None:
        trafilatura.extract(body, url=url, include_tables=True, favor_recall=True)

    ours(*pages[0])  # warm imports and caches for both sides alike
    alone(*pages[0])
    spent_ours = timed(ours, pages)
    spent_alone = timed(alone, pages)
    kinds = sum(parse_document(body, url=url, content_type=ct)["kind"] == "report" for body, url, ct in pages)
    print(f"HTML report pages ({source}): {len(pages)} ({kinds} parsed as reports)")
    print(f"parse_document:        {len(pages) / spent_ours:8.1f} pages/s  ({spent_ours * 1000 / len(pages):.1f} ms/page)")
    print(f"trafilatura.extract:   {len(pages) / spent_alone:8.1f} pages/s  ({spent_alone * 1000 / len(pages):.1f} ms/page)")
    print(f"ratio full parse / trafilatura alone: {spent_ours / spent_alone:.2f}x  (goal: within 2x)")
    if args.pdf:
        spent = timed(ours, attachments)
        print(f"PDF+DOCX attachments:  {len(attachments) / spent:8.1f} docs/s  ({spent * 1000 / len(attachments):.1f} ms/doc)"
              f"  [{len(attachments)} documents]")
        print_pdf_figures(ours, args.seed)


REALDATA = Path(__file__).resolve().parents[1].parent / "shared" / "realdata"


def _scan_of_pdf(pdf: bytes, dpi: int) -> bytes:
    """A text PDF as a 图片版: each page rasterised (grey, JPEG) with no text layer."""
    import pypdfium2
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    document = pypdfium2.PdfDocument(pdf)
    for page in document:
        width, height = page.get_size()
        canvas.setPageSize((width, height))
        canvas.drawImage(ImageReader(page.render(scale=dpi / 72).to_pil().convert("L")), 0, 0, width, height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _score(record: dict, expected: dict) -> dict[str, int]:
    from parsers.checks import checks_involving

    values = record["values"]
    failed = {f"{c['name']}:{c['scope']}" for c in record["checks"] if c["ok"] is False}
    printed = [k for k, v in expected.items() if v is not None]
    wrong = [k for k in printed if values.get(k) not in (None, expected[k])]
    return {"printed": len(printed), "right": sum(values.get(k) == expected[k] for k in printed),
            "null": sum(values.get(k) is None for k in printed), "wrong": len(wrong),
            "wrong_caught": sum(bool(set(checks_involving(k)) & failed) for k in wrong),
            "invented": sum(v is None and values.get(k) is not None for k, v in expected.items())}


def _print_scores(name: str, scores: dict[str, int], pages: int, seconds: float) -> None:
    share = scores["right"] / scores["printed"] if scores["printed"] else 0.0
    print(f"{name}: {seconds / pages:5.1f} s/page over {pages} pages; printed cells {scores['printed']}: "
          f"right {scores['right']} ({share:.1%}), null {scores['null']}, wrong {scores['wrong']} "
          f"(caught by a failed check {scores['wrong_caught']}), invented where blank {scores['invented']}")


def ocr_main() -> None:
    import json

    from crawler.replica import scans

    parser = argparse.ArgumentParser(description="OCR seconds per page and accuracy on scans")
    parser.add_argument("--ocr", action="store_true", required=True)
    parser.add_argument("--scans", type=int, default=4, help="replica reports to scan")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    total: dict[str, int] = {}
    pages = seconds = 0.0
    for n in range(args.scans):
        rng = random.Random(args.seed + n)
        level = rng.choice(reports.ORGAN_LEVELS)
        spec = reports.generate_report(rng, organ=reports.organ_name(rng, level), organ_level=level,
                                       report_year=rng.choice((2020, 2022, 2023, 2024)))
        body = scans.render_scanned_pdf(spec, random.Random(args.seed + n), dpi=args.dpi)
        start = time.perf_counter()
        record = parse_document(body)
        seconds += time.perf_counter() - start
        pages += record["source"].get("ocr", {}).get("pages", 0) or 1
        scores = _score(record, spec.truth(keeps_grid=True)["values"])
        for key, value in scores.items():
            total[key] = total.get(key, 0) + value
        print(f"  replica report {n}: {record['kind']}, {scores}")
    _print_scores(f"replica scans at {args.dpi} dpi ({args.scans} reports)", total, int(pages), seconds)
    real = REALDATA / "hongze-2024.pdf"
    if not real.is_file():
        print(f"real report: {real} is missing")
        return
    expected = json.loads((REALDATA / "expected" / "hongze-2024.json").read_text(encoding="utf-8"))
    body = _scan_of_pdf(real.read_bytes(), args.dpi)
    start = time.perf_counter()
    record = parse_document(body)
    spent = time.perf_counter() - start
    print(f"  real report: {record['kind']}, organ {record['organ']!r}, year {record['report_year']}")
    _print_scores(f"real report rasterised at {args.dpi} dpi", _score(record, expected["values"]),
                  record["source"].get("ocr", {}).get("pages", 1), spent)


if __name__ == "__main__":
    ocr_main() if "--ocr" in sys.argv else main()
