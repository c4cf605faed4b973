"""Every cue the crawler reads pages by: link texts, URL shapes, paging conventions, traps.

One module, like trafilatura's xpaths.py: discovery, scope checks, portal-status checks and
the registry spider read their selectors and patterns from here and from nowhere else. The
cues come from real Chinese government portals (TRS/拓尔思 WCM, 大汉/Hanweb jcms, and the
many small query-string CMSs); none of them names a particular site.
"""

from __future__ import annotations

import re

from parsers import labels

# -- links ----------------------------------------------------------------------------

# The anchors discovery reads; the text of a link is its own text, else its title attribute.
LINK_XPATH = "//a[@href]"
LINK_TEXT_XPATH = "normalize-space(string(.))"
LINK_TITLE_ATTRIBUTES = ("title",)
# href values that are not links to pages.
NON_HTTP_HREF = re.compile(r"^\s*(?:javascript:|mailto:|tel:|#|data:|about:)", re.I)

# -- the information-disclosure area (政务公开 / 政府信息公开) -------------------------------

DISCLOSURE_TEXT = re.compile(
    r"政府信息公开|政务信息公开|信息公开|政务公开|信息公开目录|法定主动公开|主动公开目录"
    r"|公开专栏|政府信息公开平台|基层政务公开"
)
# The area's own URL (its last path segment), not any page below it.
DISCLOSURE_URL = re.compile(
    r"(?:^|/)(?:zwgk|xxgk|zfxxgk|zfxxgkml|xxgkml|zfxxgkzl|gkml|govinfo|govpublic|openness"
    r"|zwgkzl|gkzl|fdzdgknr|zdgk|publicity|public)(?:/(?:index|default)?(?:\.\w+)?)?$",
    re.I,
)

# -- what a page says it is ----------------------------------------------------------------

# Government meta tags (SiteName, ColumnName, ArticleTitle…) that real CMSs print.
COLUMN_NAME_XPATH = "//meta[@name='ColumnName' or @name='columnname']/@content"
PAGE_TITLE_XPATHS = (
    "//meta[@name='ArticleTitle' or @name='articletitle']/@content",
    "normalize-space(//h1)",
    "normalize-space(//title)",
)
# "报告标题_栏目名_网站名", "报告标题 - 网站名", "报告标题|网站名".
TITLE_SEPARATOR = r"\s*[_|－—–]\s*|\s+-\s+"

# -- the annual-report column and its sub-columns ----------------------------------------

# A column name, not a report title: short text naming the annual reports as a whole.
REPORT_COLUMN_TEXT = re.compile(
    r"^[^\d]{0,12}(?:年度报告|工作年报|年报|年度工作报告|工作报告)(?:专栏|栏目)?$"
)
# Column URLs of real portals: zfxxgknb, xxgknb, gknb, zxqgkndbg, ndbg, wszbmgkndbb, nianbao.
REPORT_COLUMN_URL = re.compile(
    r"(?:^|/)(?:[a-z]*gknb|[a-z]*ndbg|[a-z]*ndbb|[a-z]*nianbao|nb|ndbg|gzbg|[a-z]*gzndbg)(?:[/._]|$)",
    re.I,
)
# A year sub-column inside the report column: "2023年", "2023年度", "2023", "2023年报".
YEAR_COLUMN_TEXT = re.compile(r"^\s*((?:19|20)\d{2})\s*(?:年度?|年)?\s*(?:年报|年度报告|报告)?\s*$")
# Township, street and department sub-columns (and the lists of them).
SUBUNIT_COLUMN_TEXT = re.compile(
    r"^[^\d]{0,8}(?:乡镇|镇街|街道|乡（镇）|乡\(镇\)|部门|县直|区直|市直|县级部门|区级部门|镇（街道）"
    r"|乡镇（街道）|乡镇街道|单位)[^\d]{0,10}$"
)
# A single organ's sub-column: "城关镇", "东关街道办事处", "县教育局", "县发展和改革委员会".
ORGAN_NAME_TEXT = re.compile(
    r"^[\u4e00-\u9fff（）()]{2,20}?(?:乡|镇|街道|街道办事处|办事处|苏木|民族乡|局|委|办|办公室|委员会|中心|人民政府)$"
)

