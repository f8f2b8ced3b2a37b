"""Forms of the actuals pages: the weekly timesheet grid, expenses, approvals, actuals filter."""

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from actuals.models import ActualType, BillingStatus
from contracts.fiscal_calendar import EARLIEST, LATEST
from contracts.forms import ListFilterForm, NumberField
from contracts.models import ExpenseCategory, Project, Resource, Role, Task, TransactionClass


def active_projects() -> QuerySet[Project]:
    return Project.objects.filter(is_active=True).order_by("code", "pk")


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field


class TaskSelect(forms.Select):
    """Each task option names its project (``data-project``), so the page offers only the
    tasks of the project chosen in its row (``static/js/app.js``)."""

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-project"] = str(instance.project_id)
        return option


class TaskChoiceField(forms.ModelChoiceField):
    widget = TaskSelect

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.project.code} / {obj.code} {obj.name}"


class GridRowForm(forms.Form):
    """One row of the weekly grid: project / task / role and the hours of seven days."""

    DAYS = 7

    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False
    )
    task = TaskChoiceField(label=_("Task"), queryset=Task.objects.none(), required=False)
    role = forms.ModelChoiceField(label=_("Role"), queryset=Role.objects.none(), required=False)
    #: What the row's hours were spent on: every entry of the row gets it, and it becomes the
    #: text of the invoice detail (a row without one says just the role).
    description = forms.CharField(label=_("Description"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "project").queryset = active_projects()
        _choices(self, "task").queryset = (
            Task.objects.filter(project__is_active=True)
            .select_related("project")
            .order_by("project__code", "code")
        )
        _choices(self, "role").queryset = Role.objects.order_by("name", "pk")
        for day in range(self.DAYS):
            self.fields[f"d{day}"] = NumberField(
                label=str(day),
                required=False,
                min_value=Decimal("0"),
                max_value=Decimal("24"),
                max_digits=5,
                decimal_places=2,
                attrs={"size": "5", "data-day": str(day)},
            )
        self.fields["project"].widget.attrs["data-project-select"] = ""
        self.fields["task"].widget.attrs["data-task-select"] = ""

    def day_fields(self) -> list[forms.BoundField]:
        return [self[f"d{day}"] for day in range(self.DAYS)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        hours = [data.get(f"d{d}") for d in range(self.DAYS)]
        if any(hours) and not data.get("project"):
            self.add_error("project", _("Choose a project for these hours."))
        if any(hours) and not data.get("role"):
            self.add_error("role", _("Choose a role for these hours."))
        task = data.get("task")
        if task is not None and data.get("project") and task.project_id != data["project"].pk:
            self.add_error("task", _("The task belongs to another project."))
        return data


class BaseGridFormSet(forms.BaseFormSet):
    """The week's rows; ``blank`` is what a row added in the page starts with (the person's
    default role)."""

    def __init__(self, *args: Any, blank: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.blank = blank or {}

    @property
    def empty_form(self) -> Any:
        form = super().empty_form
        form.initial = {**form.initial, **self.blank}
        return form


GridFormSet = cast(
    type[BaseGridFormSet],
    forms.formset_factory(GridRowForm, formset=BaseGridFormSet, extra=0),
)


class ExpenseForm(forms.Form):
    project = forms.ModelChoiceField(label=_("Project"), queryset=Project.objects.none())
    task = TaskChoiceField(label=_("Task"), queryset=Task.objects.none(), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ExpenseCategory.objects.order_by("name", "pk")
    )
    entry_date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    quantity = NumberField(
        label=_("Quantity"), max_digits=12, decimal_places=2, initial=Decimal("1")
    )
    amount = NumberField(label=_("Amount"), max_digits=20, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    description = forms.CharField(label=_("Description"), max_length=300, required=False)
    external_description = forms.CharField(
        label=_("Text on the invoice"), max_length=300, required=False
    )
    receipt = forms.FileField(
        label=_("Receipt"),
        required=False,
        help_text=_("PDF, PNG or JPEG."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "project").queryset = active_projects()
        _choices(self, "task").queryset = (
            Task.objects.filter(project__is_active=True)
            .select_related("project")
            .order_by("project__code", "code")
        )


class ApprovalFilterForm(ListFilterForm):
    project = forms.ModelChoiceField(
        label=_("Project"), queryset=Project.objects.none(), required=False
    )
    resource = forms.ModelChoiceField(
        label=_("Resource"), queryset=Resource.objects.order_by("name", "pk"), required=False
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, projects: QuerySet[Project], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "project").queryset = projects.order_by("code", "pk")

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value("project"):
            queryset = queryset.filter(project=self.value("project"))
        if self.value("resource"):
            queryset = queryset.filter(resource=self.value("resource"))
        if self.value("date_from"):
            queryset = queryset.filter(entry_date__gte=self.value("date_from"))
        if self.value("date_to"):
            queryset = queryset.filter(entry_date__lte=self.value("date_to"))
        return queryset


class ActualFilterForm(ApprovalFilterForm):
    actual_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", "—"), *ActualType.choices]
    )
    transaction_class = forms.ChoiceField(
        label=_("Class"), required=False, choices=[("", "—"), *TransactionClass.choices]
    )
    billing_status = forms.ChoiceField(
        label=_("Billing status"), required=False, choices=[("", "—"), *BillingStatus.choices]
    )

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value("project"):
            queryset = queryset.filter(project=self.value("project"))
        if self.value("resource"):
            queryset = queryset.filter(resource=self.value("resource"))
        if self.value("date_from"):
            queryset = queryset.filter(transaction_date__gte=self.value("date_from"))
        if self.value("date_to"):
            queryset = queryset.filter(transaction_date__lte=self.value("date_to"))
        for name, lookup in (
            ("actual_type", "actual_type"),
            ("transaction_class", "transaction_class"),
            ("billing_status", "billing__status"),
        ):
            if self.value(name):
                queryset = queryset.filter(**{lookup: self.value(name)})
        return queryset


def week_start(value: str | None, today: dt.date) -> dt.date:
    """The Monday of ``value`` (an ISO date) or of today; today also for a date outside
    :data:`~contracts.fiscal_calendar.EARLIEST` – :data:`~contracts.fiscal_calendar.LATEST`
    (the week of 9999-12-31 has no next week: its page would break). Whether its days may be
    booked is the entry services' rule (the fiscal calendar)."""
    try:
        day = dt.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    if not EARLIEST <= day <= LATEST:
        day = today
    return day - dt.timedelta(days=day.weekday())
