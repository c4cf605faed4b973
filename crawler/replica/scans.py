"""Reports as portals publish them when nobody kept the text: Word 97 / WPS / RTF files and scans.

DOC, WPS and RTF attachments are the replica's DOCX converted by LibreOffice, as an office
that still saves in the old format would produce them (WPS Office's .wps is the Word 97
binary format). Scans are the replica's own printed report rasterised and degraded the
way a scanner and a careless upload degrade it. Conversions are cached per process:
LibreOffice takes seconds per document and a network serves the same bytes every time.
This package never imports ``parsers``.
"""

from __future__ import annotations

import functools
import io
import os
import random
import shutil
import subprocess
import tempfile
from pathlib import Path

import pypdfium2
from PIL import Image, ImageFilter

from crawler.replica.render import _PDFIUM, render_pdf  # pdfium is not thread-safe: one render at a time
from crawler.replica.reports import ReportSpec

# LibreOffice's export filter for each extension served
WORD_EXPORTS = {"doc": "doc:MS Word 97", "wps": "doc:MS Word 97", "rtf": "rtf:Rich Text Format"}
_CONVERT_TIMEOUT = 60.0


class ReplicaToolMissing(RuntimeError):
    """A system tool the replica needs to render a document kind is not installed."""


@functools.lru_cache(maxsize=256)
def docx_as(docx_bytes: bytes, extension: str) -> bytes:
    """The bytes LibreOffice saves for a DOCX as ``extension`` (a .wps is the Word 97 format)."""
    if extension not in WORD_EXPORTS:
        raise ValueError(f"extension must be one of {sorted(WORD_EXPORTS)}, not {extension!r}")
    executable = shutil.which("soffice") or shutil.which("libreoffice")
    if executable is None:
        raise ReplicaToolMissing("the replica renders DOC and WPS files with LibreOffice (soffice): not installed")
    with tempfile.TemporaryDirectory(prefix="replica-doc-") as work:
        Path(work, "report.docx").write_bytes(docx_bytes)
        subprocess.run([executable, f"-env:UserInstallation={Path(work, 'profile').as_uri()}", "--headless",
                        "--norestore", "--convert-to", WORD_EXPORTS[extension], "--outdir", work, "report.docx"],
                       cwd=work, env=dict(os.environ, HOME=work), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=_CONVERT_TIMEOUT, check=True)
        return Path(work, "report." + WORD_EXPORTS[extension].split(":")[0]).read_bytes()


SCAN_DPIS = (100, 150, 200)
IMAGE_FORMATS = {"jpg": "JPEG", "png": "PNG", "tif": "TIFF"}


def scan_pages(spec: ReportSpec, rng: random.Random, dpi: int) -> list[Image.Image]:
    """The printed (ruled PDF) report as a scanner returns it: grey, a little rotated,
    slightly blurred, JPEG-compressed; one image per page."""
    printed = render_pdf(spec, rng, ruled=True)
    with _PDFIUM:
        document = pypdfium2.PdfDocument(printed)
        pages = [document[i].render(scale=dpi / 72).to_pil().convert("L") for i in range(len(document))]
        document.close()
    return [_degrade(page, rng) for page in pages]


def _degrade(page: Image.Image, rng: random.Random) -> Image.Image:
    page = page.rotate(rng.uniform(-0.8, 0.8), resample=Image.BICUBIC, fillcolor=rng.randint(235, 250))
    page = page.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.7)))
    buffer = io.BytesIO()
    page.save(buffer, "JPEG", quality=rng.randint(60, 85))
    return Image.open(io.BytesIO(buffer.getvalue())).convert("L")


def render_scanned_pdf(spec: ReportSpec, rng: random.Random, dpi: int = 150) -> bytes:
    """A 图片版 PDF: each page is one scanned image (JPEG), no text layer."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    for page in scan_pages(spec, rng, dpi):
        width, height = page.width * 72 / dpi, page.height * 72 / dpi
        canvas.setPageSize((width, height))
        canvas.drawImage(ImageReader(page), 0, 0, width=width, height=height)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def render_scan_image(spec: ReportSpec, rng: random.Random, extension: str, dpi: int = 150) -> bytes:
    """The scan as one image file: a TIFF of every page, or a JPEG/PNG 长图 of the pages
    one under the other (as portals upload a report for phones)."""
    if extension not in IMAGE_FORMATS:
        raise ValueError(f"extension must be one of {sorted(IMAGE_FORMATS)}, not {extension!r}")
    pages = scan_pages(spec, rng, dpi)
    buffer = io.BytesIO()
    if extension == "tif":
        pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:], compression="tiff_deflate",
                      dpi=(dpi, dpi))
        return buffer.getvalue()
    tall = Image.new("L", (max(p.width for p in pages), sum(p.height for p in pages)), 255)
    top = 0
    for page in pages:
        tall.paste(page, (0, top))
        top += page.height
    tall.save(buffer, IMAGE_FORMATS[extension], dpi=(dpi, dpi), **({"quality": 80} if extension == "jpg" else {}))
    return buffer.getvalue()