# -- report documents -------------------------------------------------------------------

# The title of one annual report (or of the list entry pointing at it): the parser's own cue.
REPORT_TITLE = labels.DISCLOSURE_REPORT_TITLE
# A title with its report year: "2023年度", "2023年": the parser's own cue.
TITLE_YEAR = labels.TITLE_YEAR
# Attachments: a document's file extension (the parser's list) in the path, or in a download
# endpoint's query string.
ATTACHMENT_EXTENSIONS = labels.DOCUMENT_EXTENSIONS
ATTACHMENT_URL = re.compile(
    r"\.(?:" + "|".join(ATTACHMENT_EXTENSIONS) + r")(?:$|[?#&;])", re.I
)
ATTACHMENT_QUERY = re.compile(
    r"[?&](?:file(?:name)?|filepath|path|fn|name|url)=[^&]*\.(?:"
    + "|".join(ATTACHMENT_EXTENSIONS) + r")(?:$|&)",
    re.I,
)
# The label before an attachment's title in a list: "附件：", "附件1：", "附件 2:".
ATTACHMENT_LABEL = re.compile(r"^\s*附件\s*\d*\s*[:：]\s*")
# Article URLs of real CMSs: TRS t20240308_87885.htm; Hanweb art_123_456.html; content_123.html;
# /202501/68226.shtml; /content/<uuid>.html; /202404/<32 hex>.shtml; ?id=123 detail actions.
ARTICLE_URL = re.compile(
    r"(?:/t\d{8}_\d+\.s?html?$"
    r"|/art_\d+_\d+\.s?html?$"
    r"|/art/\d{4}/\d{1,2}/\d{1,2}/\w+\.s?html?$"
    r"|/content_\d+\.s?html?$"
    r"|/(?:19|20)\d{4}/\d+\.s?html?$"
    r"|/(?:19|20)\d{4}/[0-9a-f]{16,40}\.s?html?$"
    r"|/content/[0-9a-f-]{20,40}\.s?html?$"
    r"|/(?:19|20)\d{2}[-/]?\d{2}[-/]?\d{2}/[\w-]+\.s?html?$"
    r"|/(?:detail|show|article|info|view|content)[\w-]*\.(?:s?html?|jsp|aspx?|php|action)\?.*(?:id|key)=\w+"
    r"|[?&](?:articleid|article_id|docid|infoid|contentid|newsid|messagekey)=\w+)",
    re.I,
)

# -- paging -----------------------------------------------------------------------------

# TRS: createPageHTML(countPage, currentPage, "index", "html"); pages index.html, index_1.html…
TRS_PAGER = re.compile(
    r"createPageHTML\(\s*([\w.]+)\s*,\s*([\w.]+)\s*,\s*[\"']([\w-]+)[\"']\s*,\s*[\"'](\w+)[\"']"
)
# JS page counters that hold the number of pages in a variable or an option.
JS_PAGE_COUNT = re.compile(
    r"\b(?:countPage|totalPage|totalPages|pageCount|page_count|PAGE_COUNT|pageTotal|totalpage"
    r"|maxPage|pages)\b\s*[:=]\s*[\"']?(\d{1,4})"
)
# A static-page family: index.html, index_1.html, index_2.shtml…
STATIC_PAGE_URL = re.compile(r"^(?P<dir>.*/)(?P<prefix>[\w-]+?)(?:_(?P<n>\d{1,4}))?\.(?P<ext>s?html?)$", re.I)
# Hanweb jpage: CDATA records inside <script type="text/xml"><datastore>…, paged by dataproxy.jsp.
CDATA_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
CDATA_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
JPAGE_TOTAL = re.compile(r"(?:totalRecord|totalrecord|total_record)\s*[:=>]\s*[\"']?(\d{1,6})", re.I)
JPAGE_PER_PAGE = re.compile(r"(?:perPage|perpage|per_page)\s*[:=>]\s*[\"']?(\d{1,4})", re.I)
JPAGE_PROXY_URL = re.compile(r"(?:proxyUrl|proxyurl|url)\s*:\s*[\"']([^\"']*dataproxy[^\"']*)[\"']")
JPAGE_ENDPOINT = re.compile(r"[\"'(=]\s*([^\"'()\s<>]*dataproxy\.(?:jsp|do|php|aspx?)[^\"'()\s<>]*)", re.I)
JPAGE_DEFAULT_ENDPOINT = "/module/web/jpage/dataproxy.jsp"
# Query-string paging: ?page=2, ?pageNo=2, ?pageIndex=2, ?curPage=2, ?p=2.
# Lists a script fills from a JSON API (TRS "动静结合", Vue/React front ends): a list
# template, a record count above the entries printed, a script-driven app root. Such a
# page is rendered in a browser (crawler.browser).
LIST_TEMPLATE = re.compile(r"""\bms-repeat(?:-\w+)?\s*=|\bv-for\s*=|\{\{\s*(?:el|item|row)\.\w+\s*\}\}""")
SCRIPT_RECORD_COUNT = re.compile(r"\b(?:recordCount|record_count|totalCount)\s*[:=]\s*[\"']?(\d{1,6})")
SCRIPT_APP_ROOT = re.compile(r"""<div[^>]+\bid\s*=\s*["'](?:app|root)["']""", re.I)
JSON_URL_KEY = re.compile(r"url|href|link", re.I)  # keys of a list API entry that hold its address
SCRIPT_LIST_API = re.compile(r"\bfetch\s*\(|\baxios\b|\$\.(?:ajax|get|post|getJSON)\s*\(|XMLHttpRequest|openapi|/api/")

