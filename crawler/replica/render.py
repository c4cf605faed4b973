"""Print a `ReportSpec` the way real portals and attachments print annual reports.

Every layout starts from one document model (blocks of text and tables whose cells carry
rowspan/colspan exactly like the official 2021 template) and a per-document `_Style` that
picks the label variants, enumerators, punctuation and placeholders a real author would.
Labels are written as reports print them; this package never imports `parsers`.
"""

from __future__ import annotations

import html
import io
import random
import re
import threading
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape as xml_escape

import zhconv

from crawler.replica.reports import T3_COLUMNS, T4_BLOCKS, T4_COLUMNS, Number, ReportSpec, short_name, t3_rows

LAYOUTS = ("html_table", "cell_per_line", "pipe", "tab_text")
TEXT_LAYOUTS = ("cell_per_line", "pipe", "tab_text")


@dataclass
class Cell:
    text: str                 # "\n" separates the paragraphs printed inside one cell
    rowspan: int = 1
    colspan: int = 1
    key: str | None = None    # the value key of a number cell


@dataclass
class Table:
    rows: list[list[Cell]]
    kind: str                 # "t2" | "t3" | "t4"
    header_rows: int


@dataclass
class Block:
    kind: str                 # "title" | "heading" | "bullet_heading" | "para" | "table" | "signature"
    text: str = ""
    table: Table | None = None
    section: str | None = None


@dataclass
class _Style:
    half_width: bool
    item_separator: str
    normative_label: str
    in_force_label: str
    split_commercial: bool
    law_typo: bool
    quotes: tuple[str, str]
    placeholder: str
    thousands: bool
    unit_keys: dict[str, str] = field(default_factory=dict)
    traditional: bool = False
    headings: dict[str, str] = field(default_factory=dict)
    bullet_heading: str | None = None
    blank_lines: bool = True
    split_result_headers: bool = True
    lost_heading: str | None = None       # tab_text: a heading the PDF extraction dropped
    echo_labels: bool = False             # tab_text: "行政处罚\t行政处罚 0" (seed 002)
    metadata_block: bool = False          # pipe: 索引号/发布机构/发布日期 block (seed 003)
    keep_grid: bool = False               # DOCX/PDF: a left-out cell stays as an empty cell in place


_HEADINGS = {
    "overview": ("一、总体情况",),
    "active_disclosure": ("二、主动公开政府信息情况",),
    "applications": ("三、收到和处理政府信息公开申请情况",),
    "review_litigation": ("四、政府信息公开行政复议、行政诉讼情况", "四、政府信息公开行政复议、行政诉讼情况",
                          "四、因政府信息公开工作被申请行政复议、提起行政诉讼情况",
                          "四、政府信息公开行政复议和行政诉讼情况"),
    "problems": ("五、存在的主要问题及改进情况", "五、存在的主要问题及改进情况",
                 "五、政府信息公开工作存在的主要问题及改进情况", "五、存在的主要问题及改进措施"),
    "other_matters": ("六、其他需要报告的事项", "六、其他需要报告的事项", "六、其他需要报告的事项情况"),
}
PLACEHOLDERS = ("/", "-", "—", "不适用", "")


