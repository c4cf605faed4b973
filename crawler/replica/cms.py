"""The three content-management families of the replica, as real county portals print them.

- ``trs``: TRS WCM static sites. Columns are directories (``/zwgk/zfxxgk/zfxxgknb/``) paged
  as ``index.html``, ``index_1.html``…; the page count exists only in the JavaScript call
  ``createPageHTML(countPage, currentPage, "index", "html")``. Articles
  ``202403/t20240308_87885.html``, attachments ``202403/P020240308…pdf``.
- ``hanweb``: 大汉 JCMS. Columns ``/col/col1234/index.html`` carry their first records as
  CDATA inside ``<script type="text/xml">``; later records come from the paging endpoint
  ``/module/web/jpage/dataproxy.jsp?startrecord=21&endrecord=40&perpage=10``. Articles
  ``/art/2024/3/8/art_1234_567.html``, attachments ``/module/download/downfile.jsp?…``.
- ``dynamic``: JSP portals paged by query string (``list.jsp?catid=12&page=2``) with
  "下一页" / "尾页" links; articles ``content.jsp?id=…``, attachments ``/uploadfiles/…``.

Every page wears real chrome: navigation, breadcrumbs, the government meta tags, a
索引号/发布机构/发布日期 block on articles, share and print links, and a footer with
主办单位, ICP备案 and 网站标识码.
"""

from __future__ import annotations

import html
import math
import random
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

TRS_PAGE_SIZE = 20
HANWEB_PER_PAGE = 10
HANWEB_FIRST_GROUP = 20  # perPage × groupSize records are printed into the page itself, as jpage does
DYNAMIC_PAGE_SIZE = 12


@dataclass
class Entry:
    """One line of a column list."""
    title: str
    url: str
    date: str


@dataclass
class Column:
    name: str
    slug: str                 # TRS directory name; also the dynamic catid source
    cid: int                  # column id (hanweb col id, dynamic catid)
    path: str                 # path of the first list page
    entries: list[Entry] = field(default_factory=list)
    children: list["Column"] = field(default_factory=list)
    parent: "Column | None" = None


def _e(text: str) -> str:
    return html.escape(text, quote=True)


class Family:
    """URL shapes and list rendering of one content-management family."""

    name = ""

    def column_path(self, parent: Column | None, slug: str, cid: int) -> str:
        raise NotImplementedError

    def article_path(self, column: Column, date: str, doc_id: int) -> str:
        raise NotImplementedError

    def attachment_path(self, column: Column, date: str, doc_id: int, ext: str) -> str:
        raise NotImplementedError

    def list_pages(self, column: Column, host: str, render) -> dict[str, tuple[str, str]]:
        """path → (content type, text) of every page listing the column's entries;
        `render(column, list_html, paging_html, page_index)` wraps a list in the site's chrome."""
        raise NotImplementedError

    def href(self, url: str, host: str, directory: str) -> str:
        """How this family links an entry: site-relative on its own host, absolute elsewhere."""
        parts = urlsplit(url)
        if parts.netloc != host:
            return url
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Trs(Family):
    name = "trs"

    def column_path(self, parent, slug, cid):
        base = parent.path.rsplit("/", 1)[0] if parent else "/zwgk"
        return f"{base}/{slug}/index.html"

    def article_path(self, column, date, doc_id):
        y, m, d = date.split("-")
        return f"{column.path.rsplit('/', 1)[0]}/{y}{m}/t{y}{m}{d}_{doc_id}.html"

    def attachment_path(self, column, date, doc_id, ext):
        y, m, d = date.split("-")
        return f"{column.path.rsplit('/', 1)[0]}/{y}{m}/P0{y}{m}{d}{doc_id:06d}{doc_id % 997:06d}.{ext}"

    def href(self, url, host, directory):
        parts = urlsplit(url)
        if directory and parts.netloc == host and parts.path.startswith(directory + "/"):
            return "./" + parts.path[len(directory) + 1:]
        return super().href(url, host, directory)

    def list_pages(self, column, host, render):
        directory = column.path.rsplit("/", 1)[0]
        chunks = _chunks(column.entries, TRS_PAGE_SIZE)
        pages = {}
        for number, chunk in enumerate(chunks):
            paging = (f'<div class="page"><script language="JavaScript">\n'
                      f"var currentPage = {number};//所在页从0开始\nvar countPage = {len(chunks)}//共多少页\n"
                      f'createPageHTML(countPage, currentPage, "index", "html");\n</script></div>')
            path = f"{directory}/index.html" if number == 0 else f"{directory}/index_{number}.html"
            pages[path] = ("text/html", render(column, _li(self, chunk, host, directory), paging, number))
        return pages


