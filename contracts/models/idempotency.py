"""The keys of the API's ``Idempotency-Key`` header and the first answer to each
(:mod:`contracts.idempotency` reads and writes them; nothing else does)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class IdempotencyKey(models.Model):
    """One user's key: the request that first came with it (method, path and a SHA-256 of the
    raw body) and, once that request has finished, its answer. ``status`` is empty while the
    first request still runs (the claim); rows older than 24 hours are ignored and purged."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, verbose_name=_("user"), related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.TextField(_("path"))
    body_sha256 = models.CharField(_("SHA-256 of the body"), max_length=64)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    status = models.PositiveSmallIntegerField(_("status"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=255, blank=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.BinaryField(_("body"), default=b"", blank=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotencykey_once_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}: {self.method} {self.path} {self.status or '…'}"
