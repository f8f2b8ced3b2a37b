"""Receipt files: PDF, PNG or JPEG only, at most ``settings.RECEIPT_MAX_BYTES``.

The type is decided by the file's first bytes (its signature), not by its name or the
browser's content type, which anyone can set: a ``.pdf`` that does not start with ``%PDF-``
is refused, and so is a PNG renamed to ``.exe``. The extension must agree with the content.
"""

from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

#: signature → (type name, the extensions that may carry it)
_SIGNATURES: list[tuple[bytes, str, tuple[str, ...]]] = [
    (b"%PDF-", "PDF", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "PNG", (".png",)),
    (b"\xff\xd8\xff", "JPEG", (".jpg", ".jpeg")),
]


def sniff_receipt_type(head: bytes) -> str | None:
    """``"PDF"``, ``"PNG"`` or ``"JPEG"`` from a file's first bytes, else ``None``."""
    for signature, name, _exts in _SIGNATURES:
        if head.startswith(signature):
            return name
    return None


def validate_receipt(file: IO[bytes] | Any, *, field: str = "receipt") -> None:
    """Raise ``ValidationError({field: [...]})`` unless ``file`` is a PDF/PNG/JPEG within the
    size limit. Leaves the file positioned at its start."""
    size = getattr(file, "size", None)
    if size is None:
        file.seek(0, 2)
        size = file.tell()
    if size > settings.RECEIPT_MAX_BYTES:
        raise ValidationError(
            {
                field: _("The receipt is %(size)d bytes; at most %(max)d bytes are allowed.")
                % {"size": size, "max": settings.RECEIPT_MAX_BYTES}
            }
        )
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    kind = sniff_receipt_type(head)
    if kind is None:
        raise ValidationError(
            {field: _("A receipt must be a PDF, PNG or JPEG file; this file is none of those.")}
        )
    name = (getattr(file, "name", "") or "").lower()
    allowed = next(exts for _sig, n, exts in _SIGNATURES if n == kind)
    if name and not name.endswith(allowed):
        raise ValidationError(
            {
                field: _("The file's name does not match its content (a %(kind)s file).")
                % {"kind": kind}
            }
        )