class Hanweb(Family):
    name = "hanweb"

    def __init__(self, web_id: int, unit_base: int):
        self.web_id = web_id
        self.unit_base = unit_base

    def column_path(self, parent, slug, cid):
        return f"/col/col{cid}/index.html"

    def article_path(self, column, date, doc_id):
        y, m, d = (int(part) for part in date.split("-"))
        return f"/art/{y}/{m}/{d}/art_{column.cid}_{doc_id}.html"

    def attachment_path(self, column, date, doc_id, ext):
        y, m, _ = date.split("-")
        if doc_id % 2:
            return f"/module/download/downfile.jsp?classid=0&filename={y}{m}{doc_id:08x}.{ext}"
        return f"/picture/0/{y}{m}{doc_id:010x}.{ext}"

    def unit_id(self, column: Column) -> int:
        return self.unit_base + column.cid

    def proxy_path(self, column: Column, start: int, end: int) -> str:
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": HANWEB_PER_PAGE,
                           "col": 1, "appid": 1, "webid": self.web_id, "path": "/",
                           "columnid": column.cid, "sourceContentType": 1,
                           "unitid": self.unit_id(column), "permissiontype": 0})
        return f"/module/web/jpage/dataproxy.jsp?{query}"

    def _records(self, entries: list[Entry], host: str) -> str:
        return "\n".join(
            f'<record><![CDATA[\n<li><a href="{_e(self.href(item.url, host, ""))}" '
            f'title="{_e(item.title)}" target="_blank">{_e(item.title)}</a><span class="bt_time">{item.date}</span></li>\n]]></record>'
            for item in entries)

    def list_pages(self, column, host, render):
        unit = self.unit_id(column)
        total = len(column.entries)
        first = column.entries[:HANWEB_FIRST_GROUP]
        datastore = (f'<div id="{unit}"><script type="text/xml"><datastore>\n'
                     f'<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&appid=1&webid={self.web_id}'
                     f'&path=/&columnid={column.cid}&unitid={unit}&webname=&permissiontype=0"></a>]]></nextgroup>\n'
                     f"<recordset>\n{self._records(first, host)}\n</recordset></datastore></script></div>")
        script = (f'<script language="javascript" src="/module/web/jpage/jpage.js"></script>\n'
                  f"<script>$(document).ready(function(){{ $('#{unit}').jpage({{ dataStore: null, "
                  f"proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: {HANWEB_PER_PAGE}, "
                  f"totalRecord: {total}, groupSize: 2, barPosition: 'bottom', "
                  f"ajaxParam: {{ col: 1, appid: 1, webid: {self.web_id}, path: '/', columnid: {column.cid}, "
                  f"sourceContentType: 1, unitid: '{unit}', webname: '', permissiontype: 0 }} }}); }});</script>")
        pages = {column.path: ("text/html", render(column, datastore, script, 0))}
        for start in range(0, max(total, 1), HANWEB_FIRST_GROUP):
            group = column.entries[start:start + HANWEB_FIRST_GROUP]
            body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<totalrecord>{total}</totalrecord>\n'
                    f"<totalpage>{math.ceil(total / HANWEB_PER_PAGE)}</totalpage>\n"
                    f"<recordset>\n{self._records(group, host)}\n</recordset>\n</datastore>\n")
            pages[self.proxy_path(column, start + 1, start + HANWEB_FIRST_GROUP)] = ("text/xml", body)
        return pages


