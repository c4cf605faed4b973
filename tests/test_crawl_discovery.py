"""Discovery on snippets shaped like real portals' pages (TRS, Hanweb jpage, query-string CMSs)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from crawler import discovery, faults
from crawler.discovery import RawLink, classify_link, discover, paging_urls
from parsers import html

# The chrome of a TRS portal's page (modelled on 平潭's 2023 report page): nav, search, login.
TRS_HOME = """<!DOCTYPE html><html><head><meta charset="utf-8"/>
<meta name="SiteName" content="某某县人民政府"/><title>某某县人民政府</title></head><body>
<div class="header"><a href="https://www.gov.cn/" title="国务院">国务院</a>
<a href="javascript:void(0);" ms-click="$login">登录</a><a href="javascript:;">移动版</a>
<form method="get" action="/ssp/main/index.html"><input name="key"/></form></div>
<ul class="clearflx" role="navigation"><li><a href="/">首页</a></li>
<li><a href="https://www.mmx.gov.cn/zwgk/">政务公开</a></li>
<li><a href="https://www.mmx.gov.cn/hdjl/">互动交流</a></li>
<li><a href="https://www.mmx.gov.cn/bsfw/">办事服务</a></li></ul>
<div class="submenu"><a href="https://www.mmx.gov.cn/zwgk/zfxxgk/" title="政府信息公开">政府信息公开</a>
<a href="https://www.mmx.gov.cn/zwgk/ldzc/" title="领导之窗">领导之窗</a>
<a href="https://www.mmx.gov.cn/zwgk/yw/" title="要闻">要闻</a>
<a href="https://www.mmx.gov.cn/hdjl/wsdc/">网上调查</a>
<a href="https://www.mmx.gov.cn/search/?q=年报">搜索</a></div>
<a href="javascript:void(0);" class="aged_link_01">长者模式</a>
<div class="news"><a href="./zwgk/yw/202401/t20240110_1234.htm">县长调研春耕备耕工作</a></div>
<div class="footer"><a href="https://www.mmx.gov.cn/wzdt/">网站地图</a>主办单位：某某县人民政府办公室</div>
</body></html>"""

TRS_DISCLOSURE = """<html><head><meta name="ColumnName" content="政府信息公开"/>
<title>政府信息公开_某某县人民政府</title></head><body>
<div class="breadcrumb"><a href="../../">首页</a> &gt; <a href="../">政务公开</a></div>
<ul class="gk-nav"><li><a href="./zfxxgkzn/">政府信息公开指南</a></li>
<li><a href="./zfxxgkzd/">政府信息公开制度</a></li>
<li><a href="./fdzdgknr/">法定主动公开内容</a></li>
<li><a href="./zfxxgknb/">政府信息公开年报</a></li>
<li><a href="./ysqgk/">依申请公开</a></li>
<li><a href="./xzbmxxgk/">乡镇部门信息公开</a></li></ul>
<div class="calendar"><a href="?date=2024-01-01">1</a><a href="?date=2024-01-02">2</a></div>
</body></html>"""

TRS_REPORT_COLUMN = """<html><head><meta name="ColumnName" content="政府信息公开年报"/>
<title>政府信息公开年报_某某县人民政府</title></head><body>
<div class="sub-columns"><a href="./2023/">2023年</a><a href="./2022/">2022年度</a>
<a href="./xzjd/">乡镇（街道）</a><a href="./bm/">部门</a></div>
<ul class="list">
<li><a href="./202403/t20240308_87885.htm" title="某某县2023年度政府信息公开工作年度报告">某某县2023年度政府信息公开工作...</a><span>2024-03-08</span></li>
<li><a href="./202401/t20240105_87001.htm">关于做好2023年政府信息公开工作年度报告编制发布工作的通知</a></li>
<li><a href="./202301/t20230120_71234.htm">城关镇政府2022年工作总结</a></li>
<li><a href="./202301/P020230120123456.pdf">东关乡2022年政府信息公开工作年度报告</a></li>
</ul>
<div class="page"><script>var countPage = 3;var currentPage = 0;
createPageHTML(countPage, currentPage, "index", "htm");</script></div>
</body></html>"""

TRS_REPORT_PAGE = """<html><head><meta name="ColumnName" content="政府信息公开年报"/>
<meta name="ArticleTitle" content="某某县2023年度政府信息公开工作年度报告"/>
<title>某某县2023年度政府信息公开工作年度报告_政府信息公开年报_某某县人民政府</title></head><body>
<div class="breadcrumb"><a href="../../../../">首页</a><a href="../../">政府信息公开</a><a href="../">政府信息公开年报</a></div>
<div class="article"><p>根据《中华人民共和国政府信息公开条例》……</p>
<p>附件：<a href="./P020240308600000.pdf">某某县2023年度政府信息公开工作年度报告.pdf</a></p>
<p><a href="./P020240308600001.docx">表格下载</a></p></div>
<div class="tools"><a href="javascript:window.print()">打印本页</a><a href="javascript:window.close()">关闭窗口</a>
<a href="http://service.weibo.com/share/share.php?url=x">分享到微博</a></div>
<div class="prevnext"><a href="./t20240201_88000.htm">上一篇：县政府常务会议</a></div>
</body></html>"""

HANWEB_COLUMN = """<html><head><title>政府信息公开年报 某某区人民政府</title></head><body>
<div id="4359"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=12&path=/&columnid=4359&unitid=17851&webname=%E6%9F%90&permissiontype=0"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/1/18/art_4359_2958.html" title="某某区2023年政府信息公开工作年度报告" target="_blank">某某区2023年政府信息公开工作年度报告</a><span>2024-01-18</span></li>]]></record>
<record><![CDATA[<li><a href="/art/2024/1/20/art_4359_2960.html" title="某某街道2023年政府信息公开工作年度报告">某某街道2023年政府信...</a></li>]]></record>
<record><![CDATA[<li><a href="/art/2023/1/19/art_4359_2801.html">某某区2022年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore></script></div>
<script type="text/javascript">$(document).ready(function(){$('#4359').jpage({dataStore:dataStore,
totalRecord:8,perPage:1,proxyUrl:'/module/web/jpage/dataproxy.jsp',groupSize:3});});</script>
</body></html>"""

QUERY_LIST = """<html><head><title>年度报告</title></head><body>
<ul><li><a href="/news/show.aspx?id=3301">某某镇2023年度政府信息公开工作年度报告</a></li></ul>
<div class="pagination"><a href="list.aspx?cid=71&page=1">首页</a><span>1</span>
<a href="list.aspx?cid=71&page=2">2</a><a href="list.aspx?cid=71&page=2">下一页</a>
<a href="list.aspx?cid=71&page=4">尾页</a> 共4页</div></body></html>"""


def test_home_page_leads_to_the_disclosure_area_and_nowhere_else():
    found = discover("https://www.mmx.gov.cn/", TRS_HOME, "home")
    urls = {link.url: link.role for link in found.links}
    assert urls == {
        "https://www.mmx.gov.cn/zwgk/": "disclosure",
        "https://www.mmx.gov.cn/zwgk/zfxxgk/": "disclosure",
    }
    assert found.pages == []


def test_disclosure_area_ranks_the_report_column_first_and_skips_the_calendar():
    found = discover("https://www.mmx.gov.cn/zwgk/zfxxgk/", TRS_DISCLOSURE, "disclosure")
    assert found.links[0].url == "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    assert found.links[0].role == "report_column"
    roles = {link.url.rsplit("/", 2)[-2]: link.role for link in found.links}
    assert roles["xzbmxxgk"] == "unit_area"
    assert not any("date=" in link.url for link in found.links)
    assert found.pages == []


def test_report_column_yields_reports_sub_columns_attachments_and_trs_pages():
    url = "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/index.htm"
    found = discover(url, TRS_REPORT_COLUMN, "disclosure")
    assert found.context == "report_column"  # the meta ColumnName says so
    by_url = {link.url.rsplit("zfxxgknb/", 1)[1]: link for link in found.links}
    assert by_url["2023/"].role == "year_column" and by_url["2023/"].year == 2023
    assert by_url["2022/"].role == "year_column"
    assert by_url["xzjd/"].role == "unit_column"
    assert by_url["bm/"].role == "unit_column"
    report = by_url["202403/t20240308_87885.htm"]
    assert report.role == "report" and report.year == 2023  # year from the full @title
    assert by_url["202401/t20240105_87001.htm"].role == "report"  # a look-alike: the parser decides
    assert by_url["202301/t20230120_71234.htm"].role == "article"
    assert by_url["202301/P020230120123456.pdf"].role == "report_attachment"
    assert found.links[0].role == "report_attachment"
    assert found.pages == [
        "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/index_1.htm",
        "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/index_2.htm",
    ]


def test_report_page_yields_its_attachments_but_not_chrome():
    url = "https://www.mmx.gov.cn/zwgk/zfxxgk/zfxxgknb/202403/t20240308_87885.htm"
    found = discover(url, TRS_REPORT_PAGE, "document")
    roles = {link.url.rsplit("/", 1)[1]: link.role for link in found.links}
    assert roles["P020240308600000.pdf"] == "report_attachment"
    assert roles["P020240308600001.docx"] == "attachment"
    assert "t20240201_88000.htm" not in roles
    assert not any("weibo" in link.url for link in found.links)
    assert found.pages == []


# A township's report page (modelled on image-only and bundled reports seen on county portals):
# the scanned pages, a zip of the originals and an RTF, beside the page's own chrome images.
SCANNED_REPORT_PAGE = """<html><head><meta name="ColumnName" content="政府信息公开年报"/>
<title>某某镇2023年政府信息公开工作年度报告（图片版）_政府信息公开年报</title></head><body>
<div class="logo"><a href="/"><img src="/images/logo.png"/></a></div>
<div class="article"><h1>某某镇2023年政府信息公开工作年度报告（图片版）</h1>
<p><a href="/uploadfiles/202401/20240115093012345.jpg"><img src="/uploadfiles/202401/20240115093012345.jpg"/></a></p>
<p><a href="/uploadfiles/202401/20240115093012346.PNG">第2页</a></p>
<p>附件：<a href="/uploadfiles/202401/nb2023.rar">某某镇2023年政府信息公开工作年度报告.rar</a>
<a href="/uploadfiles/202401/nb2023.zip">年报原件</a> <a href="/uploadfiles/202401/nb2023.rtf">文字版</a></p></div>
<div class="share"><a href="/images/weixin.gif">微信</a></div></body></html>"""


def test_scans_and_bundles_of_a_report_are_documents_to_crawler_and_parser():
    url = "http://www.mmz.gov.cn/zwgk/nb/202401/t20240115_1.html"
    found = discover(url, SCANNED_REPORT_PAGE, "document")
    roles = {link.url.rsplit("/", 1)[1]: link.role for link in found.links}
    assert roles == {
        "20240115093012345.jpg": "attachment",
        "20240115093012346.PNG": "attachment",
        "nb2023.rar": "report_attachment",
        "nb2023.zip": "attachment",
        "nb2023.rtf": "attachment",
    }
    page = html.read(SCANNED_REPORT_PAGE.encode(), url, "text/html; charset=utf-8")
    assert {a["url"].rsplit("/", 1)[1] for a in page.attachments} == set(roles)


def test_hanweb_cdata_records_and_their_paging_endpoint():
    url = "http://www.mmq.gov.cn/col/col4359/index.html"
    found = discover(url, HANWEB_COLUMN, "report_column")
    reports = sorted(link.url for link in found.links if link.role == "report")
    assert reports == [
        "http://www.mmq.gov.cn/art/2023/1/19/art_4359_2801.html",
        "http://www.mmq.gov.cn/art/2024/1/18/art_4359_2958.html",
        "http://www.mmq.gov.cn/art/2024/1/20/art_4359_2960.html",
    ]
    groups = [parse_qs(urlsplit(page).query) for page in found.pages]
    assert [(g["startrecord"][0], g["endrecord"][0]) for g in groups] == [("4", "6"), ("7", "8")]
    assert all(urlsplit(page).path == "/module/web/jpage/dataproxy.jsp" for page in found.pages)
    assert all(g["columnid"] == ["4359"] and g["perpage"] == ["1"] for g in groups)


def test_hanweb_endpoint_answer_without_total_asks_for_the_next_group():
    answer = ("<datastore><recordset>"
              "<record><![CDATA[<li><a href='/art/2021/1/5/art_4359_2001.html'>某某区2020年政府信息公开工作年度报告</a></li>]]></record>"
              "<record><![CDATA[<li><a href='/art/2020/1/5/art_4359_1001.html'>某某区2019年政府信息公开工作年度报告</a></li>]]></record>"
              "</recordset></datastore>")
    url = "http://www.mmq.gov.cn/module/web/jpage/dataproxy.jsp?columnid=4359&startrecord=3&endrecord=4&perpage=2"
    found = discover(url, answer, "report_column")
    assert {link.year for link in found.links} == {2019, 2020}
    assert len(found.pages) == 1
    assert parse_qs(urlsplit(found.pages[0]).query)["startrecord"] == ["5"]


def test_query_string_paging_lists_every_page_from_the_last_page_link():
    url = "http://www.mmz.gov.cn/list.aspx?cid=71&page=1"
    pages = paging_urls(url, QUERY_LIST)
    assert pages == [
        "http://www.mmz.gov.cn/list.aspx?cid=71&page=2",
        "http://www.mmz.gov.cn/list.aspx?cid=71&page=4",
        "http://www.mmz.gov.cn/list.aspx?cid=71&page=3",
    ]


def test_next_page_link_without_page_count_is_followed():
    html = '<html><body><a href="more_2.html">下一页</a><a href="/a/b.html">下载中心</a></body></html>'
    assert paging_urls("http://x.gov.cn/nb/more.html", html) == ["http://x.gov.cn/nb/more_2.html"]


@pytest.mark.parametrize("url,text", [
    ("http://x.gov.cn/calendar/2024-01.html", "1月"),
    ("http://x.gov.cn/list.html?date=2024-01-03", "3"),
    ("http://x.gov.cn/search/index.html?q=年报", "搜索"),
    ("http://x.gov.cn/zwgk/t20240101_1.htm?type=print", "打印"),
    ("http://x.gov.cn/zwgk/nb/index.html", "打印本页"),
    ("http://x.gov.cn/images/banner.gif", "年度报告"),
    ("http://x.gov.cn/style/main.css", "年度报告"),
])
def test_traps_are_never_links(url, text):
    assert classify_link(RawLink(url, text), "report_column", "x.gov.cn") is None


@pytest.mark.parametrize("text,year", [
    ("某某镇2023年度政府信息公开工作年度报告", 2023),
    ("政府信息公开工作年度报告（2022）", 2022),
    ("P020240115600000.pdf 年度报告", None),   # a file name's digits are no year
    ("信息公开年报", None),
])
def test_the_year_a_link_names(text, year):
    assert discovery.report_year(text) == year


def test_year_link_outside_the_report_column_is_not_a_year_column():
    link = RawLink("http://x.gov.cn/zwgk/2023/", "2023年")
    assert classify_link(link, "disclosure", "x.gov.cn") is None
    assert classify_link(link, "report_column", "x.gov.cn").role == "year_column"


def test_township_site_on_a_sub_domain_is_a_sub_site():
    link = RawLink("http://czz.mmx.gov.cn/", "城关镇")
    found = classify_link(link, "disclosure", "www.mmx.gov.cn")
    assert found.role == "subsite"


def test_next_context_follows_the_link_role():
    column = discovery.Link("http://x.gov.cn/nb/xz/", "乡镇", "unit_column", 75)
    assert discovery.next_context(column, "report_column") == "report_column"
    area = discovery.Link("http://x.gov.cn/zwgk/xz/", "乡镇", "unit_area", 45)
    assert discovery.next_context(area, "disclosure") == "disclosure"
    report = discovery.Link("http://x.gov.cn/nb/t1.htm", "2023年报告", "report", 90)
    assert discovery.next_context(report, "report_column") == "document"


def test_waf_challenge_is_told_from_an_ordinary_page():
    ruishu = b'<html><head><meta http-equiv="Content-Type"/><script>$_ts=window["$_ts"];</script></head></html>'
    assert faults.waf_challenge(412, ruishu) == "HTTP 412 challenge page"
    assert "challenge page" in faults.waf_challenge(200, ruishu)
    assert faults.waf_challenge(200, TRS_REPORT_PAGE.encode()) is None
    assert faults.waf_challenge(404, b"<html>Not Found</html>") is None
    scan = b"%PDF-1.4\n" + b"\x00WAf\x91" * 100  # compressed image bytes may spell anything
    assert faults.waf_challenge(200, scan) is None


# A 图片版 report page that only shows its pages as <img> (no link to them), beside chrome.
IMAGE_ONLY_REPORT_PAGE = """<html><head><title>某镇2023年政府信息公开工作年度报告_某县人民政府</title></head><body>
<div class="header"><img src="/images/logo.png"><img src="/img/top-banner.jpg"></div>
<div class="article-content"><h1>某镇2023年政府信息公开工作年度报告</h1>
<p><img src="W020240115_001.jpg" alt="第1页"></p><p><img src="W020240115_002.tif"></p></div>
<div class="footer"><img src="/upload/weixin-code.jpg"></div></body></html>"""


def test_the_page_images_of_an_image_only_report_page_are_its_attachments():
    url = "http://www.mz.gov.cn/zwgk/nb/202401/t20240115_1.html"
    found = discover(url, IMAGE_ONLY_REPORT_PAGE, "document")
    links = {link.url.rsplit("/", 1)[1]: (link.role, link.text, link.year) for link in found.links}
    # the title of the page stands for the link text an <img> does not have: organ and year follow
    assert links == {"W020240115_001.jpg": ("report_attachment", "某镇2023年政府信息公开工作年度报告", 2023),
                     "W020240115_002.tif": ("report_attachment", "某镇2023年政府信息公开工作年度报告", 2023)}
    # a page printing its report as text keeps its illustrations to itself
    text_page = IMAGE_ONLY_REPORT_PAGE.replace("<p><img", "<p>" + "本年度主动公开政府信息情况如下。" * 10 + "<img", 1)
    assert not [link for link in discover(url, text_page, "document").links if link.url.endswith((".jpg", ".tif"))]
