"""The integration journal: import approved actuals into draft journal lines."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from actuals.journal import import_actuals
from contracts.api.base import requires
from contracts.serializers import common as strict
from ledger.models import JournalGrouping


class JournalImportSerializer(strict.Serializer):
    grouping = serializers.ChoiceField(
        choices=JournalGrouping.choices,
        required=False,
        help_text="Group journals by day or month (default: the JOURNAL_GROUPING setting).",
    )


class JournalImportResultSerializer(strict.Serializer):
    lines = strict.IntegerField(help_text="Actuals journalled (one draft line each).")
    journals = strict.IntegerField(help_text="Journals that received lines.")
    journals_created = strict.IntegerField(help_text="Of those, journals opened now.")


class JournalImportView(APIView):
    """``POST /api/v1/journals/import/``: every approved actual not yet journalled becomes a
    draft journal line (see :mod:`actuals.journal`). Running it again imports nothing new."""

    permission_classes = [requires("ledger.import_journal")]

    @extend_schema(
        request=JournalImportSerializer,
        responses=JournalImportResultSerializer,
        summary="Import approved actuals into the integration journal",
    )
    def post(self, request: Request) -> Response:
        given = JournalImportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        result = import_actuals(now=timezone.now(), grouping=given.validated_data.get("grouping"))
        return Response(
            JournalImportResultSerializer(
                {
                    "lines": result.lines,
                    "journals": result.journals,
                    "journals_created": result.journals_created,
                }
            ).data
        )
