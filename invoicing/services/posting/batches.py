"""*Post selected*: many proposals posted in the background, with progress."""

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from contracts.queueing import failure_reason, queue_after_commit, unreachable_message
from invoicing.models import (
    Invoice,
    InvoiceStatus,
    PostingBatch,
    RunStatus,
)

from .entry import post_invoice
from .proposal import Clock

logger = logging.getLogger(__name__)

# --- batches --------------------------------------------------------------------------------------


def start_posting_batch(*, invoice_ids: Iterable[int], by: Any, at: dt.datetime) -> PostingBatch:
    """Record a *post selected* batch (status *running*); :func:`run_posting_batch` posts.

    The ids must name invoice proposals (confirmed invoices): others are refused (400, naming
    them) and no batch is recorded.
    """
    ids = list(dict.fromkeys(int(i) for i in invoice_ids))
    if not ids:
        raise ValidationError({"invoice_ids": [_("Select at least one invoice proposal.")]})
    found = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "status"))
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ValidationError(
            {
                "invoice_ids": [
                    _("Unknown invoices: %(ids)s.") % {"ids": ", ".join(map(str, unknown))}
                ]
            }
        )
    not_proposals = [i for i in ids if found[i] != InvoiceStatus.CONFIRMED]
    if not_proposals:
        raise ValidationError(
            {
                "invoice_ids": [
                    _("Not invoice proposals (only confirmed invoices can be posted): %(ids)s.")
                    % {"ids": ", ".join(map(str, not_proposals))}
                ]
            }
        )
    return PostingBatch.objects.create(
        started_at=at, started_by=by, heartbeat_at=at, invoice_ids=ids, total=len(ids)
    )


def queue_posting_batch(batch: PostingBatch, *, now: dt.datetime) -> None:
    """Send the batch's task when the transaction commits; a broker that cannot be reached
    fails the batch at once, saying so (:mod:`contracts.queueing`)."""
    from invoicing.tasks import post_invoice_batch

    def unreachable(error: BaseException) -> None:
        PostingBatch.objects.filter(pk=batch.pk, status=RunStatus.RUNNING).update(
            status=RunStatus.FAILED,
            finished_at=now,
            message=unreachable_message(_("batch"), error),
        )

    queue_after_commit(post_invoice_batch, batch.pk, unreachable=unreachable)


def run_posting_batch(*, batch: PostingBatch, clock: Clock) -> PostingBatch:
    """Post every invoice of the batch, each in its own transaction (one failing does not stop
    the others); counts and reasons are saved after each invoice. A batch that is no longer
    running (e.g. a task delivered twice) is left alone."""
    batch = PostingBatch.objects.select_related("started_by").get(pk=batch.pk)
    if batch.status != RunStatus.RUNNING:
        return batch
    for invoice_id in batch.invoice_ids:
        if str(invoice_id) in batch.failures:
            continue
        at = clock()
        try:
            invoice = Invoice.objects.get(pk=invoice_id)
            post_invoice(invoice=invoice, by=batch.started_by, at=at)
        except Exception as error:  # recorded on the batch; the others go on
            logger.info("posting batch %s: invoice %s failed: %s", batch.pk, invoice_id, error)
            batch.failed += 1
            batch.failures[str(invoice_id)] = failure_reason(error)
        else:
            batch.posted += 1
        batch.heartbeat_at = at
        batch.save(update_fields=["posted", "failed", "failures", "heartbeat_at"])
    batch.status = RunStatus.DONE_WITH_FAILURES if batch.failed else RunStatus.DONE
    batch.finished_at = clock()
    batch.save(update_fields=["status", "finished_at"])
    return batch


def fail_stalled_posting_batches(*, now: dt.datetime) -> list[int]:
    """Mark *failed* every running posting batch without progress for a while, saying so (see
    :mod:`invoicing.services.progress`); returns their ids."""
    from invoicing.services.progress import fail_stalled

    return fail_stalled(
        PostingBatch.objects.all(),
        now=now,
        what="posting batch",
        progress=_("%(posted)d of %(total)d posted"),
    )
