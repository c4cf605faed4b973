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
