"""Creating pro-forma invoices from ready backlog items, with set-based SQL.

Every way of creating invoices (a manager's *create invoice* on a contract, *invoice the
selection* from the backlog, and the nightly run) goes through :func:`bill_ready_items`,
which works in a handful of statements however many items there are:

1. **claim**: the billing service (:func:`actuals.services.billing.claim_ready`) locks the
   contracts, moves their ready items to *on draft* in one ``UPDATE … RETURNING`` and lists
   them in its temporary table ``billing_claim``. The contract locks are what make concurrent
   runs safe: a second run waits, then finds the items *on draft* and takes nothing. The
   unique constraint ``detail_actual_once`` is the last guard, in the database;
2. **headers**: one draft per contract × contract customer (``ON CONFLICT DO NOTHING`` on
   ``invoice_one_open_draft``, so items join an open draft where one exists);
3. **lines**: one per contract line; the claim with where each item goes (its draft and line)
   is copied into a temporary table of the batch, ``billing_work``;
4. **details**: one per claimed actual or milestone, with the VAT groups of the actual's
   journal line where it has one, else defaulted (sales tax group: project → contract →
   customer; item group: role / category, or the ``MILESTONE_ITEM_SALES_TAX_GROUP`` setting
   for milestones);
5. **counts** for the run record.

Nothing here reads the clock: the caller passes the dates and the moment.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection

from actuals.journal import SOURCE_PREFIX
from actuals.services import billing
from actuals.services.billing import CLAIM_TABLE, ClaimScope
from contracts.models import ItemSalesTaxGroup

_OPEN_DRAFT = """
    i.contract_id = k.contract_id AND i.contract_customer_id = k.contract_customer_id
    AND i.status IN ('draft', 'in_review') AND i.corrects_id IS NULL
"""

_BUMP_EXISTING = f"""
UPDATE invoicing_invoice i SET version = i.version + 1
FROM (SELECT DISTINCT contract_id, contract_customer_id FROM {CLAIM_TABLE}) k
WHERE {_OPEN_DRAFT}
"""

_HEADERS = f"""
INSERT INTO invoicing_invoice (
    contract_id, contract_customer_id, customer_id, legal_entity_id, currency, status,
    invoice_date, customer_reference, description, run_id, version, created_at,
    created_by_id, number, payment_reference, pdf, pdf_sha256, is_credit_note)
SELECT k.contract_id, k.contract_customer_id, cc.customer_id, ct.legal_entity_id, ct.currency,
       'draft', %(invoice_date)s, ct.customer_reference, '', %(run_id)s, 1, %(now)s,
       %(user_id)s, '', '', '', '', false
FROM (SELECT DISTINCT contract_id, contract_customer_id FROM {CLAIM_TABLE}) k
JOIN contracts_contractcustomer cc ON cc.id = k.contract_customer_id
JOIN contracts_contract ct ON ct.id = k.contract_id
ORDER BY k.contract_id, k.contract_customer_id
ON CONFLICT DO NOTHING
"""

_LINES = f"""
INSERT INTO invoicing_invoiceline (invoice_id, contract_line_id, description)
SELECT i.id, k.contract_line_id, COALESCE(NULLIF(cl.external_description, ''), cl.name)
FROM (SELECT DISTINCT contract_id, contract_customer_id, contract_line_id FROM {CLAIM_TABLE}) k
JOIN invoicing_invoice i ON {_OPEN_DRAFT}
JOIN contracts_contractline cl ON cl.id = k.contract_line_id
ORDER BY i.id, k.contract_line_id
ON CONFLICT DO NOTHING
"""

#: The claim with where each item goes: its draft and line, and the fallback sales tax groups
#: (contract's, customer's). The few targets (one per contract line × contract customer) are
#: found first, then each item joins its target by hash. A table of its own, made per batch and
#: never analyzed: the planner sizes it from its pages, so the detail insert joins the small
#: tables by hash, whatever it believes about the invoice tables (whose new rows are not in
#: their statistics yet).
_WORK = f"""
DROP TABLE IF EXISTS billing_work;
CREATE TEMP TABLE billing_work ON COMMIT DROP AS
WITH target AS MATERIALIZED (
    SELECT k.contract_customer_id, k.contract_line_id, k.contract_id, i.id AS invoice_id,
           l.id AS line_id, ct.sales_tax_group_id AS contract_sales_tax_group_id,
           cu.sales_tax_group_id AS customer_sales_tax_group_id
    FROM (SELECT DISTINCT contract_id, contract_customer_id, contract_line_id
          FROM {CLAIM_TABLE}) k
    JOIN invoicing_invoice i ON {_OPEN_DRAFT}
    JOIN invoicing_invoiceline l
        ON l.invoice_id = i.id AND l.contract_line_id = k.contract_line_id
    JOIN contracts_contract ct ON ct.id = k.contract_id
    JOIN contracts_customer cu ON cu.id = i.customer_id
)
SELECT k.actual_id, k.milestone_id, t.contract_id, t.invoice_id, t.line_id,
       t.contract_sales_tax_group_id, t.customer_sales_tax_group_id
