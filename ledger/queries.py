"""Reads of the ledger: posting profiles, periods, journals with their counts and totals."""

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet, Sum

from contracts.models import LegalEntity, Project
from contracts.money import ZERO

from .models import (
    Account,
    CustomerTransaction,
    Journal,
    JournalLineStatus,
    Period,
    PostingProfile,
    ProjectPostingProfile,
)


def _with_accounts(profiles: QuerySet[PostingProfile]) -> QuerySet[PostingProfile]:
    return profiles.select_related(*_account_fields())


def posting_profile_for(*, project: Project) -> PostingProfile | None:
    """The project's own posting profile, else its legal entity's default; ``None`` if neither."""
    own = ProjectPostingProfile.objects.select_related("profile").filter(project=project).first()
    if own is not None:
        return own.profile
    return PostingProfile.objects.filter(
        legal_entity_id=project.legal_entity_id, is_default=True
    ).first()


class PostingProfiles:
    """:func:`posting_profile_for` per project, looked up once (for one service call over
    many actuals or details). :meth:`load` looks up many projects at once, with the profiles'
    accounts (a page of 50 journal lines: two queries, not two hundred)."""

    def __init__(self) -> None:
        self._cache: dict[int, PostingProfile | None] = {}

    def load(self, projects: Iterable[Project]) -> None:
        wanted = {p.pk: p for p in projects if p.pk not in self._cache}
        if not wanted:
            return
        own = {
            link.project_id: link.profile
            for link in ProjectPostingProfile.objects.filter(
                project__in=list(wanted)
            ).select_related(*[f"profile__{name}" for name in _account_fields()])
        }
        defaults = {
            profile.legal_entity_id: profile
            for profile in _with_accounts(
                PostingProfile.objects.filter(
                    is_default=True, legal_entity__in={p.legal_entity_id for p in wanted.values()}
                )
            )
        }
        for pk, project in wanted.items():
            self._cache[pk] = own.get(pk) or defaults.get(project.legal_entity_id)

    def of(self, project: Project) -> PostingProfile | None:
        if project.pk not in self._cache:
            self._cache[project.pk] = posting_profile_for(project=project)
        return self._cache[project.pk]


def _account_fields() -> list[str]:
    return [f.name for f in PostingProfile._meta.fields if f.related_model is Account]


def period_on(*, legal_entity: LegalEntity, on_date: dt.date) -> Period | None:
    """The period of ``legal_entity`` that covers ``on_date`` (open or closed), if any."""
    return (
        Period.objects.select_related("fiscal_year")
        .filter(
            fiscal_year__legal_entity=legal_entity,
            start_date__lte=on_date,
            end_date__gte=on_date,
        )
        .first()
    )


def journals_with_totals() -> QuerySet[Journal]:
    """Journals annotated with line counts per status, error count and amount totals."""
    return Journal.objects.select_related("legal_entity").annotate(
        line_count=Count("lines"),
        draft_count=Count("lines", filter=Q(lines__status=JournalLineStatus.DRAFT)),
        posted_count=Count("lines", filter=Q(lines__status=JournalLineStatus.POSTED)),
        error_count=Count(
            "lines", filter=Q(lines__status=JournalLineStatus.DRAFT) & ~Q(lines__error_reason="")
        ),
        draft_total=Sum("lines__amount", filter=Q(lines__status=JournalLineStatus.DRAFT)),
        total=Sum("lines__amount"),
    )


def open_customer_transactions(
    *, legal_entity: LegalEntity | None = None
) -> QuerySet[CustomerTransaction]:
    qs = CustomerTransaction.objects.select_related("customer", "entry").exclude(open_amount=ZERO)
    if legal_entity is not None:
        qs = qs.filter(legal_entity=legal_entity)
    return qs
