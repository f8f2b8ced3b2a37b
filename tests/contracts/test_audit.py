"""The audit trail (pghistory): who changed what and when, on the object's page and on the
accountant's audit page; and history that PostgreSQL will not let anyone rewrite."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from contracts.history import event_models
from contracts.roles import Role
from contracts.services import ContractSpec, CustomerSplit, create_contract
from ledger.models import ExchangeRate
from tests.factories import (
    CustomerFactory,
    ExchangeRateFactory,
    LegalEntityFactory,
    user_with_role,
)


def make_contract(number, manager):
    return create_contract(
        spec=ContractSpec(
            number=number,
            name=f"Contract {number}",
            legal_entity=LegalEntityFactory(),
            project_manager=manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            customers=[
                CustomerSplit(
                    customer=CustomerFactory(), split_percent=Decimal(100), is_rounding=True
                )
            ],
        )
    )


def history_cells(html):
    """Each history row's cells, as text (tags dropped, whitespace collapsed)."""
    rows = re.findall(r"<tr>\s*(<td class=\"nowrap\">.*?)</tr>", html, re.S)
    return [
        [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell)).strip() for cell in cells]
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows)
    ]


@pytest.fixture
def named_editor(db):
    """An administrator (who may change contracts through the API) with a name."""
    return user_with_role(
        Role.ADMINISTRATOR, username="jdevries", first_name="Jan", last_name="de Vries"
    )


def patch_contract_by_token(api_client, user, contract, **fields):
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = api_client.patch(f"/api/v1/contracts/{contract.pk}/", fields, format="json")
    assert response.status_code == 200, response.content
    return response


def test_a_change_through_the_api_shows_who_what_and_when_on_the_contract_page(
    client, api_client, named_editor, project_manager
):
    contract = make_contract("C-100", project_manager)
    patch_contract_by_token(
        api_client, named_editor, contract, name="Renamed", end_date="2026-12-31"
    )

    client.force_login(named_editor)
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()

    rows = history_cells(html.split('id="history"')[1])
    today = timezone.localdate().isoformat()
    assert rows[0][0].startswith(today)
    assert rows[0][1:] == [
        "Jan de Vries",
        "Changed: Contract C-100 Renamed",
        "End date: — → 2026-12-31 Name: Contract C-100 → Renamed",
    ]
    # The creation came from a service called in the test: no request, so no user.
    customer = contract.contract_customers.get()
    assert sorted(row[1:3] for row in rows[1:]) == [
        ["System", "Created: Contract C-100 Renamed"],
        ["System", f"Created: Contract customer {customer}"],
    ]


def test_the_contract_history_is_in_dutch_for_a_dutch_reader(
    client, api_client, named_editor, project_manager
):
    contract = make_contract("C-101", project_manager)
    patch_contract_by_token(api_client, named_editor, contract, end_date="2026-12-31")

    client.force_login(named_editor)
    client.cookies["django_language"] = "nl"
    html = client.get(reverse("contracts:detail", args=[contract.pk])).content.decode()

    rows = history_cells(html.split('id="history"')[1])
    assert rows[0][1:] == [
        "Jan de Vries",
        "Gewijzigd: Contract C-101 Contract C-101",
        "Einddatum: — → 31-12-2026",
    ]


