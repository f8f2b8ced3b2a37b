"""Exports of list pages: the rows the page's filter selects (every page, not only the one
shown), as CSV or XLSX, streamed.

A list page offers *Export CSV* and *Export XLSX* links: its own address with the filters and
sort it shows plus ``export=csv`` or ``export=xlsx``; the view answers with
:func:`export_response` instead of the page.

Decisions:

- **Machine-readable whatever the page's language.** CSV is UTF-8 with a byte-order mark (so
  Excel reads the accents), comma-separated, numbers with a point and no grouping, dates ISO
  (2026-03-02). XLSX cells hold real numbers and dates; the headers are in the page's language.
- **Flat memory at any size.** Rows are read from the database in chunks
  (``QuerySet.iterator``); CSV is streamed to the client as it is written; XLSX is written by
  openpyxl's write-only workbook (rows go to a temporary file, not into memory) and then sent.
- Money columns are exported beside their currency column: amounts in different currencies
  are never added.
"""

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.encoding import force_str

#: The formats a page exports, by the value of its ``export`` parameter.
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000


def requested_format(request: HttpRequest) -> str | None:
    """``"csv"`` or ``"xlsx"`` when the request asks for an export, else ``None``."""
    value = request.GET.get("export", "")
    return value if value in FORMATS else None


class _Echo:
    """A file-like object whose ``write`` hands the line back (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return ""
    return value if isinstance(value, int | Decimal) else force_str(value)


def _csv(headers: Sequence[Any], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([force_str(h) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_value(v) for v in row])


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):  # a spreadsheet has no time zones: the firm's local time
        return timezone.localtime(value).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, int | Decimal | dt.date) or value is None:
        return value
    return force_str(value)


def export_response(
    fmt: str,
    *,
    filename: str,
    headers: Sequence[Any],
    rows: Iterable[Sequence[Any]],
) -> StreamingHttpResponse | FileResponse:
    """The export of ``rows`` (an iterable read lazily, e.g. ``queryset.iterator()``) under
    ``headers``, as ``filename.csv`` or ``filename.xlsx``."""
    name = f"{filename}.{fmt}"
    if fmt == "csv":
        response = StreamingHttpResponse(_csv(headers, rows), content_type=FORMATS["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename[:31])
    sheet.append([force_str(h) for h in headers])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=FORMATS["xlsx"])


def export_queryset(
    fmt: str,
    *,
    filename: str,
    queryset: Any,
    columns: Sequence[tuple[str, Any]],
    display: Mapping[str, Mapping[Any, Any]] | None = None,
) -> StreamingHttpResponse | FileResponse:
    """Every row of ``queryset`` (in its order, read in chunks): one column per
    ``(field, header)``; ``display`` maps a field's stored values to what people read (a
    status to its label)."""
    fields = [name for name, _header in columns]
    maps = [(display or {}).get(name) for name in fields]

    def rows() -> Iterator[list[Any]]:
        for row in queryset.values_list(*fields).iterator(chunk_size=CHUNK):
            yield [m.get(v, v) if m else v for m, v in zip(maps, row, strict=True)]

    return export_response(
        fmt, filename=filename, headers=[header for _name, header in columns], rows=rows()
    )
