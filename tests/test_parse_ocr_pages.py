"""图片版 HTML pages: a report page whose content is page images is a report to be fetched
image by image, not a page without tables."""

from __future__ import annotations

from parsers import parse_document

PAGE = """<html><head><title>某镇2023年政府信息公开工作年度报告_某县人民政府</title></head><body>
<div class="header"><img src="/images/logo.png"><img src="/img/top-banner.jpg"></div>
<div class="nav-bar"><a href="/">首页</a></div>
<div class="article-content"><h1>某镇2023年政府信息公开工作年度报告</h1>
<p><img src="W020240115_001.jpg" alt="第1页"></p><p><img src="W020240115_002.jpg"></p>
<p><img src="W020240115_001.jpg"></p><img src="/images/icon_print.gif" width="16" height="16">
<img src="thumb.jpg" width="120" height="90"></div>
<div class="footer"><img src="/images/jiucuo.png"><img src="/upload/weixin-code.jpg"></div>
</body></html>"""


def test_image_only_page_is_a_report_document_listing_its_page_images() -> None:
    record = parse_document(PAGE.encode(), url="http://www.example.gov.cn/zwgk/2024/t20240115_1.html")
    assert record["kind"] == "image_only"
    assert record["title"] == "某镇2023年政府信息公开工作年度报告"
    assert record["attachments"] == [
        {"url": "http://www.example.gov.cn/zwgk/2024/W020240115_001.jpg", "text": "第1页"},
        {"url": "http://www.example.gov.cn/zwgk/2024/W020240115_002.jpg", "text": ""},
    ]


def test_a_page_with_text_lists_no_images() -> None:
    body = PAGE.replace("<p><img", "<p>" + "本年度主动公开政府信息情况如下。" * 10 + "<img", 1)
    assert all(not a["url"].endswith(".jpg") for a in parse_document(body.encode())["attachments"])


def test_replica_scans_are_deterministic_image_only_and_at_their_resolution() -> None:
    import io
    import random

    import pypdfium2
    from PIL import Image

    from crawler.replica import reports, scans

    rng = random.Random(8)
    spec = reports.generate_report(rng, organ=reports.organ_name(rng, "county"), organ_level="county",
                                   report_year=2022)
    scanned = scans.render_scanned_pdf(spec, random.Random(8), dpi=150)
    assert scanned == scans.render_scanned_pdf(spec, random.Random(8), dpi=150)
    document = pypdfium2.PdfDocument(scanned)
    assert all(page.get_textpage().count_chars() == 0 for page in document)
    width_px = [image.get_px_size()[0] for image in document[0].get_objects(filter=[pypdfium2.raw.FPDF_PAGEOBJ_IMAGE])]
    assert round(width_px[0] / (document[0].get_size()[0] / 72)) == 150
    tiff = Image.open(io.BytesIO(scans.render_scan_image(spec, random.Random(8), "tif", dpi=150)))
    assert tiff.n_frames == len(document) and round(tiff.info["dpi"][0]) == 150
    record = parse_document(scans.render_scan_image(spec, random.Random(8), "png", dpi=72))
    assert record["kind"] == "image_only" and "below the 100 dpi" in record["reason"]
