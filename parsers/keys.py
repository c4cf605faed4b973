"""The one registry of canonical keys, their labels and the ways reports print them.

Every other part of the project — the parser, the checks, the exports, the codebook —
reads the keys, labels, types and label patterns from here
(``../shared/reference/report-format.md`` is the specification). A row's or section's
``printed`` pattern is how real reports print its label, matched against *normalised*
text (``parsers.labels.normalise``: Simplified script, NFKC, no whitespace). Cues that
are no key's label (placeholders, units, anchors, titles) live in ``parsers/labels.py``.
The replica portal network is the deliberate exception: it prints labels the way real
reports do and never imports this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ValueType = Literal["integer", "decimal"]
TableFormat = Literal["2021", "2019"]

# What the report says about itself, top-level fields of every record (report-schema.md), in
# the schema's order: the exports' metadata columns and the codebook list these fields.
RECORD_METADATA_FIELDS: tuple[str, ...] = (
    "title", "organ", "organ_level", "report_year", "published_on", "signed_on", "table_format",
)


@dataclass(frozen=True)
class Section:
    key: str
    number: str  # the Chinese enumerator printed before the heading
    heading: str  # the heading as printed in the official template
    english: str
    printed: str  # how real reports word the heading after its enumerator (a pattern fragment)


SECTIONS: tuple[Section, ...] = (
    Section("overview", "一", "总体情况", "Overview", "总体情况"),
    Section("active_disclosure", "二", "主动公开政府信息情况", "Proactive disclosure (table 2)", "主动公开政府信息"),
    Section("applications", "三", "收到和处理政府信息公开申请情况", "Applications received and handled (table 3)",
            "收到和处理"),
    Section("review_litigation", "四", "政府信息公开行政复议、行政诉讼情况", "Administrative review and litigation (table 4)",
            ".{0,12}行政复议"),
    Section("problems", "五", "存在的主要问题及改进情况", "Main problems and improvements", "存在的?主要问题"),
    Section("other_matters", "六", "其他需要报告的事项", "Other matters to report", "其他需要报告"),
)
SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)
# A heading line: an optional bullet, the enumerator, its optional comma, then the words.
SECTION_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (s.key, re.compile(rf"^[•·\-]?{s.number}[、.,]?{s.printed}")) for s in SECTIONS
)


@dataclass(frozen=True)
class Row:
    key: str
    label: str  # as printed in the official template
    english: str
    printed: re.Pattern[str] | None = None  # how real reports print the label (None: found by position)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    english: str
    type: ValueType = "integer"


@dataclass(frozen=True)
class Key:
    """One canonical cell: ``t3.new.natural_person`` and everything known about it."""

    key: str
    table: int
    formats: tuple[TableFormat, ...]
    row: Row
    column: Column
    type: ValueType

    @property
    def label(self) -> str:
        return f"{self.row.label} / {self.column.label}"

    @property
    def english(self) -> str:
        return f"{self.row.english}: {self.column.english}"


# --- Table 2, 2021 format (国办公开办函〔2021〕30号) -------------------------------
_T2_2021_COUNTS = (
    Column("issued", "本年制发件数", "issued this year"),
    Column("repealed", "本年废止件数", "repealed this year"),
    Column("in_force", "现行有效件数", "in force"),
)
_T2_DECISIONS = Column("decisions", "本年处理决定数量", "decisions this year")
# The rows both templates print, under the same label.
_T2_RULES = Row("rules", "规章", "Rules (规章)", re.compile(r"规章"))
_T2_LICENSING = Row("licensing", "行政许可", "Administrative licensing", re.compile(r"行政许可"))
_T2_PUNISHMENT = Row("punishment", "行政处罚", "Administrative punishment", re.compile(r"行政处罚"))
_T2_COERCION = Row("coercion", "行政强制", "Administrative coercion", re.compile(r"行政强制"))
_T2_FEES = Row("fees", "行政事业性收费", "Administrative fees", re.compile(r"事业性收费"))
_T2_NORMATIVE_PRINTED = re.compile(r"规范性文件")  # 2021 prints 行政规范性文件, 2019 规范性文件
T2_2021: tuple[tuple[Row, tuple[Column, ...]], ...] = (
    (_T2_RULES, _T2_2021_COUNTS),
    (Row("normative", "行政规范性文件", "Normative documents", _T2_NORMATIVE_PRINTED), _T2_2021_COUNTS),
    (_T2_LICENSING, (_T2_DECISIONS,)),
    (_T2_PUNISHMENT, (_T2_DECISIONS,)),
    (_T2_COERCION, (_T2_DECISIONS,)),
    (_T2_FEES, (Column("amount", "本年收费金额(单位:万元)", "amount collected (10,000 yuan)", "decimal"),)),
)

# --- Table 2, 2019 format (国办公开办函〔2019〕60号) -------------------------------
_T2_2019_DOCS = (
    Column("made", "本年新制作数量", "newly made this year"),
    Column("published", "本年新公开数量", "newly published this year"),
    Column("total_published", "对外公开总数量", "total published"),
)
_T2_2019_ITEMS = (
    Column("prev_items", "上一年项目数量", "items in the previous year"),
    Column("change", "本年增/减", "change this year (may be negative)"),
    Column("decisions", "处理决定数量", "decisions"),
)
T2_2019: tuple[tuple[Row, tuple[Column, ...]], ...] = (
    (_T2_RULES, _T2_2019_DOCS),
    (Row("normative", "规范性文件", "Normative documents", _T2_NORMATIVE_PRINTED), _T2_2019_DOCS),
    (_T2_LICENSING, _T2_2019_ITEMS),
    (Row("other_services", "其他对外管理服务事项", "Other external management services", re.compile(r"对外管理服务")),
     _T2_2019_ITEMS),
    (_T2_PUNISHMENT, _T2_2019_ITEMS),
    (_T2_COERCION, _T2_2019_ITEMS),
    (_T2_FEES, _T2_2019_ITEMS[:2]),
    (
        Row("procurement", "政府集中采购", "Centralised government procurement", re.compile(r"集中采购")),
        (
            Column("items", "采购项目数量", "procurement items"),
            Column("amount", "采购总金额", "total procurement amount", "decimal"),
        ),
    ),
)
# Every table-2 row of either template, in printed order (the 2019 template prints them all).
T2_ROW_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((row.key, row.printed) for row, _ in T2_2019)

# --- Table 3 ------------------------------------------------------------------------
T3_COLUMNS: tuple[Column, ...] = (
    Column("natural_person", "自然人", "natural persons"),
    Column("commercial", "商业企业", "legal persons: commercial enterprises"),
    Column("research", "科研机构", "legal persons: research institutions"),
    Column("public_interest", "社会公益组织", "legal persons: public-interest organisations"),
    Column("legal_services", "法律服务机构", "legal persons: legal service institutions"),
    Column("other_org", "其他", "legal persons: other"),
    Column("total", "总计", "total"),
)
T3_COLUMN_KEYS: tuple[str, ...] = tuple(c.key for c in T3_COLUMNS)
T3_PARTY_COLUMNS: tuple[str, ...] = T3_COLUMN_KEYS[:-1]  # the applicants, without the total

T3_ROWS: tuple[Row, ...] = (
    Row("new", "一、本年新收政府信息公开申请数量", "New applications this year", re.compile(r"本年新收")),
    Row("carried_in", "二、上年结转政府信息公开申请数量", "Carried over from the previous year", re.compile(r"上年结转|上年度结转")),
    Row("granted", "(一)予以公开", "Result: disclosed", re.compile(r"予以公开")),
    Row("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "Result: partly disclosed", re.compile(r"部分公开")),
    Row("denied.state_secret", "1.属于国家秘密", "Denied: state secret", re.compile(r"国家秘密")),
    Row("denied.law_prohibited", "2.其他法律行政法规禁止公开", "Denied: prohibited by other laws",
        re.compile(r"法律行政(?:法规)?(?:禁)?止公开|法律行政法规")),
    Row("denied.security_stability", "3.危及“三安全一稳定”", "Denied: endangers the 'three securities and one stability'",
        re.compile(r"三安全一稳定")),
    Row("denied.third_party", "4.保护第三方合法权益", "Denied: protects third-party rights", re.compile(r"第三方合法权益")),
    Row("denied.internal_affairs", "5.属于三类内部事务信息", "Denied: internal affairs", re.compile(r"内部事务")),
    Row("denied.process_info", "6.属于四类过程性信息", "Denied: process information", re.compile(r"过程性信息")),
    Row("denied.enforcement_file", "7.属于行政执法案卷", "Denied: law-enforcement case file", re.compile(r"执法案卷")),
    Row("denied.query_matter", "8.属于行政查询事项", "Denied: administrative query matter", re.compile(r"行政查询")),
    Row("unavailable.not_held", "1.本机关不掌握相关政府信息", "Unavailable: not held", re.compile(r"不掌握")),
    Row("unavailable.needs_creation", "2.没有现成信息需要另行制作", "Unavailable: would need to be created",
        re.compile(r"另行制作|没有现成")),
    Row("unavailable.unclear", "3.补正后申请内容仍不明确", "Unavailable: still unclear after correction",
        re.compile(r"仍不明确")),
    Row("not_processed.petition", "1.信访举报投诉类申请", "Not processed: petitions, reports, complaints",
        re.compile(r"信访举报")),
    Row("not_processed.repeated", "2.重复申请", "Not processed: repeated application", re.compile(r"重复申请")),
    Row("not_processed.publication", "3.要求提供公开出版物", "Not processed: asks for a publication",
        re.compile(r"公开出版物")),
    Row("not_processed.excessive", "4.无正当理由大量反复申请", "Not processed: excessive repeated applications",
        re.compile(r"大量反复")),
    Row("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息", "Not processed: asks to confirm or re-issue information",
        re.compile(r"重新出具")),
    Row("other_handling", "(六)其他处理", "Other handling (printed as one row)", re.compile(r"其他处理$")),
    Row(
        "other_handling.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "Other handling: applicant did not correct in time",
        re.compile(r"不补正"),
    ),
    Row(
        "other_handling.unpaid_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "Other handling: applicant did not pay the fee in time",
        re.compile(r"收费通知|缴纳费用"),
    ),
    Row("other_handling.other", "3.其他", "Other handling: other", re.compile(r"3[.、,]?其他$")),
    Row("handled_total", "(七)总计", "Total handled", re.compile(r"总计$")),
    Row("carried_out", "四、结转下年度继续办理", "Carried over to next year", re.compile(r"结转下年")),
)
T3_ROW_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((row.key, row.printed) for row in T3_ROWS)
T3_OTHER_HANDLING_PARTS: tuple[str, ...] = (
    "other_handling.no_correction",
    "other_handling.unpaid_fee",
    "other_handling.other",
)

# --- Table 4 ------------------------------------------------------------------------
T4_BLOCKS: tuple[Row, ...] = (
    Row("review", "行政复议", "Administrative review"),
    Row("suit_direct", "行政诉讼 未经复议直接起诉", "Litigation without prior review"),
    Row("suit_after_review", "行政诉讼 复议后起诉", "Litigation after review"),
)
T4_COLUMNS: tuple[Column, ...] = (
    Column("upheld", "结果维持", "upheld"),
    Column("corrected", "结果纠正", "corrected"),
    Column("other", "其他结果", "other result"),
    Column("pending", "尚未审结", "pending"),
    Column("total", "总计", "total"),
)


def _build() -> dict[str, Key]:
    keys: dict[str, Key] = {}

    def add(key: str, table: int, fmt: TableFormat, row: Row, column: Column) -> None:
        if key in keys:
            existing = keys[key]
            keys[key] = Key(key, table, existing.formats + (fmt,), existing.row, existing.column, existing.type)
        else:
            keys[key] = Key(key, table, (fmt,), row, column, column.type)

    for fmt, rows in (("2021", T2_2021), ("2019", T2_2019)):
        for row, columns in rows:
            for column in columns:
                add(f"t2.{row.key}.{column.key}", 2, fmt, row, column)
    for fmt in ("2021", "2019"):
        for row in T3_ROWS:
            if fmt == "2019" and row.key in T3_OTHER_HANDLING_PARTS:
                continue  # the 2019 template prints 其他处理 as one row only
            for column in T3_COLUMNS:
                add(f"t3.{row.key}.{column.key}", 3, fmt, row, column)
        for block in T4_BLOCKS:
            for column in T4_COLUMNS:
                add(f"t4.{block.key}.{column.key}", 4, fmt, block, column)
    return keys


KEYS: dict[str, Key] = _build()


def value_type(key: str) -> ValueType:
    return KEYS[key].type