PAGE_PARAM = re.compile(
    r"(?:^|[?&])(page|pageNo|pageno|page_no|pageNum|pagenum|pageIndex|pageindex|curPage|currentPage"
    r"|cp|p|pn|pg|pager\.offset)=(\d{1,4})(?=&|$)"
)
# "共12页", "共 12 页", "1/12", "第1页/共12页".
PAGE_TOTAL_TEXT = re.compile(r"共\s*(\d{1,4})\s*页|第\s*\d{1,4}\s*页\s*/\s*共?\s*(\d{1,4})\s*页|\b\d{1,4}\s*/\s*(\d{1,4})\s*页")
NEXT_PAGE_TEXT = re.compile(r"^\s*(?:下一页|下页|后一页|下一頁|下頁|next|>|›|»|>>)\s*$", re.I)
LAST_PAGE_TEXT = re.compile(r"^\s*(?:尾页|末页|最后一页|尾頁|last|>>\|)\s*$", re.I)
PAGE_NUMBER_TEXT = re.compile(r"^\s*\[?(\d{1,4})\]?\s*$")
# Paging link containers, where bare page numbers are page links and not article numbers.
PAGER_CONTAINER_XPATH = (
    "//*[contains(@class,'page') or contains(@id,'page') or contains(@class,'pagination')"
    " or contains(@class,'fenye') or contains(@id,'fenye') or contains(@class,'pager')]"
)

# -- traps and pages never worth fetching -------------------------------------------------

TRAP_URL = re.compile(
    r"(?:calendar|rili|/date/|[?&](?:date|day|month|year|ym|yearmonth)=\d"
    r"|search|jsearch|/ssp/|/so/|[?&](?:q|query|keyword|keywords|key|searchword|wd|kw)="
    r"|print|dayin|[?&]type=print|/login|/register|logout|/uc/|passport|sso"
    r"|share|weibo\.com|qzone|/rss|\.rss|feed/|fontsize|[?&]font=|/wza|barrierfree|aged|elder"
    r"|/api/|/captcha|verifycode|/cart|/comment|/vote|/survey|/wsdc|/zxft|/myzj)",
    re.I,
)
TRAP_TEXT = re.compile(
    r"^\s*(?:打印|打印本页|关闭|关闭窗口|收藏|分享|分享到|返回顶部|登录|注册|搜索|高级搜索|站内搜索"
    r"|无障碍|无障碍浏览|长者模式|关怀模式|繁体|繁體|简体|English|RSS|大|中|小|字号|加入收藏|设为首页"
    r"|网上调查|在线访谈|民意征集|我要留言|我要写信|领导信箱|县长信箱|区长信箱)\s*$",
    re.I,
)
# File types never fetched (static assets, media). The document types of ATTACHMENT_EXTENSIONS
# (scans, zip bundles) are never assets.
ASSET_URL = re.compile(
    r"\.(?:css|js|json|gif|bmp|ico|svg|webp|mp4|mp3|avi|flv|swf|wmv|7z|apk|exe|iso|woff2?|ttf)(?:$|[?#])",
    re.I,
)
# A query string on a path we already visited with other query values: the path may be a trap.
MAX_QUERY_VARIANTS_PER_PATH = 60

# -- portal status ---------------------------------------------------------------------

WAF_STATUSES = (412, 521)
# Challenge pages of the WAFs seen on government portals (瑞数 412 pages, 加速乐, 云锁, 安全狗…).
WAF_BODY = re.compile(
    r"\$_ts\s*=|__jsl_clearance|yunsuo_session_verify|safedog|安全狗|安全验证|访问验证|人机验证"
    r"|请开启JavaScript|请启用JavaScript|enable JavaScript and cookies|滑动验证|WAF|web应用防火墙"
    r"|challenge",
    re.I,
)
WAF_BODY_SCAN_BYTES = 4096
# Challenge pages are small; a full page that merely mentions 安全验证 is not one.
WAF_PAGE_MAX_BYTES = 16 * 1024
# Robots.txt refusal: Scrapy's RobotsTxtMiddleware ignores the request with this message.
ROBOTS_REFUSAL_MESSAGE = "Forbidden by robots.txt"

# -- the registry spider: site directories down to county and township portals --------------
# (read by crawler.registry_walk and the portal_registry spider)

SITE_DIRECTORY_TEXT = re.compile(
    r"政府网站导航|网站导航|网站群导航|站群导航|市县政府|县区政府|区县政府|县市区政府|市州政府|县（市、区）政府"
    r"|县\(市、区\)政府|县市区|区县|县区|市县|乡镇街道|乡镇政府|镇街网站|乡镇网站|地方政府网站|下级政府网站"
    r"|各地政府|地方政府"
)
SITE_DIRECTORY_URL = re.compile(r"(?:^|/)(?:wzdh|zfwzdh|wzq|zwdh|sxzf|xqzf|qxzf|xzjd|xzzf|dfzf|zzjg/xzjd)(?:[/._]|$)", re.I)
TOWNSHIP_NAME = re.compile(r"(?:乡|镇|街道|街道办事处|苏木|民族乡|民族苏木)(?:人民政府)?$")
GOVERNMENT_SUFFIX = re.compile(r"(?:人民政府|政府|门户网站|政府网|网站|政务网|办事处)$")
# A county portal's page of its townships: 乡镇街道 directories, or 行政区划 under 走进XX.
TOWNSHIP_DIRECTORY_TEXT = re.compile(r"乡镇街道|乡镇（街道）|乡镇\(街道\)|镇街|乡镇政府|行政区划|区划沿革|^走进")
# A township's division code printed beside it: 9 digits (NBS) or 12 (with the village part).
TOWNSHIP_CODE = re.compile(r"(?<!\d)(\d{9}|\d{12})(?!\d)")
# Where a page names its site: the government meta tag, else the <title> after its last separator.
SITE_NAME_XPATH = "//meta[@name='SiteName']/@content"

# -- failure causes ------------------------------------------------------------------------

# A forward proxy's error page for a host it could not resolve (squid ERR_DNS_FAIL and kin).
PROXY_DNS_FAILURE = re.compile(
    r"could not resolve|cannot resolve|NXDOMAIN|ERR_DNS_FAIL|Name or service not known|DNS lookup|无法解析", re.I
)
# Gateway statuses a forward proxy answers with when the origin cannot be reached.
PROXY_GATEWAY_STATUSES = (502, 504)
MAX_SIZE_MESSAGE = re.compile(r"max size|DOWNLOAD_MAXSIZE", re.I)
DECOMPRESSION_MESSAGE = re.compile(r"during decompression", re.I)
MAX_REDIRECTS_MESSAGE = re.compile(r"max redirections", re.I)
# Redirect hops before a redirect is worth reporting as a chain.
REDIRECT_CHAIN_HOPS = 2