class Dynamic(Family):
    name = "dynamic"

    def column_path(self, parent, slug, cid):
        return f"/zwgk/list.jsp?catid={cid}"

    def article_path(self, column, date, doc_id):
        return f"/zwgk/content.jsp?id={doc_id}&catid={column.cid}"

    def attachment_path(self, column, date, doc_id, ext):
        y, m, d = date.split("-")
        return f"/uploadfiles/{y}/{m}/{y}{m}{d}{doc_id:05d}.{ext}"

    def list_pages(self, column, host, render):
        chunks = _chunks(column.entries, DYNAMIC_PAGE_SIZE)
        pages = {}
        for number, chunk in enumerate(chunks, start=1):
            links = [f"<span>共{len(column.entries)}条 第{number}/{len(chunks)}页</span>"]
            if number > 1:
                links.append(f'<a href="list.jsp?catid={column.cid}&amp;page=1">首页</a>')
                links.append(f'<a href="list.jsp?catid={column.cid}&amp;page={number - 1}">上一页</a>')
            if number < len(chunks):
                links.append(f'<a href="list.jsp?catid={column.cid}&amp;page={number + 1}">下一页</a>')
                links.append(f'<a href="list.jsp?catid={column.cid}&amp;page={len(chunks)}">尾页</a>')
            paging = '<div class="pagination">' + " ".join(links) + "</div>"
            page = ("text/html", render(column, _li(self, chunk, host, "/zwgk"), paging, number - 1))
            pages[f"{column.path}&page={number}"] = page  # the 首页 link names page 1 explicitly
            if number == 1:
                pages[column.path] = page
        return pages


def dataproxy_key(path_and_query: str) -> str | None:
    """Normalise a jpage request (GET or POST fields folded in) to the key its page is stored under."""
    parts = urlsplit(path_and_query)
    if parts.path != "/module/web/jpage/dataproxy.jsp":
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    start = query.get("startrecord")
    if start is None and query.get("page", "").isdigit():  # the <nextgroup> link counts groups from 1
        start = str((int(query["page"]) - 1) * HANWEB_FIRST_GROUP + 1)
    return f"{query.get('columnid')}:{start}"


def _chunks(entries: list[Entry], size: int) -> list[list[Entry]]:
    return [entries[i:i + size] for i in range(0, len(entries), size)] or [[]]


def _li(family: Family, entries: list[Entry], host: str, directory: str) -> str:
    return "<ul class=\"list\">\n" + "\n".join(
        f'<li><a href="{_e(family.href(item.url, host, directory))}" target="_blank" title="{_e(item.title)}">{_e(item.title)}</a>'
        f"<span>{item.date}</span></li>" for item in entries) + "\n</ul>"


# ---------------------------------------------------------------- chrome

@dataclass
class SiteChrome:
    """What every page of one site prints around its content."""
    site_name: str
    host: str
    site_code: str            # 网站标识码
    icp: str
    nav: list[tuple[str, str]]  # (text, href) of the main navigation
    charset_meta: str | None    # e.g. 'utf-8', 'gb2312'; None prints no declaration
    calendar_path: str | None = None
    search_path: str = "/search/index.html"


