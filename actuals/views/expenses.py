"""The team member's own entries: my expenses (list, form with receipt upload, edit), submit /
recall / delete one entry, and the entries returned with the reason.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from actuals import queries, services
from actuals.forms import ExpenseForm
from actuals.models import EntryStatus, ExpenseEntry, TimeEntry
from actuals.receipts import sniff_receipt_type
from actuals.views.common import _own_resource, _require
from contracts.errors import EXPECTED_ERRORS, error_texts
from contracts.numbers import ascii_ids
from contracts.roles import sees_everything


def _expense_kwargs(form: ExpenseForm) -> dict[str, Any]:
    d = form.cleaned_data
    return {
        "project": d["project"],
        "task": d.get("task"),
        "category": d["category"],
        "entry_date": d["entry_date"],
        "quantity": d["quantity"],
        "amount": d["amount"],
        "currency": d["currency"].upper(),
        "description": d.get("description", ""),
        "external_description": d.get("external_description", ""),
        "receipt": d.get("receipt") or None,
    }


def _form_errors(form: Any, exc: Exception) -> None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, msgs in exc.message_dict.items():
            for m in msgs:
                form.add_error(field if field in form.fields else None, m)
    else:
        form.add_error(None, str(exc))


@login_required
def my_expenses(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.add_expenseentry")
    resource = _own_resource(request)
    status_code = 200
    if request.method == "POST" and request.POST.get("action") == "submit_selected":
        return _submit_selected(request)
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            now = timezone.now()
            try:
                services.create_expense_entry(
                    resource=resource,
                    created_at=now,
                    today=timezone.localdate(now),
                    **_expense_kwargs(form),
                )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Expense saved as a draft."))
                return redirect("actuals:my-expenses")
        status_code = 400
    else:
        form = ExpenseForm(initial={"entry_date": timezone.localdate()})
    expenses = queries.own_entries(request.user, ExpenseEntry).select_related("category")
    page = Paginator(expenses.order_by("-entry_date", "-pk"), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "actuals/my_expenses.html",
        {"form": form, "page": page},
        status=status_code,
    )


def _submit_selected(request: HttpRequest) -> HttpResponse:
    """*Submit selected*: the ticked own draft (or returned) expenses go to approval together,
    all or none (one that cannot be submitted says why, and nothing is submitted)."""
    ids = ascii_ids(request.POST.getlist("ids"))
    own = queries.own_entries(request.user, ExpenseEntry)
    mine = set(own.filter(pk__in=ids).values_list("pk", flat=True))
    try:
        if not ids:
            raise ValidationError(_("Tick the expenses to submit first."))
        if unknown := sorted(set(ids) - mine):
            raise ValidationError(
                _("Unknown expenses: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
            )
        now = timezone.now()
        submitted = services.submit_entries(
            model=ExpenseEntry,
            ids=ids,
            by=request.user,
            submitted_at=now,
            today=timezone.localdate(now),
        )
    except EXPECTED_ERRORS as exc:
        for error in error_texts(exc):
            messages.error(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "%(n)d expense submitted for approval.",
                "%(n)d expenses submitted for approval.",
                len(submitted),
            )
            % {"n": len(submitted)},
        )
    return redirect("actuals:my-expenses")


@login_required
def expense_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, "actuals.change_expenseentry")
    entry = get_object_or_404(queries.own_entries(request.user, ExpenseEntry), pk=pk)
    if not entry.is_editable:
        raise Http404
    status_code = 200
    if request.method == "POST":
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.update_expense_entry(
                    entry=entry,
                    by=request.user,
                    today=timezone.localdate(),
                    **_expense_kwargs(form),
                )
            except EXPECTED_ERRORS as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, _("Expense saved."))
                return redirect("actuals:my-expenses")
        status_code = 400
    else:
        form = ExpenseForm(
            initial={
                f: getattr(entry, f)
                for f in (
                    "project",
                    "task",
                    "category",
                    "entry_date",
                    "quantity",
                    "amount",
                    "currency",
                    "description",
                    "external_description",
                )
            }
        )
    return render(
        request, "actuals/expense_edit.html", {"form": form, "entry": entry}, status=status_code
    )


@login_required
@require_POST
def entry_action(request: HttpRequest, kind: str, pk: int, verb: str) -> HttpResponse:
    """Submit, recall or delete one own entry (a small POST form beside each row)."""
    model = {"time": TimeEntry, "expense": ExpenseEntry}.get(kind)
    if model is None or verb not in ("submit", "recall", "delete"):
        raise Http404
    _require(request, f"actuals.change_{model._meta.model_name}")
    entry = get_object_or_404(queries.own_entries(request.user, model), pk=pk)
    now = timezone.now()
    try:
        if verb == "submit":
            services.submit_entry(
                entry=entry, by=request.user, submitted_at=now, today=timezone.localdate(now)
            )
            messages.success(request, _("Submitted for approval."))
        elif verb == "recall":
            services.recall_entry(entry=entry, by=request.user)
            messages.success(request, _("Recalled; the entry is a draft again."))
        else:
            services.delete_entry(entry=entry, by=request.user)
            messages.success(request, _("Deleted."))
    except EXPECTED_ERRORS as exc:
        for error in error_texts(exc):
            messages.error(request, error)
    target = request.POST.get("next", "")
    if not target.startswith("/") or target.startswith("//"):
        target = reverse("actuals:my-expenses")
    return redirect(target)


@login_required
def returned(request: HttpRequest) -> HttpResponse:
    _require(request, "actuals.view_timeentry")
    _own_resource(request)
    time = queries.own_entries(request.user, TimeEntry).filter(status=EntryStatus.RETURNED)
    expenses = queries.own_entries(request.user, ExpenseEntry).filter(status=EntryStatus.RETURNED)
    return render(
        request,
        "actuals/returned.html",
        {
            "time_entries": time.select_related("role", "returned_by").order_by("entry_date", "pk"),
            "expense_entries": expenses.select_related("category", "returned_by").order_by(
                "entry_date", "pk"
            ),
        },
    )


def receipt_readers(user: Any) -> Q:
    """The expense entries whose receipt ``user`` may open: their own, those of projects they
    manage (the approver), and every one for accountants and administrators."""
    if sees_everything(user) or user.is_superuser:
        return Q()
    return Q(resource__user=user) | Q(project__project_manager=user)


@login_required
def receipt(request: HttpRequest, pk: int) -> FileResponse:
    """The receipt of an expense entry, shown in the browser (PDF, PNG or JPEG, as checked on
    upload); anyone else gets a 404, as if the entry did not exist."""
    entry = get_object_or_404(
        ExpenseEntry.objects.filter(receipt_readers(request.user)).exclude(receipt=""), pk=pk
    )
    handle = entry.receipt.open("rb")
    kind = sniff_receipt_type(handle.read(8))
    handle.seek(0)
    content_type = {"PDF": "application/pdf", "PNG": "image/png", "JPEG": "image/jpeg"}
    if kind is None:  # never stored by the upload, which checks the signature
        raise Http404
    return FileResponse(
        handle,
        content_type=content_type[kind],
        as_attachment=False,
        filename=entry.receipt.name.rsplit("/", 1)[-1],
    )