def _style(spec: ReportSpec, rng: random.Random) -> _Style:
    unit_keys: dict[str, str] = {}
    if rng.random() < 0.1:
        for key in ("t2.licensing.decisions", "t2.punishment.decisions"):
            if key in spec.values:
                unit_keys[key] = rng.choice(("件", "项"))
        if spec.values.get("t2.fees.amount") or spec.values.get("t2.procurement.amount"):
            unit_keys["t2.fees.amount" if spec.table_format == "2021" else "t2.procurement.amount"] = "万元"
    headings = {key: rng.choice(options) for key, options in _HEADINGS.items()}
    return _Style(
        half_width=rng.random() < 0.4,
        item_separator=rng.choices((".", "、", "．"), (70, 20, 10))[0],
        normative_label=("行政规范性文件" if spec.table_format == "2021" and rng.random() < 0.8 else "规范性文件"),
        in_force_label=rng.choice(("现行有效件数", "现行有效件数", "现行有效件")),
        split_commercial=rng.random() < 0.4,
        law_typo=rng.random() < 0.05,
        quotes=rng.choice((("“", "”"), ('"', '"'))),
        placeholder=rng.choice(PLACEHOLDERS),
        thousands=rng.random() < 0.3,
        unit_keys=unit_keys,
        traditional=spec.traditional,
        headings=headings,
        bullet_heading=rng.choice(("problems", "review_litigation", "other_matters")) if rng.random() < 0.1 else None,
        blank_lines=rng.random() < 0.6,
        split_result_headers=rng.random() < 0.5,
        lost_heading=rng.choice(("active_disclosure", "review_litigation", "problems")) if rng.random() < 0.1 else None,
        echo_labels=rng.random() < 0.2,
        metadata_block=rng.random() < 0.5,
    )


def _label(text: str, style: _Style) -> str:
    """Apply the document's enumerator, punctuation and script choices to a printed label."""
    text = re.sub(r"(?<![\d.])(\d)\.(?=\D)", lambda m: m.group(1) + style.item_separator, text)
    text = text.replace("“", style.quotes[0]).replace("”", style.quotes[1])
    if style.half_width:
        text = text.replace("（", "(").replace("）", ")").replace("：", ":")
    if style.traditional:
        text = zhconv.convert(text, "zh-hant")
    return text


def format_value(value: Number | None, key: str, style: _Style) -> str:
    """How one number is printed; a blank cell prints the document's placeholder, never 0."""
    if value is None:
        return style.placeholder
    if isinstance(value, float):
        text = repr(value)
    elif style.thousands and abs(value) >= 1000:
        text = f"{value:,}"
    else:
        text = str(value)
    return text + style.unit_keys.get(key, "")


# ---------------------------------------------------------------- the document model

def _value_cells(spec: ReportSpec, style: _Style, keys: list[str], spans: list[int] | None = None) -> list[Cell]:
    spans = spans or [1] * len(keys)
    if style.keep_grid:  # a Word or PDF table has a fixed grid: leaving a cell out leaves it empty
        return [Cell("", colspan=span) if key in spec.omitted else
                Cell(format_value(spec.values[key], key, style), colspan=span, key=key)
                for key, span in zip(keys, spans)]
    return [Cell(format_value(spec.values[key], key, style), colspan=span, key=key)
            for key, span in zip(keys, spans) if key not in spec.omitted]


