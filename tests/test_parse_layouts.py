"""Hand-written table snippets: the printing quirks of report-format.md, one at a time."""

from __future__ import annotations

from parsers import parse_document

T2_2019_TRADITIONAL = """某某縣人民政府2020年政府信息公開工作年度報告
二、主動公開政府信息情況
第二十條第（一）項
信息內容\t本年新製作數量\t本年新公開數量\t對外公開總數量
規章\t0\t0\t0
規範性文件\t3\t3\t1,205
第二十條第（五）項
信息內容\t上一年項目數量\t本年增/減\t處理決定數量
行政許可\t12\t-3\t1,024件
其他對外管理服務事項\t/\t—\t不適用
第二十條第（六）項
行政處罰\t5\t0\t7
行政強制\t1\t-1\t0
第二十條第（八）項
行政事業性收費\t2\t0
第二十條第（九）項
信息內容\t採購項目數量\t採購總金額
政府集中採購\t4\t190.457379萬元
三、收到和處理政府信息公開申請情況
"""


def test_traditional_2019_table2_with_negatives_placeholders_units() -> None:
    record = parse_document(T2_2019_TRADITIONAL.encode("utf-8"), content_type="text/plain")
    values = record["values"]
    assert record["table_format"] == "2019"
    assert values["t2.normative.total_published"] == 1205
    assert values["t2.licensing.change"] == -3 and values["t2.licensing.decisions"] == 1024
    assert values["t2.other_services.prev_items"] is None
    assert values["t2.other_services.change"] is None
    assert values["t2.other_services.decisions"] is None
    assert values["t2.coercion.change"] == -1
    assert values["t2.procurement.amount"] == 190.457379 and isinstance(values["t2.procurement.amount"], float)
    assert values["t2.fees.prev_items"] == 2


def test_digits_inside_labels_are_not_values_and_rows_do_not_shift() -> None:
    rows = ["(三)不予公开", "1.属于国家秘密", *["0"] * 7, "2.其他法律行政法规禁止公开", *["1"] * 6,
            "3.危及“三安全一稳定”", "2", "0", "0", "0", "0", "0", "2"]
    text = "\n".join(["三、收到和处理政府信息公开申请情况", "申请人情况", "一、本年新收政府信息公开申请数量",
                      *["0"] * 7, *rows, "四、政府信息公开行政复议、行政诉讼情况"])
    values = parse_document(text.encode("utf-8"))["values"]
    assert all(values[f"t3.denied.state_secret.{c}"] == 0 for c in ("natural_person", "total"))
    assert values["t3.denied.law_prohibited.natural_person"] is None  # 6 values for 7 columns: unknown places
    assert values["t3.denied.security_stability.natural_person"] == 2  # the next row is not shifted
    assert values["t3.denied.security_stability.total"] == 2


def test_html_rowspan_colspan_grid() -> None:
    header = ("<tr><td colspan='3' rowspan='3'>（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）</td>"
              "<td colspan='7'>申请人情况</td></tr><tr><td rowspan='2'>自然人</td><td colspan='5'>法人或其他组织</td>"
              "<td rowspan='2'>总计</td></tr><tr><td>商业企业</td><td>科研机构</td><td>社会公益组织</td>"
              "<td>法律服务机构</td><td>其他</td></tr>")
    new = "<tr><td colspan='3'>一、本年新收政府信息公开申请数量</td>" + "<td>3</td>" + "<td>0</td>" * 5 + "<td>3</td></tr>"
    granted = ("<tr><td rowspan='2'>三、本年度办理结果</td><td colspan='2'>（一）予以公开</td><td>2</td>"
               + "<td>0</td>" * 5 + "<td></td></tr>")
    partly = "<tr><td colspan='2'>（二）部分公开</td>" + "<td>1</td>" + "<td>0</td>" * 5 + "<td>1</td></tr>"
    page = f"<html><body><p>一、总体情况</p><table>{header}{new}{granted}{partly}</table></body></html>"
    record = parse_document(page.encode("utf-8"))
    values = record["values"]
    assert values["t3.new.natural_person"] == 3 and values["t3.new.total"] == 3
    assert values["t3.partly_granted.natural_person"] == 1
    assert values["t3.granted.natural_person"] == 2
    assert values["t3.granted.total"] == 2 and "t3.granted.total" in record["inferred"]
    assert "table 3 row granted: blank total" in record["warnings"]