FROM {CLAIM_TABLE} k
JOIN target t
    ON t.contract_line_id = k.contract_line_id
    AND t.contract_customer_id = k.contract_customer_id
"""

_DETAIL_COLUMNS = """
    invoice_id, line_id, transaction_class, actual_id, milestone_id, credits_id, credited,
    transaction_date, resource_id, role_id, category_id, original_quantity, quantity,
    unit_price, amount, currency, billing_type, sales_tax_group_id, item_sales_tax_group_id,
    description, external_description
"""

#: A T&M actual that has a journal line takes the line's tax groups, else the defaults
#: (:mod:`invoicing.services.tax_groups`). Each detail insert reports its items and amount per
#: currency. The actuals of a batch are
#: looked up one by one on their primary key (``LATERAL … OFFSET 0`` keeps the planner from
#: flattening it into a merge join, which would read the whole key index from its start for
#: every batch: a cost that grows with the table, not with the batch).
_REPORT = "SELECT currency, count(*), sum(amount) FROM ins GROUP BY currency"

_ACTUAL_DETAILS = f"""
WITH ins AS (
INSERT INTO invoicing_invoicedetail ({_DETAIL_COLUMNS})
SELECT t.invoice_id, t.line_id, a.transaction_class, a.id, NULL, NULL, false,
       a.transaction_date, a.resource_id, a.role_id, a.category_id, a.quantity, a.quantity,
       a.unit_price, a.amount, a.currency, a.billing_type,
       CASE WHEN jl.id IS NULL
            THEN COALESCE(p.sales_tax_group_id, t.contract_sales_tax_group_id,
                          t.customer_sales_tax_group_id)
            ELSE jl.sales_tax_group_id END,
       CASE WHEN jl.id IS NULL
            THEN COALESCE(r.item_sales_tax_group_id, ec.item_sales_tax_group_id)
            ELSE jl.item_sales_tax_group_id END,
       a.description, a.external_description
FROM billing_work t
CROSS JOIN LATERAL (SELECT * FROM actuals_actual a WHERE a.id = t.actual_id OFFSET 0) a
JOIN contracts_project p ON p.id = a.project_id
LEFT JOIN ledger_journalline jl ON jl.source_key = '{SOURCE_PREFIX}' || a.id
LEFT JOIN contracts_role r ON r.id = a.role_id
LEFT JOIN contracts_expensecategory ec ON ec.id = a.category_id
RETURNING currency, amount
)
{_REPORT}"""

_MILESTONE_DETAILS = f"""
WITH ins AS (
INSERT INTO invoicing_invoicedetail ({_DETAIL_COLUMNS})
SELECT t.invoice_id, t.line_id, 'milestone', NULL, m.id, NULL, false,
       m.milestone_date, NULL, NULL, NULL, 1, 1, m.amount, m.amount, m.currency, 'chargeable',
       COALESCE(t.contract_sales_tax_group_id, t.customer_sales_tax_group_id),
       %(milestone_item_group)s, m.name, m.external_description
FROM billing_work t
JOIN contracts_milestone m ON m.id = t.milestone_id
RETURNING currency, amount
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


def fixed_item_group_id() -> int | None:
    """The item sales tax group of milestones and manual fees (a setting, by code)."""
    code = getattr(settings, "MILESTONE_ITEM_SALES_TAX_GROUP", "SERVICES")
    return ItemSalesTaxGroup.objects.filter(code=code).values_list("pk", flat=True).first()


def bill_ready_items(
    *,
    scope: ClaimScope,
    invoice_date: dt.date,
    now: dt.datetime,
    user_id: int | None = None,
    run_id: int | None = None,
) -> BillingResult:
    """Put the claimed ready items on drafts (see the module). Runs inside the caller's
    transaction; the caller decides the isolation (a savepoint per contract batch)."""
    params = {
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
        result = _bill(cursor, scope, params, now)  # on an error the caller rolls back anyway
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return result


def _bill(
    cursor: Any, scope: ClaimScope, params: dict[str, Any], now: dt.datetime
) -> BillingResult:
    result = BillingResult()
    if not billing.claim_ready(scope=scope, at=now):
        return result
    cursor.execute(_BUMP_EXISTING)
    cursor.execute(_HEADERS, params)
    cursor.execute(_LINES)
    cursor.execute(_WORK)
    cursor.execute("SELECT DISTINCT contract_id, invoice_id FROM billing_work")
    for contract_id, invoice_id in cursor.fetchall():
        result.contract_ids.add(contract_id)
        result.invoice_ids.add(invoice_id)
    for statement in (_ACTUAL_DETAILS, _MILESTONE_DETAILS):
        cursor.execute(statement, params)
        for currency, items, amount in cursor.fetchall():
            result.items += items
            result.amounts[currency] += amount
    return result