def test_the_audit_page_lists_the_change_and_filters_by_user_and_type(
    client, api_client, named_editor, project_manager, accountant
):
    contract = make_contract("C-102", project_manager)
    # Made before the request: a test is one transaction, in which the request's context
    # (transaction-local, as pghistory sets it) would otherwise stay in force.
    ExchangeRateFactory(rate_date=dt.date(2026, 1, 1), rate=Decimal("0.9"))
    patch_contract_by_token(api_client, named_editor, contract, name="Renamed")
    client.force_login(accountant)

    by_user = client.get(reverse("audit-trail"), {"user": named_editor.pk}).content.decode()
    by_type = client.get(
        reverse("audit-trail"), {"type": ExchangeRate.pgh_event_model._meta.label}
    ).content.decode()
    by_object = client.get(
        reverse("audit-trail"), {"type": "contracts.ContractEvent", "q": str(contract.pk)}
    ).content.decode()

    assert [row[1:] for row in history_cells(by_user)] == [
        [
            "Jan de Vries",
            "Contract",
            f"C-102 Renamed #{contract.pk}",
            "Changed",
            "Name: Contract C-102 → Renamed",
        ]
    ]
    rate = ExchangeRate.objects.get()
    assert [row[1:] for row in history_cells(by_type)] == [
        ["System", "Exchange rate", f"{rate} #{rate.pk}", "Created", ""]
    ]
    assert [row[4:] for row in history_cells(by_object)] == [
        ["Changed", "Name: Contract C-102 → Renamed"],
        ["Created", ""],
    ]


def test_a_project_manager_cannot_open_the_audit_page(client, project_manager, administrator):
    client.force_login(project_manager)
    assert client.get(reverse("audit-trail")).status_code == 403
    client.force_login(administrator)
    assert client.get(reverse("audit-trail")).status_code == 200


def test_the_accountant_finds_the_audit_trail_in_the_navigation(client, accountant):
    client.force_login(accountant)

    html = client.get(reverse("home-accountant")).content.decode()

    assert f'href="{reverse("audit-trail")}"' in html and ">Audit trail</a>" in html


# --- sealed history: PostgreSQL refuses UPDATE and DELETE of every event table ------------


def _dummy(field: models.Field) -> object:
    """A value the column takes (event tables have no checks or foreign-key constraints)."""
    if isinstance(field, models.ForeignKey):
        return 1
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return dt.date(2026, 1, 1)
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.IntegerField):
        return 1
    if isinstance(field, models.JSONField):
        return {}
    if hasattr(field, "base_field"):  # an ArrayField
        return []
    return "x"


@pytest.mark.parametrize("event_model", event_models(), ids=lambda m: m._meta.label)
def test_history_rows_cannot_be_updated_or_deleted(db, event_model):
    values = {
        f.attname: _dummy(f)
        for f in event_model._meta.concrete_fields
        if not f.primary_key and not f.null and not f.has_default() and f.name != "pgh_created_at"
    }
    event = event_model.objects.create(**values)
    table = event_model._meta.db_table

    for sql in (
        f'UPDATE "{table}" SET pgh_label = %s WHERE pgh_id = %s',
        f'DELETE FROM "{table}" WHERE pgh_id = %s OR pgh_label = %s',
    ):
        params = ["rewritten", event.pk] if sql.startswith("UPDATE") else [event.pk, "x"]
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)

    assert list(event_model.objects.filter(pk=event.pk).values_list("pgh_label", flat=True)) == [
        event.pgh_label
    ]


def test_every_tracked_table_the_issue_names_has_a_sealed_history():
    tracked = {m.pgh_tracked_model._meta.label for m in event_models()}

    assert {
        "contracts.Contract",
        "contracts.ContractCustomer",
        "contracts.ContractLine",
        "contracts.PriceList",
        "contracts.RolePrice",
        "contracts.CategoryPrice",
        "invoicing.Invoice",
        "ledger.JournalLine",
        "ledger.Period",
    } <= tracked


def test_a_change_made_by_a_celery_task_names_the_task(db):
    from invoicing.celery import app

    rate = ExchangeRateFactory(rate_date=dt.date(2026, 1, 1), rate=Decimal("0.9"))

    @app.task(name="tests.audit.change_rate")
    def change_rate(pk):
        ExchangeRate.objects.filter(pk=pk).update(rate=Decimal("0.95"))

    change_rate.apply(args=[rate.pk])

    events = ExchangeRate.pgh_event_model.objects.filter(pgh_obj=rate).order_by("pgh_id")
    assert [(e.pgh_label, e.pgh_context) for e in events] == [
        ("insert", None),
        ("update", {"task": "tests.audit.change_rate"}),
    ]
