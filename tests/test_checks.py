"""Checks 1–4 with their arithmetic, and inference only where a check determines a cell."""

from __future__ import annotations

from parsers import checks, keys


def _zero_values(other_handling_rows: int = 1) -> dict:
    values = {}
    for eq in checks.equations(other_handling_rows):
        for term in eq.terms:
            values[term] = 0
    return values


def test_failed_row_sum_is_a_finding_with_its_arithmetic() -> None:
    values = _zero_values()
    values["t3.new.natural_person"] = 3
    values["t3.new.total"] = 2
    failed = [c for c in checks.run_checks(values, 1) if c["ok"] is False]
    row_sum = next(c for c in failed if c["name"] == "t3.row_sum" and c["scope"] == "new")
    assert row_sum["detail"] == "2 ≠ 3 + 0 + 0 + 0 + 0 + 0"
    assert values["t3.new.total"] == 2  # the value stays as printed


def test_blank_cell_filled_from_a_row_sum_and_listed() -> None:
    values = _zero_values()
    for column in keys.T3_PARTY_COLUMNS[:-1]:
        values[f"t3.new.{column}"] = 1
    values.update({"t3.new.other_org": None, "t3.new.total": 6, "t3.handled_total.natural_person": 1,
                   "t3.handled_total.commercial": 1, "t3.handled_total.research": 1,
                   "t3.handled_total.public_interest": 1, "t3.handled_total.legal_services": 1,
                   "t3.handled_total.other_org": 1, "t3.handled_total.total": 6, "t3.granted.natural_person": 1,
                   "t3.granted.commercial": 1, "t3.granted.research": 1, "t3.granted.public_interest": 1,
                   "t3.granted.legal_services": 1, "t3.granted.other_org": 1, "t3.granted.total": 6})
    filled, inferred = checks.infer(values, {}, 1)
    assert filled["t3.new.other_org"] == 1
    assert inferred == ["t3.new.other_org"]


def test_nothing_is_inferred_when_a_check_already_fails() -> None:
    values = _zero_values()
    values["t4.review.total"] = 5
    values["t3.new.other_org"] = None
    filled, inferred = checks.infer(values, {}, 1)
    assert filled["t3.new.other_org"] is None and inferred == []


def test_short_row_filled_only_when_all_printed_cells_are_zero() -> None:
    values = _zero_values()
    for column in ("natural_person", "commercial", "research", "public_interest", "legal_services", "other_org",
                   "total"):
        values[f"t3.carried_in.{column}"] = None
    _, inferred = checks.infer(values, {"carried_in": [0, 0, 0, 0, 0, 0]}, 1)
    assert "t3.carried_in.total" in inferred
    undetermined = {k: v for k, v in values.items() if not k.startswith("t3.new.")}  # no balance check
    unknown, inferred = checks.infer(undetermined, {"carried_in": [2, 0, 0, 0, 0, 2]}, 1)
    assert unknown["t3.carried_in.natural_person"] is None
    assert not any(k.startswith("t3.carried_in.") for k in inferred)


def test_checks_involving_names_the_equations_of_a_key() -> None:
    assert set(checks.checks_involving("t3.new.total")) == {"t3.balance:total", "t3.row_sum:new"}
    assert checks.checks_involving("t4.review.upheld") == ["t4.block_sum:review"]
