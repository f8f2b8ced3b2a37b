"""Creating pro-forma invoices from ready backlog items, with set-based SQL.

Every way of creating invoices (a manager's *create invoice* on a contract, *invoice the
selection* from the backlog, and the nightly run) goes through :func:`bill_ready_items`,
which works in five statements however many items there are:

1. **claim**: ``UPDATE … SET billing_status = 'on_draft' WHERE billing_status = 'ready' …
   RETURNING`` into a temporary table (milestones likewise). The row locks of the UPDATE are
   what make concurrent runs safe: a second run waiting on the same rows re-reads them when
   the first commits, finds them *on draft*, and skips them. The unique constraint
   ``detail_actual_once`` is the last guard, in the database;
2. **headers**: one draft per contract × contract customer (``ON CONFLICT DO NOTHING`` on
   ``invoice_one_open_draft``, so items join an open draft where one exists);
3. **lines**: one per contract line;
4. **details**: one per claimed actual or milestone, with the VAT groups defaulted
   (sales tax group: project → contract → customer; item group: role / category, or the
   ``MILESTONE_ITEM_SALES_TAX_GROUP`` setting for milestones);
5. **counts** for the run record.

Nothing here reads the clock: the caller passes the dates and the moment.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from contracts.models import ItemSalesTaxGroup

_CLAIM_TABLE = """
CREATE TEMP TABLE IF NOT EXISTS billing_claim (
    actual_id bigint,
    milestone_id bigint,
    contract_id bigint NOT NULL,
    contract_line_id bigint NOT NULL,
    contract_customer_id bigint NOT NULL
) ON COMMIT DELETE ROWS
"""

# Every billing transaction first locks its contracts in id order (FOR NO KEY UPDATE, which
# still lets other transactions insert rows that reference them), so billing one contract is
# serialized and two billers never wait on each other in a cycle.
_LOCK_CONTRACTS = """
SELECT ct.id FROM contracts_contract ct WHERE {condition} ORDER BY ct.id FOR NO KEY UPDATE
"""

# Rows are locked in id order (``ORDER BY … FOR UPDATE``) so that concurrent claims never
# deadlock; a claim that waited re-reads the row and skips it if it is no longer ready.
_CLAIM_ACTUALS = """
WITH locked AS (
    SELECT a.id FROM actuals_actual a {source}
    WHERE a.actual_type = 'unbilled_sales'
      AND a.billing_status = 'ready'
      AND a.billing_type <> 'non_chargeable'
      AND a.nte_status <> 'failed'
      AND {condition}
    ORDER BY a.id
    FOR UPDATE OF a
), claimed AS (
    UPDATE actuals_actual a SET billing_status = 'on_draft'
    FROM locked WHERE a.id = locked.id
    RETURNING a.id, a.contract_id, a.contract_line_id, a.line_customer_id
)
INSERT INTO billing_claim (actual_id, contract_id, contract_line_id, contract_customer_id)
SELECT c.id, c.contract_id, c.contract_line_id, lc.contract_customer_id
FROM claimed c JOIN contracts_linecustomer lc ON lc.id = c.line_customer_id
"""

_CLAIM_MILESTONES = """
WITH locked AS (
    SELECT m.id FROM contracts_milestone m
    JOIN contracts_contractline cl ON cl.id = m.line_id
    WHERE m.status = 'ready' AND {condition}
    ORDER BY m.id
    FOR UPDATE OF m
), claimed AS (
    UPDATE contracts_milestone m SET status = 'on_draft'
    FROM locked WHERE m.id = locked.id
    RETURNING m.id, m.line_id, m.line_customer_id
)
INSERT INTO billing_claim (milestone_id, contract_id, contract_line_id, contract_customer_id)
SELECT c.id, cl.contract_id, c.line_id, lc.contract_customer_id
FROM claimed c
JOIN contracts_contractline cl ON cl.id = c.line_id
JOIN contracts_linecustomer lc ON lc.id = c.line_customer_id
"""

_OPEN_DRAFT = """
    i.contract_id = k.contract_id AND i.contract_customer_id = k.contract_customer_id
    AND i.status IN ('draft', 'in_review') AND i.corrects_id IS NULL
"""

_BUMP_EXISTING = f"""
UPDATE invoicing_invoice i SET version = i.version + 1
FROM (SELECT DISTINCT contract_id, contract_customer_id FROM billing_claim) k
WHERE {_OPEN_DRAFT}
"""

_HEADERS = """
INSERT INTO invoicing_invoice (
    contract_id, contract_customer_id, customer_id, legal_entity_id, currency, status,
    invoice_date, customer_reference, description, run_id, version, created_at,
    created_by_id, number, payment_reference, pdf, pdf_sha256)
SELECT k.contract_id, k.contract_customer_id, cc.customer_id, ct.legal_entity_id, ct.currency,
       'draft', %(invoice_date)s, ct.customer_reference, '', %(run_id)s, 1, %(now)s,
       %(user_id)s, '', '', '', ''
