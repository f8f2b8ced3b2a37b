"""The portal foundation: logging in lands each role on its own home, the layout and navigation
by role, the home pages' figures, and no inline script or style anywhere (strict CSP)."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from contracts import models as c
from contracts.roles import Role
from contracts.services import ContractSpec, CustomerSplit, create_contract
from tests.factories import (
    CustomerFactory,
    LegalEntityFactory,
    ProjectFactory,
    ResourceFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db

PASSWORD = "pw-123456!"


def log_in(client, username):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD}, follow=True)


def template_names(response) -> list[str]:
    return [t.name for t in response.templates]


def contract(number, manager, customer, status=c.ContractStatus.ACTIVE, nte=None):
    made = create_contract(
        spec=ContractSpec(
            number=number,
            name=f"Contract {number}",
            legal_entity=LegalEntityFactory(),
            project_manager=manager,
            currency="EUR",
            start_date=dt.date(2026, 1, 1),
            nte_limit=nte,
            customers=[
                CustomerSplit(customer=customer, split_percent=Decimal(100), is_rounding=True)
            ],
        )
    )
    if status != c.ContractStatus.ACTIVE:
        c.Contract.objects.filter(pk=made.pk).update(status=status)
    return made


# --- logging in lands on the role's home ------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "url_name", "template", "heading"),
    [
        ("team_member", "home-team-member", "home/team_member.html", "My projects"),
        ("project_manager", "home-project-manager", "home/project_manager.html", "My contracts"),
        ("accountant", "home-accountant", "home/accountant.html", "Accounting overview"),
        ("administrator", "home-administrator", "home/administrator.html", "Master data"),
    ],
)
def test_each_role_lands_on_its_own_home_after_logging_in(
    request, client, fixture, url_name, template, heading
):
    user = request.getfixturevalue(fixture)

    response = log_in(client, user.username)

    assert response.status_code == 200
    assert response.redirect_chain == [(reverse("home"), 302), (reverse(url_name), 302)]
    assert template in template_names(response)
    assert f"<h1>{heading}</h1>" in response.content.decode()


def test_a_wrong_password_stays_on_the_login_page_with_an_error(client, project_manager):
    response = client.post(reverse("login"), {"username": "manager", "password": "wrong"})

    assert response.status_code == 200
    assert "registration/login.html" in template_names(response)
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_role_is_told_so_with_403(client):
    UserFactory(username="norole")

    response = log_in(client, "norole")

    assert response.status_code == 403
    assert "home/no_role.html" in template_names(response)
    html = response.content.decode()
    assert "<h1>No role assigned</h1>" in html
    assert "Ask an administrator to give your account a role" in html


def test_a_role_home_refuses_another_role(client, team_member):
    client.force_login(team_member)

    assert client.get(reverse("home-accountant")).status_code == 403
    assert client.get(reverse("home-project-manager")).status_code == 403
    assert client.get(reverse("home-team-member")).status_code == 200


def test_logout_is_a_post_and_ends_the_session(client, project_manager):
    client.force_login(project_manager)

    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in client.session


def test_the_language_switcher_sets_dutch(client, project_manager):
    client.force_login(project_manager)
    page = client.get(reverse("home-project-manager")).content.decode()
    assert f'action="{reverse("set_language")}" method="post"' in page
    assert '<option value="nl">Nederlands</option>' in page

    response = client.post(reverse("set_language"), {"language": "nl", "next": "/contracts/"})

    assert response.status_code == 302
    assert response["Location"] == "/contracts/"
    assert response.cookies["django_language"].value == "nl"


# --- layout and navigation --------------------------------------------------------------


def nav_labels(html: str) -> list[str]:
    nav = re.search(r'<nav class="sidenav".*?</nav>', html, re.S)
    assert nav is not None
    return re.findall(r'<a class="nav-link[^"]*" href="[^"]*"[^>]*>([^<]+)</a>', nav.group(0))


def test_the_navigation_follows_the_role_and_marks_the_current_page(client, project_manager):
    client.force_login(project_manager)

    html = client.get(reverse("contracts:list")).content.decode()

    labels = nav_labels(html)
    assert labels[0] == "Home"
    assert "Contracts" in labels
    assert "Journals" not in labels and "Admin" not in labels
    assert (
        f'<a class="nav-link is-current" href="{reverse("contracts:list")}" '
        'aria-current="page">Contracts</a>'
    ) in html
    # The top bar: product name, the user and a logout form (POST).
    assert 'class="brand"' in html and "Project invoicing" in html
    assert project_manager.get_full_name() in html
    assert f'action="{reverse("logout")}" method="post"' in html


def test_an_administrator_who_is_staff_gets_the_admin_link(client, administrator):
    administrator.is_staff = True
    administrator.save()
    client.force_login(administrator)

    labels = nav_labels(client.get(reverse("home-administrator")).content.decode())

    assert labels[:2] == ["Home", "Admin"]


def test_a_team_member_has_no_manager_or_accountant_entries(client, team_member):
    client.force_login(team_member)

    labels = nav_labels(client.get(reverse("home-team-member")).content.decode())

    assert labels[0] == "Home"
    assert not {"Contracts", "Approvals", "Journals", "Admin"} & set(labels)


def render(source: str, path: str = "/") -> str:
    request = RequestFactory().get(path)
    return Template("{% load portal %}" + source).render(Context({"request": request}))


def test_nav_link_renders_nothing_for_a_page_that_does_not_exist_yet():
    assert render('{% nav_link "no-such-page" "Nowhere" %}') == ""
    assert render('{% nav_link "ledger:no-such-page" "Nowhere" %}') == ""


def test_nav_link_renders_a_link_and_marks_pages_below_it_current():
    url = reverse("contracts:list")
    assert render('{% nav_link "contracts:list" "Contracts" %}') == (
        f'<li><a class="nav-link" href="{url}">Contracts</a></li>'
    )
    assert 'class="nav-link is-current"' in render(
        '{% nav_link "contracts:list" "Contracts" %}', path=f"{url}12/"
    )


def test_pages_carry_no_inline_script_or_style(client, project_manager):
    client.force_login(project_manager)
    customer = CustomerFactory()
    made = contract("K-1", project_manager, customer)

    for url in (
        reverse("login"),
        reverse("home-project-manager"),
        reverse("contracts:list"),
        reverse("contracts:detail", args=[made.pk]),
    ):
        html = client.get(url).content.decode()
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], url
        assert " style=" not in html and "<style" not in html, url
        assert '<script src="/static/vendor/htmx.min.js" defer></script>' in html
        assert '<script src="/static/js/app.js" defer></script>' in html


# --- home pages -------------------------------------------------------------------------


def test_the_project_manager_home_lists_own_contracts_with_counts(
    client, project_manager, other_project_manager
):
    customer = CustomerFactory(name="Acme Industries")
    contract("K-1", project_manager, customer, nte=Decimal("12500.00"))
    contract("K-2", project_manager, customer, status=c.ContractStatus.DRAFT)
    contract("K-3", project_manager, customer, status=c.ContractStatus.ACTIVE)
    contract("K-9", other_project_manager, customer)
    ProjectFactory(project_manager=project_manager)
    ProjectFactory(project_manager=project_manager, is_active=False)
    client.force_login(project_manager)

    response = client.get(reverse("home-project-manager"))

    assert [r.number for r in response.context["table"].rows] == ["K-1", "K-2", "K-3"]
    assert response.context["contract_count"] == 3
    assert [(r["status"], r["count"]) for r in response.context["status_counts"]] == [
        ("draft", 1),
        ("active", 2),
        ("closed", 0),
    ]
    assert response.context["project_count"] == 1
    html = response.content.decode()
    assert '<span class="stat-value" id="stat-contracts">3</span>' in html
    assert "12,500.00" in html and "Acme Industries" in html
    assert "K-9" not in html


def test_the_accountant_home_counts_contracts_by_status_and_lists_customers(
    client, accountant, project_manager
):
    acme = CustomerFactory(code="C-A", name="Acme Industries", payment_terms_days=14)
    CustomerFactory(code="C-B", name="Beta Logistics")
    contract("K-1", project_manager, acme)
    contract("K-2", project_manager, acme, status=c.ContractStatus.CLOSED)
    client.force_login(accountant)

    response = client.get(reverse("home-accountant"))

    assert response.context["contract_count"] == 2
    assert response.context["customer_count"] == 2
    assert [(r["status"], r["count"]) for r in response.context["status_counts"]] == [
        ("draft", 0),
        ("active", 1),
        ("closed", 1),
    ]
    assert [(cu.code, cu.active_contracts) for cu in response.context["table"].rows] == [
        ("C-A", 1),
        ("C-B", 0),
    ]
    html = response.content.decode()
    assert f'href="{reverse("contracts:list")}?status=closed"' in html
    assert '<td class="num" id="status-closed">1</td>' in html


def test_the_team_member_home_lists_active_projects(client):
    resource = ResourceFactory(user=user_with_role(Role.TEAM_MEMBER, username="tim"))
    ProjectFactory(code="P-2", name="Second")
    ProjectFactory(code="P-1", name="First")
    ProjectFactory(code="P-3", name="Stopped", is_active=False)
    client.force_login(resource.user)

    response = client.get(reverse("home-team-member"))

    assert [p.code for p in response.context["table"].rows] == ["P-1", "P-2"]
    assert response.context["resource"] == resource
    html = response.content.decode()
    assert "Stopped" not in html
    assert "Project assignments are not recorded yet" in html


def test_the_administrator_home_links_admin_sections_with_counts(client, administrator):
    administrator.is_staff = True
    administrator.save()
    CustomerFactory()
    CustomerFactory()
    client.force_login(administrator)

    response = client.get(reverse("home-administrator"))

    sections = {str(s.label): s for g in response.context["section_groups"] for s in g["sections"]}
    assert sections["customers"].count == 2
    assert sections["customers"].url == reverse("admin:contracts_customer_changelist")
    assert sections["contracts"].count == 0
    assert f'<a href="{reverse("admin:contracts_customer_changelist")}">Customers</a>' in (
        response.content.decode()
    )
