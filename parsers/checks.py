"""Checks 1–4 of report-format.md, and the cells that follow from them with certainty."""

from __future__ import annotations

from dataclasses import dataclass

from parsers import keys
from parsers.cells import Number


@dataclass(frozen=True)
class Equation:
    name: str  # t3.balance | t3.row_sum | t3.handled_sum | t4.block_sum
    scope: str  # the column, row or block it is about
    left: tuple[str, ...]
    right: tuple[str, ...]  # sum(left) must equal sum(right)

    @property
    def terms(self) -> tuple[str, ...]:
        return self.left + self.right


def t3_rows(other_handling_rows: int) -> list[str]:
    skip = set(keys.T3_OTHER_HANDLING_PARTS) if other_handling_rows == 1 else {"other_handling"}
    return [r.key for r in keys.T3_ROWS if r.key not in skip]


def equations(other_handling_rows: int = 1) -> list[Equation]:
    rows = t3_rows(other_handling_rows)
    results = [r for r in rows if r not in ("new", "carried_in", "handled_total", "carried_out")]
    out = [Equation("t3.balance", c, (f"t3.new.{c}", f"t3.carried_in.{c}"),
                    (f"t3.handled_total.{c}", f"t3.carried_out.{c}")) for c in keys.T3_COLUMN_KEYS]
    out += [Equation("t3.row_sum", r, (f"t3.{r}.total",), tuple(f"t3.{r}.{c}" for c in keys.T3_PARTY_COLUMNS))
            for r in rows]
    out += [Equation("t3.handled_sum", c, (f"t3.handled_total.{c}",), tuple(f"t3.{r}.{c}" for r in results))
            for c in keys.T3_COLUMN_KEYS]
    out += [Equation("t4.block_sum", b.key, (f"t4.{b.key}.total",),
                     tuple(f"t4.{b.key}.{c.key}" for c in keys.T4_COLUMNS[:-1])) for b in keys.T4_BLOCKS]
    return out


def checks_involving(key: str) -> list[str]:
    """Names (``name:scope``) of the checks a key takes part in, for the codebook."""
    rows = 3 if any(part in key for part in keys.T3_OTHER_HANDLING_PARTS) else 1
    return [f"{e.name}:{e.scope}" for e in equations(rows) if key in e.terms]


def _fmt(number: Number) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def run_checks(values: dict[str, Number | None], other_handling_rows: int) -> list[dict]:
    """Every check whose cells the report has; ``ok`` is None where a term is blank."""
    out = []
    for eq in equations(other_handling_rows):
        if not all(t in values for t in eq.terms):
            continue
        blank = [t for t in eq.terms if values[t] is None]
        if blank:
            out.append({"name": eq.name, "scope": eq.scope, "ok": None,
                        "detail": "not checked: blank " + ", ".join(blank)})
            continue
        left = sum(values[t] for t in eq.left)  # type: ignore[misc]
        right = sum(values[t] for t in eq.right)  # type: ignore[misc]
        detail = (" + ".join(_fmt(values[t]) for t in eq.left) + (" = " if left == right else " ≠ ")  # type: ignore[arg-type]
                  + " + ".join(_fmt(values[t]) for t in eq.right))  # type: ignore[arg-type]
        out.append({"name": eq.name, "scope": eq.scope, "ok": left == right, "detail": detail})
    return out


def infer(values: dict[str, Number | None], short_rows: dict[str, list[Number | None]],
          other_handling_rows: int) -> tuple[dict[str, Number | None], list[str]]:
    """Fill the blank cells that one check determines; return (values, inferred keys).

    Nothing is filled when a check already fails: the arithmetic is then not to be trusted.
    A row printed with too few cells is filled only when every printed cell is 0 (then the
    position of the missing cell does not matter and the row sum makes it 0, seed 002).
    """
    if any(c["ok"] is False for c in run_checks(values, other_handling_rows)):
        return values, []
    filled = dict(values)
    inferred: list[str] = []
    for row, printed in short_rows.items():
        if printed and all(v == 0 for v in printed):
            for column in keys.T3_COLUMN_KEYS:
                filled[f"t3.{row}.{column}"] = 0
                inferred.append(f"t3.{row}.{column}")
    known = {k: v for k, v in filled.items() if v is not None}
    all_equations = equations(other_handling_rows)
    for key in [k for k, v in filled.items() if v is None]:
        solutions = set()
        for eq in all_equations:
            if key not in eq.terms or any(t != key and t not in known for t in eq.terms):
                continue
            side, other = (eq.left, eq.right) if key in eq.left else (eq.right, eq.left)
            solutions.add(sum(known[t] for t in other) - sum(known[t] for t in side if t != key))
        if len(solutions) == 1 and (solved := solutions.pop()) >= 0:
            filled[key] = solved
            inferred.append(key)
    return filled, sorted(inferred)