FROM (SELECT DISTINCT contract_id, contract_customer_id FROM billing_claim) k
JOIN contracts_contractcustomer cc ON cc.id = k.contract_customer_id
JOIN contracts_contract ct ON ct.id = k.contract_id
ORDER BY k.contract_id, k.contract_customer_id
ON CONFLICT DO NOTHING
"""

_LINES = f"""
INSERT INTO invoicing_invoiceline (invoice_id, contract_line_id, description)
SELECT DISTINCT i.id, k.contract_line_id, COALESCE(NULLIF(cl.external_description, ''), cl.name)
FROM billing_claim k
JOIN invoicing_invoice i ON {_OPEN_DRAFT}
JOIN contracts_contractline cl ON cl.id = k.contract_line_id
ON CONFLICT DO NOTHING
"""

_DETAIL_COLUMNS = """
    invoice_id, line_id, transaction_class, actual_id, milestone_id, credits_id, credited,
    transaction_date, resource_id, role_id, category_id, original_quantity, quantity,
    unit_price, amount, currency, billing_type, sales_tax_group_id, item_sales_tax_group_id,
    description, external_description
"""

#: Each detail insert reports per invoice: contract, invoice, item count, currency, amount.
_REPORT = """
SELECT i.contract_id, ins.invoice_id, count(*), ins.currency, sum(ins.amount)
FROM ins JOIN invoicing_invoice i ON i.id = ins.invoice_id
GROUP BY i.contract_id, ins.invoice_id, ins.currency
"""

_ACTUAL_DETAILS = f"""
WITH ins AS (
INSERT INTO invoicing_invoicedetail ({_DETAIL_COLUMNS})
SELECT i.id, l.id, a.transaction_class, a.id, NULL, NULL, false,
       a.transaction_date, a.resource_id, a.role_id, a.category_id, a.quantity, a.quantity,
       a.unit_price, a.amount, a.currency, a.billing_type,
       COALESCE(p.sales_tax_group_id, ct.sales_tax_group_id, cu.sales_tax_group_id),
       COALESCE(r.item_sales_tax_group_id, ec.item_sales_tax_group_id),
       a.description, a.external_description
FROM billing_claim k
JOIN actuals_actual a ON a.id = k.actual_id
JOIN invoicing_invoice i ON {_OPEN_DRAFT}
JOIN invoicing_invoiceline l ON l.invoice_id = i.id AND l.contract_line_id = k.contract_line_id
JOIN contracts_project p ON p.id = a.project_id
JOIN contracts_contract ct ON ct.id = k.contract_id
JOIN contracts_customer cu ON cu.id = i.customer_id
LEFT JOIN contracts_role r ON r.id = a.role_id
LEFT JOIN contracts_expensecategory ec ON ec.id = a.category_id
RETURNING invoice_id, currency, amount
)
{_REPORT}"""

_MILESTONE_DETAILS = f"""
WITH ins AS (
INSERT INTO invoicing_invoicedetail ({_DETAIL_COLUMNS})
SELECT i.id, l.id, 'milestone', NULL, m.id, NULL, false,
       m.milestone_date, NULL, NULL, NULL, 1, 1, m.amount, m.amount, m.currency, 'chargeable',
       COALESCE(ct.sales_tax_group_id, cu.sales_tax_group_id), %(milestone_item_group)s,
       m.name, m.external_description
FROM billing_claim k
JOIN contracts_milestone m ON m.id = k.milestone_id
JOIN invoicing_invoice i ON {_OPEN_DRAFT}
JOIN invoicing_invoiceline l ON l.invoice_id = i.id AND l.contract_line_id = k.contract_line_id
JOIN contracts_contract ct ON ct.id = k.contract_id
JOIN contracts_customer cu ON cu.id = i.customer_id
RETURNING invoice_id, currency, amount
)
{_REPORT}"""


@dataclass
class BillingResult:
    """What one call created: invoices touched, items placed, amount per currency."""

    invoice_ids: set[int] = field(default_factory=set)
    items: int = 0
    amounts: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))
    contract_ids: set[int] = field(default_factory=set)

    def add(self, other: "BillingResult") -> None:
        self.invoice_ids |= other.invoice_ids
        self.items += other.items
        self.contract_ids |= other.contract_ids
        for currency, amount in other.amounts.items():
            self.amounts[currency] += amount


@dataclass(frozen=True, kw_only=True)
class Claim:
    """Which ready items to take: an SQL condition on ``a`` (actuals) and on ``m``/``cl``
    (milestones), each with its parameters; an empty condition takes none of that kind."""

    contract_condition: str
    actual_condition: str = ""
    actual_source: str = ""
    milestone_condition: str = ""
    params: dict[str, Any] = field(default_factory=dict)


def claim_for_contracts(
    *,
    contract_ids: Sequence[int],
    up_to: dt.date | None = None,
    line_cut_offs: dict[int, dt.date] | None = None,
    milestones_up_to: dt.date | None = None,
) -> Claim:
    """Ready items of the contracts: T&M items dated up to ``up_to`` (or, per contract line, up
    to that line's cut-off in ``line_cut_offs``: lines not named there take no T&M items), and
    ready milestones (dated up to ``milestones_up_to`` when given)."""
    params: dict[str, Any] = {"contract_ids": list(contract_ids)}
    if line_cut_offs is not None:
        params["line_ids"] = list(line_cut_offs)
        params["cut_offs"] = list(line_cut_offs.values())
        source = (
            "JOIN (SELECT unnest(%(line_ids)s::bigint[]) AS line_id, "
            "unnest(%(cut_offs)s::date[]) AS cut_off) v ON true"
        )
        actual_condition = "a.contract_line_id = v.line_id AND a.transaction_date <= v.cut_off"
    else:
        source = ""
        actual_condition = "a.contract_id = ANY(%(contract_ids)s)"
        if up_to is not None:
            params["up_to"] = up_to
            actual_condition += " AND a.transaction_date <= %(up_to)s"
    milestone_condition = "cl.contract_id = ANY(%(contract_ids)s)"
    if milestones_up_to is not None:
        params["milestones_up_to"] = milestones_up_to
        milestone_condition += " AND m.milestone_date <= %(milestones_up_to)s"
    return Claim(
        contract_condition="ct.id = ANY(%(contract_ids)s)",
        actual_condition=actual_condition,
        actual_source=source,
        milestone_condition=milestone_condition,
        params=params,
    )


def claim_selection(
    *, actual_ids: Sequence[int], milestone_ids: Sequence[int], contract_ids: Sequence[int]
) -> Claim:
    """Only the selected items that are ready, of the given contracts."""
    return Claim(
        contract_condition=(
            "ct.id = ANY(%(contract_ids)s) AND (ct.id IN (SELECT contract_id FROM actuals_actual"
            " WHERE id = ANY(%(actual_ids)s)) OR ct.id IN (SELECT l.contract_id FROM"
            " contracts_milestone m JOIN contracts_contractline l ON l.id = m.line_id"
            " WHERE m.id = ANY(%(milestone_ids)s)))"
        ),
        actual_condition=(
            "a.id = ANY(%(actual_ids)s) AND a.contract_id = ANY(%(contract_ids)s)"
            if actual_ids
            else ""
        ),
        milestone_condition=(
            "m.id = ANY(%(milestone_ids)s) AND cl.contract_id = ANY(%(contract_ids)s)"
            if milestone_ids
            else ""
        ),
        params={
            "actual_ids": list(actual_ids),
            "milestone_ids": list(milestone_ids),
            "contract_ids": list(contract_ids),
        },
    )


def fixed_item_group_id() -> int | None:
    """The item sales tax group of milestones and manual fees (a setting, by code)."""
    code = getattr(settings, "MILESTONE_ITEM_SALES_TAX_GROUP", "SERVICES")
    return ItemSalesTaxGroup.objects.filter(code=code).values_list("pk", flat=True).first()


def bill_ready_items(
    *,
    claim: Claim,
    invoice_date: dt.date,
    now: dt.datetime,
    user_id: int | None = None,
    run_id: int | None = None,
) -> BillingResult:
    """Put the claimed ready items on drafts (see the module). Runs inside the caller's
    transaction; the caller decides the isolation (a savepoint per contract batch)."""
    params = {
        **claim.params,
        "invoice_date": invoice_date,
        "now": now,
        "user_id": user_id,
        "run_id": run_id,
        "milestone_item_group": fixed_item_group_id(),
    }
    with connection.cursor() as cursor:
        # Check foreign keys as each statement runs rather than queueing 500,000 deferred
        # checks for the commit: a failure then belongs to this contract batch, and it is
        # faster. The caller's transaction gets its deferred checks back afterwards (every
        # deferrable constraint of the schema is initially deferred).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        result = _bill(cursor, claim, params)  # on an error the caller rolls back anyway
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return result


def _bill(cursor: Any, claim: Claim, params: dict[str, Any]) -> BillingResult:
    result = BillingResult()
    cursor.execute(_CLAIM_TABLE)
    cursor.execute("DELETE FROM billing_claim")
    cursor.execute(_LOCK_CONTRACTS.format(condition=claim.contract_condition), params)
    if claim.actual_condition:
        cursor.execute(
            _CLAIM_ACTUALS.format(source=claim.actual_source, condition=claim.actual_condition),
            params,
        )
    if claim.milestone_condition:
        cursor.execute(_CLAIM_MILESTONES.format(condition=claim.milestone_condition), params)
    cursor.execute("SELECT count(*) FROM billing_claim")
    if cursor.fetchone()[0] == 0:
        return result
    # Fresh statistics for the claim, or the planner guesses 1 row and nests loops.
    cursor.execute("ANALYZE billing_claim")
    cursor.execute(_BUMP_EXISTING)
    cursor.execute(_HEADERS, params)
    cursor.execute(_LINES)
    for statement in (_ACTUAL_DETAILS, _MILESTONE_DETAILS):
        cursor.execute(statement, params)
        for contract_id, invoice_id, items, currency, amount in cursor.fetchall():
            result.contract_ids.add(contract_id)
            result.invoice_ids.add(invoice_id)
            result.items += items
            result.amounts[currency] += amount
    cursor.execute("DELETE FROM billing_claim")
    return result