def _table2(spec: ReportSpec, style: _Style) -> Table:
    L = lambda text: _label(text, style)  # noqa: E731
    V = lambda keys, spans=None: _value_cells(spec, style, keys, spans)  # noqa: E731
    item = lambda n: Cell(L(f"第二十条第（{n}）项"), colspan=4)  # noqa: E731
    content = Cell(L("信息内容"))
    if spec.table_format == "2021":
        rows = [
            [item("一")],
            [content, Cell(L("本年制发件数")), Cell(L("本年废止件数")), Cell(L(style.in_force_label))],
            [Cell(L("规章")), *V(["t2.rules.issued", "t2.rules.repealed", "t2.rules.in_force"])],
            [Cell(L(style.normative_label)), *V(["t2.normative.issued", "t2.normative.repealed", "t2.normative.in_force"])],
            [item("五")], [Cell(L("信息内容")), Cell(L("本年处理决定数量"), colspan=3)],
            [Cell(L("行政许可")), *V(["t2.licensing.decisions"], [3])],
            [item("六")], [Cell(L("信息内容")), Cell(L("本年处理决定数量"), colspan=3)],
            [Cell(L("行政处罚")), *V(["t2.punishment.decisions"], [3])],
            [Cell(L("行政强制")), *V(["t2.coercion.decisions"], [3])],
            [item("八")], [Cell(L("信息内容")), Cell(L("本年收费金额（单位：万元）"), colspan=3)],
            [Cell(L("行政事业性收费")), *V(["t2.fees.amount"], [3])],
        ]
        return Table(rows, "t2", 0)
    three = lambda item_key: V([f"t2.{item_key}.prev_items", f"t2.{item_key}.change", f"t2.{item_key}.decisions"])  # noqa: E731
    counts_header = [Cell(L("信息内容")), Cell(L("上一年项目数量")), Cell(L("本年增/减")), Cell(L("处理决定数量"))]
    rows = [
        [item("一")],
        [content, Cell(L("本年新制作数量")), Cell(L("本年新公开数量")), Cell(L("对外公开总数量"))],
        [Cell(L("规章")), *V(["t2.rules.made", "t2.rules.published", "t2.rules.total_published"])],
        [Cell(L("规范性文件")), *V(["t2.normative.made", "t2.normative.published", "t2.normative.total_published"])],
        [item("五")], counts_header,
        [Cell(L("行政许可")), *three("licensing")],
        [Cell(L("其他对外管理服务事项")), *three("other_services")],
        [item("六")], [Cell(c.text) for c in counts_header],
        [Cell(L("行政处罚")), *three("punishment")],
        [Cell(L("行政强制")), *three("coercion")],
        [item("八")], [Cell(L("信息内容")), Cell(L("上一年项目数量")), Cell(L("本年增/减"), colspan=2)],
        [Cell(L("行政事业性收费")), *V(["t2.fees.prev_items", "t2.fees.change"], [1, 2])],
        [item("九")], [Cell(L("信息内容")), Cell(L("采购项目数量")), Cell(L("采购总金额"), colspan=2)],
        [Cell(L("政府集中采购")), *V(["t2.procurement.items", "t2.procurement.amount"], [1, 2])],
    ]
    return Table(rows, "t2", 0)


_T3_ITEM_LABELS = {
    "new": "一、本年新收政府信息公开申请数量",
    "carried_in": "二、上年结转政府信息公开申请数量",
    "granted": "（一）予以公开",
    "partly_granted": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
    "denied.state_secret": "1.属于国家秘密",
    "denied.law_prohibited": "2.其他法律行政法规禁止公开",
    "denied.security_stability": "3.危及“三安全一稳定”",
    "denied.third_party": "4.保护第三方合法权益",
    "denied.internal_affairs": "5.属于三类内部事务信息",
    "denied.process_info": "6.属于四类过程性信息",
    "denied.enforcement_file": "7.属于行政执法案卷",
    "denied.query_matter": "8.属于行政查询事项",
    "unavailable.not_held": "1.本机关不掌握相关政府信息",
    "unavailable.needs_creation": "2.没有现成信息需要另行制作",
    "unavailable.unclear": "3.补正后申请内容仍不明确",
    "not_processed.petition": "1.信访举报投诉类申请",
    "not_processed.repeated": "2.重复申请",
    "not_processed.publication": "3.要求提供公开出版物",
    "not_processed.excessive": "4.无正当理由大量反复申请",
    "not_processed.confirmation": "5.要求行政机关确认或重新出具已获取信息",
    "other_handling": "（六）其他处理",
    "other_handling.no_correction": "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
    "other_handling.unpaid_fee": "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
    "other_handling.other": "3.其他",
    "handled_total": "（七）总计",
    "carried_out": "四、结转下年度继续办理",
}
_T3_GROUPS = {"denied": ("（三）不予公开", 8), "unavailable": ("（四）无法提供", 3),
              "not_processed": ("（五）不予处理", 5), "other_handling": ("（六）其他处理", 3)}


