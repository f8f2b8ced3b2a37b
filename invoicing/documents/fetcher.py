"""The only way the invoice renderer reads anything: local files under the project's
``static/`` and ``templates/`` folders.

WeasyPrint fetches stylesheets, fonts and images through a *URL fetcher*. Ours refuses every
scheme but ``file:`` and every path outside the allowed folders (after resolving ``..`` and
symbolic links), so a template, a stylesheet or a text typed by a user can never make the
renderer reach the network or read another file on the machine. It is built with
``fail_on_errors=True``: a refused or missing resource stops the rendering instead of being
skipped with a warning (an invoice printed without its fonts would look different).
"""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """The renderer asked for something other than a project file under static/ or templates/."""


def allowed_roots() -> tuple[Path, ...]:
    """The folders the renderer may read from."""
    base = Path(settings.BASE_DIR)
    return ((base / "static").resolve(), (base / "templates").resolve())


class LocalFilesFetcher(URLFetcher):
    """A WeasyPrint URL fetcher that serves ``file://`` URLs under :func:`allowed_roots` and
    raises :class:`RefusedURL` for anything else (``http(s)``, ``data``, ``ftp``, other
    paths)."""

    def __init__(self, roots: tuple[Path, ...] | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.roots = roots if roots is not None else allowed_roots()

    def path_for(self, url: str) -> Path:
        """The local file ``url`` names, or :class:`RefusedURL` saying why not."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file":
            raise RefusedURL(f"The invoice renderer reads local files only; refused {url!r}.")
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL(f"The invoice renderer reads local files only; refused {url!r}.")
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not any(path.is_relative_to(root) for root in self.roots):
            raise RefusedURL(
                f"The invoice renderer reads files under static/ and templates/ only; "
                f"refused {url!r}."
            )
        if not path.is_file():
            raise RefusedURL(f"The invoice renderer found no file at {url!r}.")
        return path

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        path = self.path_for(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type}
        )
