"""Every cue the parser reads that is no key's label, in one module (the parser's "xpaths.py").

Cell syntax (placeholders, units, numbers), table anchors and format markers, titles, dates,
organs, look-alike documents and document links. The labels of the tables' rows and of the
sections, and the ways real reports print them, belong to those rows in ``parsers/keys.py``.
Patterns are written against *normalised* text (see ``normalise``): Simplified script,
NFKC (half-width brackets, ASCII digits), no whitespace, straight quotes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import zhconv

_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "〔": "[", "〕": "]"})


@lru_cache(maxsize=1)
def _converted_chars() -> frozenset[str]:
    """Every character whose presence lets zhconv change a text: the changed character of
    each conversion (for a phrase, the characters that differ from its conversion)."""
    chars: set[str] = set()
    for source, target in zhconv.zhconv.getdict("zh-hans").items():
        if source == target:
            continue
        if len(source) == len(target):
            chars.update(a for a, b in zip(source, target) if a != b)
        else:
            chars.update(source)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    # Most pages are Simplified already: a set test spares zhconv's per-character scan. A page
    # with one Traditional character is converted line by line, only where a line needs it
    # (no conversion spans a line break: zhconv's phrases hold none).
    converted = _converted_chars()
    if converted.isdisjoint(text):
        return text
    return "\n".join(
        line if converted.isdisjoint(line)
        else _simplified_short_line(line) if len(line) <= LONG_TEXT else zhconv.convert(line, "zh-hans")
        for line in text.split("\n"))


@lru_cache(maxsize=4096)
def _simplified_short_line(line: str) -> str:
    return zhconv.convert(line, "zh-hans")  # the same footers and labels recur page after page


def normalise(text: str) -> str:
    """The form every label is matched in (the caller converts the script first)."""
    # labels and headings recur in every document; a whole text is normalised uncached
    return _normalised_label(text) if len(text) <= LONG_TEXT else _normalised(text)


@lru_cache(maxsize=16384)
def _normalised_label(text: str) -> str:
    return _normalised(text)


def _normalised(text: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).translate(_QUOTES)


# --- cell values ------------------------------------------------------------------------
PLACEHOLDERS = frozenset({"/", "-", "—", "——", "–", "－", "不适用", "\\"})
NUMBER = re.compile(r"[+\-−]?\d+(?:\.\d+)?")
THOUSANDS = re.compile(r"^[+\-−]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
UNITS = re.compile(r"(?:万元|萬元|元|件|项|項|条|條|个|個|次)$")
# a short label cell that carries its value at the end ("行政处罚 0", PDF text)
LABEL_THEN_NUMBER = re.compile(r"^(?P<label>\S.*?[^\d\s.,])\s+(?P<value>[+\-−]?[\d,]+(?:\.\d+)?(?:万元|萬元|元|件|项|項|条|條|个|個|次)?)$")
LONG_TEXT = 80  # a cell longer than this is prose, never part of a table label

# --- table anchors ------------------------------------------------------------------------
ANCHOR_REACH = 60  # how far back from a row's values a table header may sit
T2_ANCHOR = re.compile(r"第二十条|信息内容|本年制发|本年新制作|本年新公开")
T3_ANCHOR = re.compile(r"申请人情况|勾稽关系|本年新收")
T4_MARKER = re.compile(r"行政复议|结果维持|尚未审结|复议后起诉|未经复议")

TEMPLATE_MIN_T3_LABELS = 15  # labels of table 3 that make a number-less text a report template

# --- which template table 2 follows: words only one template prints ------------------------
T2_FORMAT_MARKERS: dict[str, re.Pattern[str]] = {
    "2019": re.compile(r"本年新制作|本年新公开|对外公开总数|上一年项目|增/减|增减|对外管理服务|集中采购|采购总金额"),
    "2021": re.compile(r"本年制发|本年废止|现行有效|收费金额|行政规范性文件"),
}

# --- metadata -----------------------------------------------------------------------------
REPORT_TITLE = re.compile(r"(?:年度报告|年报|工作报告)")
# The title of one disclosure annual report as a link or a list entry names it: stricter than
# REPORT_TITLE (a 政府工作报告 is not one). The crawler's discovery reads it too.
DISCLOSURE_REPORT_TITLE = re.compile(
    r"(?:政府信息公开|政务信息公开|信息公开|政务公开).{0,12}(?:年度报告|年报|工作报告|情况报告|年度工作报告)"
    r"|(?:(?:19|20)\d{2}|[〇一二零]{4}).{0,6}年度?报告"
    r"|年度报告|工作年报"
)
TITLE_ENDING = re.compile(r"(?:年度报告|年报|工作报告)\s*(?:[(（][^()（）]{0,20}[)）])?\s*$")
# a column or channel name ("政府信息公开年报"), not the title of one report
GENERIC_TITLE = re.compile(r"^(?:政府)?(?:信息|政务)公开(?:工作)?(?:年度报告|年报)(?:专栏)?$")
# The year a title names: "2023年度", "2023年", "（2023）"; never part of a longer number
# (a date 20240115, a document number). The crawler reads it from link texts too.
TITLE_YEAR = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
PERIOD_YEAR = re.compile(r"统计(?:期限|时限|时间|区间)[^。]{0,12}?(20\d{2})\s*年\s*1\s*月\s*1\s*日")
OVERVIEW_YEAR = re.compile(r"^[^。]{0,40}?(20\d{2})\s*年(?!\s*\d{1,2}\s*月)")
DATE = re.compile(r"(20\d{2})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})\s*日?")
CHINESE_DATE = re.compile(r"^(20\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
PUBLISHED_LINE = re.compile(
    r"(?:发布日期|发布时间|发文日期|成文日期|更新时间|更新日期|日期|时间)\s*[:：]?\s*[|｜]?\s*"
    r"(20\d{2}\s*[-年/.]\s*\d{1,2}\s*[-月/.]\s*\d{1,2})")
LEADING_DATE_LINE = re.compile(r"^\s*(20\d{2}-\d{1,2}-\d{1,2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?\s*$")
META_DATE_NAMES = ("pubdate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date",
                   "dc.date.issued", "publish_date", "releasedate")
META_TITLE_NAMES = ("articletitle", "og:title")
META_ORGAN_NAMES = ("contentsource", "author")
ORGAN_LINE = re.compile(r"(?:发布机构|来源|发文机关|信息来源)\s*[:：|｜]\s*[|｜]?\s*([^\s|｜:：]{3,40})")
ORGAN_NAME = re.compile(
    r"([\u4e00-\u9fff]{2,30}?(?:人民政府办公室|人民政府办公厅|人民政府|街道办事处|办事处|办公室|"
    r"[局委办院所队站馆中心会]|苏木|镇|乡))")
TOWNSHIP_ORGAN = re.compile(r"(?:乡|镇|街道|苏木)(?:人民政府|政府|办事处|街道办事处)?$")
COUNTY_ORGAN = re.compile(r"(?:县|区|旗|市)人民政府(?:办公室|办公厅)?$")
DEPARTMENT_ORGAN = re.compile(r"(?:局|委员会|委|办公室|办|中心|院|队|所|站|馆)$")

# --- kinds --------------------------------------------------------------------------------
LOOKALIKE_TITLES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"关于.{0,40}(?:做好|开展|报送|编制).{0,40}(?:年度报告|年报).{0,20}通知|编制发布工作的通知"),
     "a notice about compiling the annual reports"),
    (re.compile(r"信息公开指南"), "a guide to government information disclosure (公开指南)"),
    (re.compile(r"工作要点|工作方案|工作计划"), "a work plan (工作要点)"),
    (re.compile(r"年度报告(?:目录|列表|汇总)|年报(?:目录|列表|专栏)"), "a list of reports"),
)

# --- documents ------------------------------------------------------------------------------
# The file types portals publish a report as, read by the parser and followed by the crawler:
# PDF; Word and WPS (.wps, China's office suite), RTF and plain text; the tables of Excel and
# WPS (.et); OFD, China's fixed-layout standard; zip/rar bundles of them; scanned pages. The
# parser reads some of them today, and the archive keeps the bytes of every one for the
# converters and OCR that read the rest.
DOCUMENT_EXTENSIONS = ("pdf", "doc", "docx", "wps", "rtf", "txt", "xls", "xlsx", "et", "ofd",
                       "zip", "rar", "jpg", "jpeg", "png", "tif", "tiff")
DOCUMENT_LINK = re.compile(r"\.(?:" + "|".join(DOCUMENT_EXTENSIONS) + r")(?:$|[?#])", re.I)
