"""The one registry of canonical keys and their labels.

Every other part of the project — the parser, the checks, the exports, the codebook —
reads the keys, labels and types from here (``../shared/reference/report-format.md``
is the specification). The replica portal network is the deliberate exception: it
prints labels the way real reports do and never imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ValueType = Literal["integer", "decimal"]
TableFormat = Literal["2021", "2019"]


@dataclass(frozen=True)
class Section:
    key: str
    number: str  # the Chinese enumerator printed before the heading
    heading: str  # the heading as printed in the official template
    english: str


SECTIONS: tuple[Section, ...] = (
    Section("overview", "一", "总体情况", "Overview"),
    Section("active_disclosure", "二", "主动公开政府信息情况", "Proactive disclosure (table 2)"),
    Section("applications", "三", "收到和处理政府信息公开申请情况", "Applications received and handled (table 3)"),
    Section("review_litigation", "四", "政府信息公开行政复议、行政诉讼情况", "Administrative review and litigation (table 4)"),
    Section("problems", "五", "存在的主要问题及改进情况", "Main problems and improvements"),
    Section("other_matters", "六", "其他需要报告的事项", "Other matters to report"),
)
SECTION_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS)


@dataclass(frozen=True)
class Row:
    key: str
    label: str  # as printed in the official template
    english: str


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
T2_2021: tuple[tuple[Row, tuple[Column, ...]], ...] = (
    (Row("rules", "规章", "Rules (规章)"), _T2_2021_COUNTS),
    (Row("normative", "行政规范性文件", "Normative documents"), _T2_2021_COUNTS),
    (Row("licensing", "行政许可", "Administrative licensing"), (_T2_DECISIONS,)),
    (Row("punishment", "行政处罚", "Administrative punishment"), (_T2_DECISIONS,)),
    (Row("coercion", "行政强制", "Administrative coercion"), (_T2_DECISIONS,)),
    (
        Row("fees", "行政事业性收费", "Administrative fees"),
        (Column("amount", "本年收费金额(单位:万元)", "amount collected (10,000 yuan)", "decimal"),),
    ),
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
    (Row("rules", "规章", "Rules (规章)"), _T2_2019_DOCS),
    (Row("normative", "规范性文件", "Normative documents"), _T2_2019_DOCS),
    (Row("licensing", "行政许可", "Administrative licensing"), _T2_2019_ITEMS),
    (Row("other_services", "其他对外管理服务事项", "Other external management services"), _T2_2019_ITEMS),
    (Row("punishment", "行政处罚", "Administrative punishment"), _T2_2019_ITEMS),
    (Row("coercion", "行政强制", "Administrative coercion"), _T2_2019_ITEMS),
    (Row("fees", "行政事业性收费", "Administrative fees"), _T2_2019_ITEMS[:2]),
    (
        Row("procurement", "政府集中采购", "Centralised government procurement"),
        (
            Column("items", "采购项目数量", "procurement items"),
            Column("amount", "采购总金额", "total procurement amount", "decimal"),
        ),
    ),
)

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
T3_PARTY_COLUMNS: tuple[str, ...] = tuple(c.key for c in T3_COLUMNS[:-1])

T3_ROWS: tuple[Row, ...] = (
    Row("new", "一、本年新收政府信息公开申请数量", "New applications this year"),
    Row("carried_in", "二、上年结转政府信息公开申请数量", "Carried over from the previous year"),
    Row("granted", "(一)予以公开", "Result: disclosed"),
    Row("partly_granted", "(二)部分公开(区分处理的,只计这一情形,不计其他情形)", "Result: partly disclosed"),
    Row("denied.state_secret", "1.属于国家秘密", "Denied: state secret"),
    Row("denied.law_prohibited", "2.其他法律行政法规禁止公开", "Denied: prohibited by other laws"),
    Row("denied.security_stability", "3.危及“三安全一稳定”", "Denied: endangers the 'three securities and one stability'"),
    Row("denied.third_party", "4.保护第三方合法权益", "Denied: protects third-party rights"),
    Row("denied.internal_affairs", "5.属于三类内部事务信息", "Denied: internal affairs"),
    Row("denied.process_info", "6.属于四类过程性信息", "Denied: process information"),
    Row("denied.enforcement_file", "7.属于行政执法案卷", "Denied: law-enforcement case file"),
    Row("denied.query_matter", "8.属于行政查询事项", "Denied: administrative query matter"),
    Row("unavailable.not_held", "1.本机关不掌握相关政府信息", "Unavailable: not held"),
    Row("unavailable.needs_creation", "2.没有现成信息需要另行制作", "Unavailable: would need to be created"),
    Row("unavailable.unclear", "3.补正后申请内容仍不明确", "Unavailable: still unclear after correction"),
    Row("not_processed.petition", "1.信访举报投诉类申请", "Not processed: petitions, reports, complaints"),
    Row("not_processed.repeated", "2.重复申请", "Not processed: repeated application"),
    Row("not_processed.publication", "3.要求提供公开出版物", "Not processed: asks for a publication"),
    Row("not_processed.excessive", "4.无正当理由大量反复申请", "Not processed: excessive repeated applications"),
    Row("not_processed.confirmation", "5.要求行政机关确认或重新出具已获取信息", "Not processed: asks to confirm or re-issue information"),
    Row("other_handling", "(六)其他处理", "Other handling (printed as one row)"),
    Row(
        "other_handling.no_correction",
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        "Other handling: applicant did not correct in time",
    ),
    Row(
        "other_handling.unpaid_fee",
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        "Other handling: applicant did not pay the fee in time",
    ),
    Row("other_handling.other", "3.其他", "Other handling: other"),
    Row("handled_total", "(七)总计", "Total handled"),
    Row("carried_out", "四、结转下年度继续办理", "Carried over to next year"),
)
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