def _table3(spec: ReportSpec, style: _Style) -> Table:
    L = lambda text: _label(text, style)  # noqa: E731
    commercial = "商业\n企业" if style.split_commercial else "商业企业"
    rows = [
        [Cell(L("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"), rowspan=3, colspan=3),
         Cell(L("申请人情况"), colspan=7)],
        [Cell(L("自然人"), rowspan=2), Cell(L("法人或其他组织"), colspan=5), Cell(L("总计"), rowspan=2)],
        [Cell(L(commercial)), Cell(L("科研机构")), Cell(L("社会公益组织")), Cell(L("法律服务机构")), Cell(L("其他"))],
    ]
    row_keys = t3_rows(spec.other_handling_rows)
    outcome_span = len(row_keys) - 3
    for row in row_keys:
        label = _T3_ITEM_LABELS[row]
        if row == "denied.law_prohibited" and style.law_typo:
            label = "2.其他法律行政止公开"
        values = _value_cells(spec, style, [f"t3.{row}.{col}" for col in T3_COLUMNS])
        group = row.split(".")[0]
        lead: list[Cell] = []
        if row == "granted":
            lead.append(Cell(L("三、本年度办理结果"), rowspan=outcome_span))
        if row in ("new", "carried_in", "carried_out"):
            lead.append(Cell(L(label), colspan=3))
        elif "." in row and group in _T3_GROUPS:
            group_label, size = _T3_GROUPS[group]
            if row.endswith((".state_secret", ".not_held", ".petition", ".no_correction")):
                lead.append(Cell(L(group_label), rowspan=size))
            lead.append(Cell(L(label)))
        else:
            lead.append(Cell(L(label), colspan=2))
        rows.append(lead + values)
    return Table(rows, "t3", 3)


def _table4(spec: ReportSpec, style: _Style) -> Table:
    L = lambda text: _label(text, style)  # noqa: E731
    results = ["结果\n维持", "结果\n纠正", "其他\n结果", "尚未\n审结", "总计"]
    if not style.split_result_headers:
        results = [r.replace("\n", "") for r in results]
    rows = [
        [Cell(L("行政复议"), colspan=5), Cell(L("行政诉讼"), colspan=10)],
        [*(Cell(L(r), rowspan=2) for r in results),
         Cell(L("未经复议直接起诉"), colspan=5), Cell(L("复议后起诉"), colspan=5)],
        [Cell(L(r)) for r in results * 2],
        _value_cells(spec, style, [f"t4.{b}.{c}" for b in T4_BLOCKS for c in T4_COLUMNS]),
    ]
    return Table(rows, "t4", 3)


