"""Finance setup: accounts, fiscal years and periods, dimensions, VAT, posting profiles,
exchange rates and gapless number series.

The money tables that change over time (VAT codes, posting profiles, exchange rates, number
series) keep their history through django-pghistory triggers, so no bulk ``.update()`` slips
past unrecorded.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext_lazy as _

from contracts.models import (
    Contract,
    Customer,
    ItemSalesTaxGroup,
    LegalEntity,
    Project,
    SalesTaxGroup,
)
from contracts.money import percent_field


class _DateRange(Func):
    function = "daterange"
    output_field = models.Field()


class AccountType(models.TextChoices):
    ASSET = "asset", _("Asset")
    LIABILITY = "liability", _("Liability")
    EQUITY = "equity", _("Equity")
    REVENUE = "revenue", _("Revenue")
    EXPENSE = "expense", _("Expense")


class Account(models.Model):
    """A general-ledger account of one legal entity's chart of accounts."""

    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="accounts"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    account_type = models.CharField(_("type"), max_length=10, choices=AccountType.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        permissions = [("view_reports", "Can view ledger reports")]
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code"],
                name="account_code_unique_in_entity",
                violation_error_message=_(
                    "This legal entity already has an account with this code."
                ),
            ),
            models.CheckConstraint(
                condition=Q(account_type__in=AccountType.values), name="account_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class FiscalYear(models.Model):
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="fiscal_years"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))

    class Meta:
        verbose_name = _("fiscal year")
        verbose_name_plural = _("fiscal years")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "year"], name="fiscalyear_unique_in_entity"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="fiscalyear_end_after_start"
            ),
            ExclusionConstraint(
                name="fiscalyear_no_overlap",
                expressions=[
                    ("legal_entity", RangeOperators.EQUAL),
                    (_DateRange("start_date", "end_date", Value("[]")), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Fiscal years of a legal entity may not overlap."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.legal_entity_id}/{self.year}"


class PeriodStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Period(models.Model):
    """An accounting period of a fiscal year; entries may only be dated in an open one."""

    fiscal_year = models.ForeignKey(
        FiscalYear, models.PROTECT, verbose_name=_("fiscal year"), related_name="periods"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=10, choices=PeriodStatus.choices, default=PeriodStatus.OPEN
    )
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("status changed by"),
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("period")
        verbose_name_plural = _("periods")
        permissions = [("close_period", "Can close and reopen periods")]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "number"], name="period_number_unique_in_year"
            ),
            models.CheckConstraint(
                condition=Q(status__in=PeriodStatus.values), name="period_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="period_end_after_start"
            ),
            ExclusionConstraint(
                name="period_no_overlap",
                expressions=[
                    ("fiscal_year", RangeOperators.EQUAL),
                    (_DateRange("start_date", "end_date", Value("[]")), RangeOperators.OVERLAPS),
                ],
                violation_error_message=_("Periods of a fiscal year may not overlap."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fiscal_year_id}/{self.number:02d} {self.start_date}–{self.end_date}"


class Dimension(models.Model):
    """A financial dimension: department, cost centre, business unit …"""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("dimension")
        verbose_name_plural = _("dimensions")

    def __str__(self) -> str:
        return self.code


class DimensionValue(models.Model):
    dimension = models.ForeignKey(
        Dimension, models.PROTECT, verbose_name=_("dimension"), related_name="values"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("dimension value")
        verbose_name_plural = _("dimension values")
        constraints = [
            models.UniqueConstraint(
                fields=["dimension", "code"], name="dimensionvalue_code_unique_in_dimension"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension_id}:{self.code}"


class DefaultDimension(models.Model):
    """A default dimension value of a customer, a project or a contract.

    Journal lines take their defaults project → contract → customer (the import, in the
    actuals app, applies them). Exactly one of customer / project / contract is set;
    ``dimension`` repeats the value's dimension so that one target has one value per dimension.
    """

    customer = models.ForeignKey(Customer, models.CASCADE, null=True, blank=True, related_name="+")
    project = models.ForeignKey(Project, models.CASCADE, null=True, blank=True, related_name="+")
    contract = models.ForeignKey(Contract, models.CASCADE, null=True, blank=True, related_name="+")
    dimension = models.ForeignKey(Dimension, models.PROTECT, related_name="+")
    value = models.ForeignKey(DimensionValue, models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("default dimension")
        verbose_name_plural = _("default dimensions")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(customer__isnull=False, project__isnull=True, contract__isnull=True)
                    | Q(customer__isnull=True, project__isnull=False, contract__isnull=True)
                    | Q(customer__isnull=True, project__isnull=True, contract__isnull=False)
                ),
                name="defaultdimension_one_target",
                violation_error_message=_(
                    "A default dimension names exactly one customer, project or contract."
                ),
            ),
            models.UniqueConstraint(
                fields=["customer", "project", "contract", "dimension"],
                nulls_distinct=False,
                name="defaultdimension_one_per_dimension",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id or self.project_id or self.contract_id}: {self.value_id}"


class VatCategory(models.TextChoices):
    STANDARD = "standard", _("Standard")
    REDUCED = "reduced", _("Reduced")
    ZERO = "zero", _("Zero rate")
    EXEMPT = "exempt", _("Exempt")
    REVERSE_CHARGE = "reverse_charge", _("Reverse charge")


@pghistory.track()
class VatCode(models.Model):
    """A VAT code and its rate. ``payable_account`` (optional) overrides the posting profile's
    VAT payable account for this code."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    rate = percent_field(_("rate %"))
    category = models.CharField(_("category"), max_length=20, choices=VatCategory.choices)
    payable_account = models.ForeignKey(
        Account,
        models.PROTECT,
        verbose_name=_("VAT payable account"),
        null=True,
        blank=True,
        related_name="+",
    )
    invoice_text = models.CharField(
        _("text on the invoice"), max_length=200, blank=True, help_text=_("e.g. BTW verlegd")
    )

    class Meta:
        verbose_name = _("VAT code")
        verbose_name_plural = _("VAT codes")
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=VatCategory.values), name="vatcode_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lte=100), name="vatcode_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(category__in=["standard", "reduced"]) | Q(rate=0),
                name="vatcode_zero_rate_categories",
                violation_error_message=_(
                    "Zero-rate, exempt and reverse-charge codes have a rate of 0."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.rate}%)"


class VatRule(models.Model):
    """Sales tax group × item sales tax group → VAT code."""

    sales_tax_group = models.ForeignKey(
        SalesTaxGroup, models.PROTECT, verbose_name=_("sales tax group"), related_name="+"
    )
    item_sales_tax_group = models.ForeignKey(
        ItemSalesTaxGroup, models.PROTECT, verbose_name=_("item sales tax group"), related_name="+"
    )
    vat_code = models.ForeignKey(
        VatCode, models.PROTECT, verbose_name=_("VAT code"), related_name="rules"
    )

    class Meta:
        verbose_name = _("VAT rule")
        verbose_name_plural = _("VAT rules")
        constraints = [
            models.UniqueConstraint(
                fields=["sales_tax_group", "item_sales_tax_group"],
                name="vatrule_unique_pair",
                violation_error_message=_("This pair of tax groups already has a VAT code."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sales_tax_group_id}×{self.item_sales_tax_group_id} → {self.vat_code_id}"


@pghistory.track()
class PostingProfile(models.Model):
    """Which accounts a posting uses (DOMAIN.md §6); one default per legal entity."""

    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="posting_profiles"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    is_default = models.BooleanField(_("default"), default=False)
    accrue_tm_revenue = models.BooleanField(
        _("accrue T&M revenue"),
        default=True,
        help_text=_("Post unbilled T&M sales to WIP / accrued revenue when the journal posts."),
    )
    project_cost_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("project cost"), related_name="+"
    )
    payroll_allocation_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("payroll allocation"), related_name="+"
    )
    expense_offset_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("expense offset"), related_name="+"
    )
    wip_sales_value_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("WIP – sales value"), related_name="+"
    )
    accrued_revenue_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("accrued revenue"), related_name="+"
    )
    invoiced_revenue_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("invoiced revenue"), related_name="+"
    )
    #: Where a written-off backlog item's WIP value goes (a project loss, DOMAIN.md §6).
    #: Required in forms; empty only on a profile made before it existed and not set since
    #: (a write-off under it then says so).
    wip_write_off_account = models.ForeignKey(
        Account,
        models.PROTECT,
        verbose_name=_("WIP write-off (project loss)"),
        related_name="+",
        null=True,
    )
    revenue_on_account_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("invoiced revenue on account"), related_name="+"
    )
    receivables_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("accounts receivable"), related_name="+"
    )
    vat_payable_account = models.ForeignKey(
        Account, models.PROTECT, verbose_name=_("VAT payable"), related_name="+"
    )

    class Meta:
        verbose_name = _("posting profile")
        verbose_name_plural = _("posting profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "code"], name="postingprofile_code_unique_in_entity"
            ),
            models.UniqueConstraint(
                fields=["legal_entity"],
                condition=Q(is_default=True),
                name="postingprofile_one_default",
                violation_error_message=_("A legal entity has one default posting profile."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectPostingProfile(models.Model):
    """A project's posting profile (without one, the legal entity's default applies)."""

    project = models.OneToOneField(
        Project, models.CASCADE, verbose_name=_("project"), related_name="+"
    )
    profile = models.ForeignKey(
        PostingProfile, models.PROTECT, verbose_name=_("posting profile"), related_name="projects"
    )

    class Meta:
        verbose_name = _("project posting profile")
        verbose_name_plural = _("project posting profiles")

    def __str__(self) -> str:
        return f"{self.project_id} → {self.profile_id}"


@pghistory.track()
class ExchangeRate(models.Model):
    """``1 from_currency = rate to_currency`` from ``rate_date`` on (the latest on or before a
    date applies)."""

    from_currency = models.CharField(_("from currency"), max_length=3)
    to_currency = models.CharField(_("to currency"), max_length=3)
    rate_date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=20, decimal_places=8)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(
                fields=["from_currency", "to_currency", "rate_date"],
                name="exchangerate_unique_per_day",
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchangerate_positive"),
            models.CheckConstraint(
                condition=~Q(from_currency=F("to_currency")), name="exchangerate_two_currencies"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_currency}/{self.to_currency} {self.rate_date}: {self.rate}"


@pghistory.track()
class NumberSeries(models.Model):
    """A gapless number series (vouchers, invoices) of a legal entity's fiscal year.

    Numbers are taken by :func:`ledger.services.next_number` under a row lock inside the
    caller's transaction, never from a database sequence: a rolled-back posting gives its
    number back.
    """

    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("legal entity"), related_name="+"
    )
    fiscal_year = models.ForeignKey(
        FiscalYear, models.PROTECT, verbose_name=_("fiscal year"), related_name="number_series"
    )
    purpose = models.CharField(_("purpose"), max_length=20, help_text=_("voucher, invoice …"))
    prefix = models.CharField(_("prefix"), max_length=20, blank=True)
    next_number = models.PositiveIntegerField(_("next number"), default=1)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(
                fields=["legal_entity", "fiscal_year", "purpose"], name="numberseries_unique"
            ),
            models.CheckConstraint(
                condition=Q(next_number__gte=1), name="numberseries_next_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.prefix}… next {self.next_number}"