def page(chrome: SiteChrome, *, title: str, column_name: str, breadcrumbs: list[tuple[str, str]],
         content: str, article: dict | None = None, rng: random.Random | None = None) -> str:
    """A full HTML page; `article` adds the meta tags and the 索引号/发布机构/发布日期 block."""
    rng = rng or random.Random(title)
    meta = [f'<meta name="SiteName" content="{_e(chrome.site_name)}"/>',
            f'<meta name="SiteDomain" content="{chrome.host}"/>',
            f'<meta name="SiteIDCode" content="{chrome.site_code}"/>',
            f'<meta name="ColumnName" content="{_e(column_name)}"/>']
    head_charset = f'<meta http-equiv="Content-Type" content="text/html; charset={chrome.charset_meta}" />' \
        if chrome.charset_meta else ""
    info = ""
    tools = ""
    if article:
        meta += [f'<meta name="ArticleTitle" content="{_e(article["title"])}"/>',
                 f'<meta name="PubDate" content="{article["published_on"]} {article["time"]}"/>',
                 f'<meta name="ContentSource" content="{_e(article["source"])}"/>',
                 '<meta name="Keywords" content=""/>', '<meta name="Description" content=""/>']
        info = (
            '<table class="xxgk_table"><tbody>'
            f'<tr><th>索引号：</th><td>{article["index_code"]}</td><th>主题分类：</th><td>政务公开</td></tr>'
            f'<tr><th>发布机构：</th><td>{_e(article["source"])}</td><th>发布日期：</th><td>{article["published_on"]}</td></tr>'
            f'<tr><th>名称：</th><td colspan="3">{_e(article["title"])}</td></tr>'
            "</tbody></table>"
            if article.get("info_table") else
            f'<div class="article_extend"><span>来源：{_e(article["source"])}</span>'
            f'<span>发布时间：{article["published_on"]} {article["time"]}</span><span>浏览次数：<em id="hits"></em></span></div>')
        tools = ('<div class="share">分享到：<a href="javascript:void(0)" class="wechat">微信</a>'
                 '<a href="http://service.weibo.com/share/share.php" class="weibo">微博</a></div>'
                 '<div class="tools"><a href="javascript:window.print()">【打印本页】</a>'
                 '<a href="javascript:window.close()">【关闭窗口】</a>'
                 '<a href="javascript:void(0)" onclick="doZoom(16)">【字号 大 中 小】</a></div>')
    nav = "".join(f'<li><a href="{_e(href)}">{_e(text)}</a></li>' for text, href in chrome.nav)
    crumbs = " &gt; ".join(f'<a href="{_e(href)}">{_e(text)}</a>' for text, href in breadcrumbs)
    extras = []
    if chrome.calendar_path:
        extras.append(f'<a href="{chrome.calendar_path}">活动日历</a>')
    extras.append(f'<a href="{chrome.search_path}?q=%E5%B9%B4%E5%BA%A6%E6%8A%A5%E5%91%8A">站内搜索</a>')
    return f"""<!DOCTYPE html>
<html>
<head>
{head_charset}
<meta name="viewport" content="width=device-width, initial-scale=1.0"/>
{chr(10).join(meta)}
<title>{_e(title)}_{_e(chrome.site_name)}</title>
<link rel="stylesheet" href="/images/common.css"/>
<script src="/images/jquery.min.js"></script>
</head>
<body>
<div class="top"><div class="wrap"><span>欢迎访问{_e(chrome.site_name)}门户网站</span>
<a href="javascript:void(0)" id="jft">繁體</a> <a href="javascript:void(0)" id="wza">无障碍浏览</a> {' '.join(extras)}</div></div>
<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{_e(chrome.site_name)}"/></a></div>
<form action="{chrome.search_path}" method="get"><input name="q" placeholder="请输入关键字"/><button>搜索</button></form></div>
<div class="nav"><ul>{nav}</ul></div>
<div class="main wrap">
<div class="position">当前位置：{crumbs}</div>
<div class="content">
{"<h1 class='article-title'>" + _e(article["title"]) + "</h1>" if article and article.get("show_title") else ""}
{info}
{content}
{tools}
</div>
</div>
<div class="footer"><div class="wrap">
<p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a> | <a href="/wzsm/">网站声明</a></p>
<p>主办单位：{_e(chrome.site_name)}办公室　承办单位：{_e(chrome.site_name)}信息中心</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">{chrome.icp}</a>　网站标识码：{chrome.site_code}　<img src="/images/gongan.png"/>公网安备 {chrome.site_code[:6]}02000{rng.randint(100, 999)}号</p>
<p><a href="http://bszs.conac.cn/sitename?method=show&amp;id={rng.randint(10**15, 10**16 - 1):X}"><img src="/images/red.png" alt="党政机关"/></a>
<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code={chrome.site_code}"><img src="/images/jiucuo.png" alt="政府网站找错"/></a></p>
</div></div>
</body>
</html>
"""