def _chinese_date(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{year}年{month}月{day}日"


def _blocks(spec: ReportSpec, style: _Style, rng: random.Random, *, with_title: bool) -> list[Block]:
    blocks: list[Block] = []
    if spec.title and with_title:
        blocks.append(Block("title", spec.title))
    blocks.append(Block("para", rng.choice((
        "根据《中华人民共和国政府信息公开条例》（以下简称《条例》）和《中华人民共和国政府信息公开工作年度报告格式》规定编制本报告，并向社会公布。本报告中所列数据统计期限为{y}年1月1日至12月31日。如对本报告有疑问，请与{o}办公室联系。",
        "依据《中华人民共和国政府信息公开条例》第五十条规定，特向社会公布{y}年度{o}政府信息公开工作情况报告。本报告中所列数据的统计期限自{y}年1月1日起至{y}年12月31日止。",
        "本年度报告根据《中华人民共和国政府信息公开条例》要求编制，由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项共6个部分组成。",
    )).format(y=spec.report_year, o=short_name(spec.organ))))
    tables = {"active_disclosure": _table2(spec, style), "applications": _table3(spec, style),
              "review_litigation": _table4(spec, style)}
    for key in ("overview", "active_disclosure", "applications", "review_litigation", "problems", "other_matters"):
        heading = _label(style.headings[key], style) if style.traditional else style.headings[key]
        blocks.append(Block("bullet_heading" if key == style.bullet_heading else "heading", heading, section=key))
        for paragraph in filter(None, spec.sections.get(key, "").split("\n")):
            blocks.append(Block("para", paragraph))
        if key in tables:
            blocks.append(Block("table", table=tables[key]))
    if spec.signed_on or not spec.title:
        blocks.append(Block("signature", f"{spec.organ}\n{_chinese_date(spec.signed_on or spec.published_on)}"))
    return blocks


def _grid(table: Table) -> tuple[list[tuple[int, int, Cell]], int]:
    """Place each cell at its (row, column) in the grid, resolving rowspans; return cells, width."""
    taken: set[tuple[int, int]] = set()
    placed = []
    for r, row in enumerate(table.rows):
        c = 0
        for cell in row:
            while (r, c) in taken:
                c += 1
            placed.append((r, c, cell))
            for dr in range(cell.rowspan):
                for dc in range(cell.colspan):
                    taken.add((r + dr, c + dc))
            c += cell.colspan
    width = max(c for _r, c in taken) + 1
    return placed, width


# ---------------------------------------------------------------- HTML

_TD_STYLES = (
    'style="padding: 0px 4px; border-width: 1px; border-style: solid; border-color: windowtext;" valign="center"',
    'style="border:1px solid #000;text-align:center;"',
    'align="center" valign="middle"',
    "",
)


def _cell_html(cell: Cell, rng: random.Random, td_style: str) -> str:
    spans = (f' rowspan="{cell.rowspan}"' if cell.rowspan > 1 else "") + \
            (f' colspan="{cell.colspan}"' if cell.colspan > 1 else "")
    parts = cell.text.split("\n")
    if cell.key is None and len(parts) == 1 and len(cell.text) > 6 and rng.random() < 0.2:
        cut = rng.randint(2, len(cell.text) - 2)  # header text split over <p>s, as Word exports do
        parts = [cell.text[:cut], cell.text[cut:]]
    if cell.text == "":
        inner = "<p>&nbsp;</p>" if rng.random() < 0.5 else ""
    else:
        inner = "".join(f'<p style="text-indent: 0em;">{html.escape(p, quote=False)}</p>'
                        if rng.random() < 0.8 else f"<p>{html.escape(p, quote=False)}</p>" for p in parts)
    return f"<td{spans} {td_style}>{inner}</td>".replace("  ", " ").replace(" >", ">")


def _table_html(table: Table, rng: random.Random) -> str:
    td_style = rng.choice(_TD_STYLES)
    rows = "".join("<tr>" + "".join(_cell_html(cell, rng, td_style) for cell in row) + "</tr>"
                   for row in table.rows)
    border = rng.choice(('border="1" cellspacing="0" cellpadding="0"', 'style="border-collapse:collapse;" width="100%"'))
    return f'<table {border}><tbody>{rows}</tbody></table>'


def _paragraph_html(block: Block, rng: random.Random) -> str:
    text = html.escape(block.text, quote=False)
    if block.kind == "title":
        return f'<p style="text-align: center;"><strong>{text}</strong></p>'
    if block.kind == "heading":
        return rng.choice((f"<p><strong>{text}</strong></p>", f'<p style="text-indent: 2em;"><strong>{text}</strong></p>',
                           f"<h3>{text}</h3>", f'<p style="text-indent: 2em;">{text}</p>'))
    if block.kind == "bullet_heading":
        return f"<ul><li>{text}</li></ul>"
    if block.kind == "signature":
        return "".join(f'<p style="text-align: right;">{html.escape(line, quote=False)}</p>'
                       for line in block.text.split("\n"))
    return f'<p style="text-indent: 2em;">{text.replace(" ", "&nbsp;") if rng.random() < 0.05 else text}</p>'


# ---------------------------------------------------------------- text layouts

def _cell_lines(table: Table, style: _Style) -> list[str]:
    lines = []
    for row in table.rows:
        for cell in row:
            if cell.key is None:
                lines.extend(cell.text.split("\n"))
            else:
                lines.append(cell.text)
    return lines


def _pipe_lines(table: Table) -> list[str]:
    """Each cell as "text |"; a row with fewer cells than grid columns ends with a run of "|"
    (as text copied out of a spanned table reads, seed 003)."""
    lines = []
    _placed, width = _grid(table)
    for row in table.rows:
        lines.extend(cell.text.replace("\n", "") + " |" for cell in row)
        if len(row) < width:
            lines.append("|" * (width - len(row)))
    return lines


_GARBLE = ("年1寸", "±1.1L.", "41木", "甲细", "心口", "甘加 业土", "4维持", "其他", "结果")


def _fragments(text: str, pieces: int, rng: random.Random) -> list[str]:
    """Break a label the way PDF text extraction does: mid-word, into `pieces` parts."""
    text = text.replace("\n", " ")
    if pieces <= 1 or len(text) < pieces * 2:
        return [text]
    cuts = sorted(rng.sample(range(2, len(text) - 1), pieces - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]


def _tab_lines(table: Table, style: _Style, rng: random.Random) -> list[str]:
    placed, width = _grid(table)
    grid: dict[tuple[int, int], str] = {}
    for r, c, cell in placed:
        if cell.key is not None:
            row = table.rows[r]
            if style.echo_labels and table.kind == "t2" and len(row) == 2 and rng.random() < 0.5:
                label = row[0].text  # the label leaks into the value cell, whole or its tail
                grid[(r, c)] = f"{label if rng.random() < 0.5 else label[-2:]} {cell.text}"
            else:
                grid[(r, c)] = cell.text
            continue
        if cell.rowspan > 2:  # a group label spread over the middle rows of its span
            pieces = _fragments(cell.text, min(3, cell.rowspan), rng)
            start = r + (cell.rowspan - len(pieces)) // 2
            for i, piece in enumerate(pieces):
                grid[(start + i, c)] = piece
        elif cell.colspan > 1 and len(cell.text) > 8 and rng.random() < 0.6:
            for i, piece in enumerate(_fragments(cell.text, min(3, cell.colspan), rng)):
                grid[(r, c + i)] = piece
        else:
            grid[(r, c)] = cell.text.replace("\n", " ")
    lines = []
    for r in range(len(table.rows)):
        if r < table.header_rows and table.kind in ("t3", "t4") and rng.random() < 0.7:
            texts = [grid.get((r, c), "") for c in range(width)]
            for half in ([t[: len(t) // 2] for t in texts], [t[len(t) // 2:] for t in texts]):
                garbled = [rng.choice(_GARBLE) if t and rng.random() < 0.15 else t for t in half]
                lines.append("\t".join(garbled).rstrip("\t") + "\t")
            continue
        cells = [grid.get((r, c), "") for c in range(width)]
        lines.append("\t".join(cells).rstrip("\t") + ("\t" if rng.random() < 0.5 else ""))
    return lines


def _text_lines(blocks: list[Block], layout: str, style: _Style, rng: random.Random) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if block.kind == "table":
            assert block.table is not None
            if layout == "cell_per_line":
                lines.extend(_cell_lines(block.table, style))
            elif layout == "pipe":
                lines.extend(_pipe_lines(block.table))
            else:
                lines.extend(_tab_lines(block.table, style, rng))
        elif layout == "tab_text" and block.section is not None and block.section == style.lost_heading:
            continue
        elif block.kind == "bullet_heading":
            lines.append("• " + block.text)
        elif block.kind == "heading" and layout != "pipe":
            lines.append(rng.choice(("", "  ", "    ")) + block.text)
        else:
            lines.extend(block.text.split("\n"))
    return lines


def _metadata_lines(spec: ReportSpec, rng: random.Random) -> list[str]:
    """The document properties block some CMSs print above the article (seed 003)."""
    time_of_day = f"{rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}"
    publisher = spec.organ if rng.random() < 0.6 else ""
    index_code = f"{rng.randint(10**9, 10**10 - 1)}/{spec.published_on[:4]}-{rng.randint(1, 999):05d}"
    return [
        f"索 引 号 | {index_code} | 主题分类 | {rng.choice(('政务公开', '其他', ''))} |",
        f"发布机构 | {publisher} | 发布日期 | {spec.published_on} {time_of_day} | |",
        f"名 称 | {spec.title or ''} |",
        f"文 号 | 〔〕号 | 有 效 性 | {rng.choice(('有效', ''))} |",
        "来 源 |",
    ]


# ---------------------------------------------------------------- public API

def render_plain_text(spec: ReportSpec, layout: str, rng: random.Random) -> str:
    """The report as text with its tables in a text layout (cell_per_line, pipe, tab_text)."""
    if layout not in TEXT_LAYOUTS:
        raise ValueError(f"layout must be one of {TEXT_LAYOUTS}, not {layout!r}")
    style = _style(spec, rng)
    lines = _text_lines(_blocks(spec, style, rng, with_title=True), layout, style, rng)
    if layout == "pipe" and style.metadata_block:
        lines[1:1] = _metadata_lines(spec, rng)
    separator = "\n\n" if layout == "cell_per_line" and style.blank_lines else "\n"
    return separator.join(lines) + "\n"


def render_body_html(spec: ReportSpec, layout: str, rng: random.Random) -> str:
    """The article body (an HTML fragment, no CMS chrome) printing the report in `layout`."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
    style = _style(spec, rng)
    blocks = _blocks(spec, style, rng, with_title=rng.random() < 0.5)
    parts = []
    for block in blocks:
        if block.kind != "table":
            parts.append(_paragraph_html(block, rng))
            if layout == "pipe" and style.metadata_block and block is blocks[0]:
                parts.extend(f"<p>{html.escape(line, quote=False)}</p>" for line in _metadata_lines(spec, rng))
            continue
        assert block.table is not None
        if layout == "html_table":
            parts.append(_table_html(block.table, rng))
        elif layout == "cell_per_line":
            tag = rng.choice(("p", "div"))
            parts.extend(f"<{tag}>{html.escape(line, quote=False)}</{tag}>" for line in _cell_lines(block.table, style))
        elif layout == "pipe":
            parts.extend(f"<p>{html.escape(line, quote=False)}</p>" for line in _pipe_lines(block.table))
        else:
            text = "\n".join(_tab_lines(block.table, style, rng))
            parts.append(f"<pre>{html.escape(text, quote=False)}</pre>" if rng.random() < 0.6 else
                         "".join(f"<p>{html.escape(line, quote=False)}</p>" for line in text.split("\n")))
    return '<div class="article-content">\n' + "\n".join(parts) + "\n</div>\n"


def _pdf_story(spec: ReportSpec, rng: random.Random, *, ruled: bool) -> list:
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, Spacer
    from reportlab.platypus import Table as PdfTable
    from reportlab.platypus import TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10.5, leading=16, wordWrap="CJK",
                          firstLineIndent=21)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=24, alignment=1, firstLineIndent=0)
    heading = ParagraphStyle("heading", parent=body, firstLineIndent=0)
    right = ParagraphStyle("right", parent=body, alignment=2, firstLineIndent=0)
    cell_style = ParagraphStyle("cell", fontName="STSong-Light", fontSize=6.5, leading=8, wordWrap="CJK", alignment=1)
    style = _style(spec, rng)
    style.keep_grid = True
    story: list = []
    for block in _blocks(spec, style, rng, with_title=True):
        if block.kind == "table":
            assert block.table is not None
            placed, width = _grid(block.table)
            data = [["" for _ in range(width)] for _ in block.table.rows]
            commands = [("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]
            if ruled:
                commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
            for r, c, cell in placed:
                data[r][c] = Paragraph(xml_escape(cell.text).replace("\n", "<br/>"), cell_style)
                if cell.rowspan > 1 or cell.colspan > 1:
                    commands.append(("SPAN", (c, r), (c + cell.colspan - 1, r + cell.rowspan - 1)))
            label_columns = {"t2": 1, "t3": 3, "t4": 0}[block.table.kind]
            widths = ([110.0] + [110.0] * (width - 1) if block.table.kind == "t2" else
                      [34.0] * width if block.table.kind == "t4" else
                      [40.0, 50.0, 120.0][:label_columns] + [37.0] * (width - label_columns))
            story.append(PdfTable(data, colWidths=widths, style=TableStyle(commands), repeatRows=0))
            story.append(Spacer(1, 8))
        elif block.kind == "title":
            story.append(Paragraph(xml_escape(block.text), title))
        elif block.kind in ("heading", "bullet_heading"):
            story.append(Paragraph(xml_escape(block.text), heading))
        elif block.kind == "signature":
            story.append(Spacer(1, 12))
            story.extend(Paragraph(xml_escape(line), right) for line in block.text.split("\n"))
        else:
            story.append(Paragraph(xml_escape(block.text), body))
    return story


def render_pdf(spec: ReportSpec, rng: random.Random, *, ruled: bool) -> bytes:
    """A text PDF (CID font STSong-Light, no font file); `ruled` draws the table grid lines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.platypus import SimpleDocTemplate

    buffer = io.BytesIO()
    document = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=40, rightMargin=40, topMargin=50,
                                 bottomMargin=50, invariant=1, title=spec.title or "", author="", creator="")
    document.build(_pdf_story(spec, rng, ruled=ruled))
    return buffer.getvalue()


# pdfium (behind pdfplumber's page images) is not thread-safe: the threaded proxy renders one at a time.
_PDFIUM = threading.Lock()


def render_image_only_pdf(spec: ReportSpec, rng: random.Random) -> bytes:
    """A 图片版: each page is a picture of the printed report, with no text layer at all."""
    with _PDFIUM:
        return _render_image_only_pdf(spec, rng)


def _render_image_only_pdf(spec: ReportSpec, rng: random.Random) -> bytes:
    import pdfplumber
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    text_pdf = render_pdf(spec, rng, ruled=True)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    with pdfplumber.open(io.BytesIO(text_pdf)) as source:
        for page in source.pages:
            picture = page.to_image(resolution=72).original.convert("L")
            canvas.setPageSize((page.width, page.height))
            canvas.drawImage(ImageReader(picture), 0, 0, width=page.width, height=page.height)
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _fixed_zip_times(docx_bytes: bytes) -> bytes:
    """Rewrite the package with constant member times so the same spec gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(docx_bytes))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2020, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, source.read(info.filename))
    return output.getvalue()


def render_docx(spec: ReportSpec, rng: random.Random) -> bytes:
    """A Word attachment whose tables merge cells exactly as the official template does."""
    import datetime as dt

    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = docx.Document()
    core = document.core_properties
    core.created = core.modified = dt.datetime(spec.report_year + 1, 1, 1)
    core.author = core.last_modified_by = ""
    core.title = spec.title or ""
    style = _style(spec, rng)
    style.keep_grid = True
    for block in _blocks(spec, style, rng, with_title=True):
        if block.kind == "table":
            assert block.table is not None
            placed, width = _grid(block.table)
            table = document.add_table(rows=len(block.table.rows), cols=width)
            table.style = "Table Grid"
            # table.cell() rebuilds the whole cell list per call; take the grid once (spans never overlap)
            grid = table._cells
            at = lambda row, column: grid[row * width + column]  # noqa: E731
            for r, c, cell in placed:
                target = at(r, c)
                if cell.rowspan > 1 or cell.colspan > 1:
                    target = target.merge(at(r + cell.rowspan - 1, c + cell.colspan - 1))
                lines = cell.text.split("\n")
                target.paragraphs[0].text = lines[0]
                for line in lines[1:]:
                    target.add_paragraph(line)
        elif block.kind == "title":
            document.add_paragraph(block.text).alignment = WD_ALIGN_PARAGRAPH.CENTER
        elif block.kind == "signature":
            for line in block.text.split("\n"):
                document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            document.add_paragraph(("• " if block.kind == "bullet_heading" else "") + block.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_times(buffer.getvalue())

