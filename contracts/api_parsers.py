"""The API's request parsers (``REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]``): a module of its
own, importing nothing of the API's views, because DRF's settings load it."""

import io
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from contracts.api_errors import BodyTooLarge


class JSONParser(parsers.JSONParser):
    """JSON bodies, refused with 400 when nested deeper than ``MAX_JSON_DEPTH`` (the stock
    parser recursed until Python gave up: a 500 on every endpoint, the token one included), and
    with 413 when longer than Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (DRF reads the body as a
    stream, round Django's own check; the API's largest bodies are lists of ids)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise BodyTooLarge()
        too_deep = ParseError(
            _("The JSON body is nested deeper than %(n)d levels.") % {"n": MAX_JSON_DEPTH}
        )
        try:
            data = super().parse(io.BytesIO(body), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if _depth(data) > MAX_JSON_DEPTH:
            raise too_deep
        return data


#: How deep a JSON body may nest (the API's own bodies nest three levels at most).
MAX_JSON_DEPTH = 20


def _depth(data: Any) -> int:
    """How deep ``data`` nests, counted without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            break
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest
