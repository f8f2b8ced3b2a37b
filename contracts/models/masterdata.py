"""Master data: legal entities, customers, projects and tasks, resources and roles, categories."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    DUTCH = "nl", _("Dutch")
    ENGLISH = "en", _("English")


class LegalEntity(models.Model):
    """The firm that contracts and invoices (the supplier on the printed invoice)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"))
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. NL"))
    vat_number = models.CharField(_("VAT number"), max_length=30)
    chamber_of_commerce = models.CharField(_("chamber of commerce number"), max_length=30)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    accounting_currency = models.CharField(_("accounting currency"), max_length=3, default="EUR")
    #: The language of its books: ledger memos are written in it, whoever posts (a Dutch
    #: accountant reading the portal in English still books Dutch memos).
    language = models.CharField(
        _("language of the books"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )

    class Meta:
        verbose_name = _("legal entity")
        verbose_name_plural = _("legal entities")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="legalentity_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def books_language(self) -> Any:
        """``with legal_entity.books_language(): memo = _(…)`` writes the memo in the language
        of the books."""
        return translation.override(self.language)


class SalesTaxGroup(models.Model):
    """Who the customer is for VAT (domestic, EU business, export …); with the item group it
    selects a VAT code in the ledger. Master data, so it lives in the bottom layer."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("sales tax group")
        verbose_name_plural = _("sales tax groups")

    def __str__(self) -> str:
        return self.code


class ItemSalesTaxGroup(models.Model):
    """What is sold for VAT (services at standard rate, reduced-rate goods, exempt …)."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("item sales tax group")
        verbose_name_plural = _("item sales tax groups")

    def __str__(self) -> str:
        return self.code


class Customer(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 code, e.g. BE"))
    vat_number = models.CharField(_("VAT number"), max_length=30, blank=True)
    email = models.EmailField(_("invoice e-mail"), blank=True)
    payment_terms_days = models.PositiveSmallIntegerField(_("payment terms (days)"), default=30)
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup,
        models.PROTECT,
        verbose_name=_("default sales tax group"),
        related_name="customers",
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.DUTCH
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=Q(language__in=Language.values), name="customer_language_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Role(models.Model):
    """A role a resource works in (developer, consultant …), with its item sales tax group."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    chargeable = models.BooleanField(_("chargeable"), default=True)
    item_sales_tax_group = models.ForeignKey(
        ItemSalesTaxGroup, models.PROTECT, verbose_name=_("item sales tax group"), related_name="+"
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name


class Resource(models.Model):
    """A person who books time: a user in a resourcing unit (legal entity)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.PROTECT, verbose_name=_("user"), related_name="resource"
    )
    name = models.CharField(_("name"), max_length=200)
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("resourcing unit"), related_name="resources"
    )
    default_role = models.ForeignKey(
        Role,
        models.PROTECT,
        verbose_name=_("default role"),
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self) -> str:
        return self.name


class ExpenseCategory(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    unit = models.CharField(_("unit"), max_length=20, default="each", help_text=_("e.g. km, night"))
    chargeable = models.BooleanField(_("chargeable"), default=True)
    item_sales_tax_group = models.ForeignKey(
        ItemSalesTaxGroup, models.PROTECT, verbose_name=_("item sales tax group"), related_name="+"
    )

    class Meta:
        verbose_name = _("expense category")
        verbose_name_plural = _("expense categories")

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    customer = models.ForeignKey(
        Customer, models.PROTECT, verbose_name=_("customer"), related_name="projects"
    )
    project_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        verbose_name=_("project manager"),
        related_name="managed_projects",
    )
    legal_entity = models.ForeignKey(
        LegalEntity, models.PROTECT, verbose_name=_("contracting unit"), related_name="projects"
    )
    sales_tax_group = models.ForeignKey(
        SalesTaxGroup,
        models.PROTECT,
        verbose_name=_("sales tax group"),
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Overrides the contract's and the customer's sales tax group."),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("project")
        verbose_name_plural = _("projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="project_end_after_start",
                violation_error_message=_("The end date may not be before the start date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Task(models.Model):
    project = models.ForeignKey(
        Project, models.CASCADE, verbose_name=_("project"), related_name="tasks"
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    chargeable = models.BooleanField(_("chargeable"), default=True)

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        constraints = [
            models.UniqueConstraint(fields=["project", "code"], name="task_code_unique_in_project"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


__all__ = [
    "Customer",
    "ExpenseCategory",
    "ItemSalesTaxGroup",
    "Language",
    "LegalEntity",
    "Project",
    "Resource",
    "Role",
    "SalesTaxGroup",
    "Task",
]
