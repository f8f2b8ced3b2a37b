"""``POST /api/v1/auth/token/``: a token for ``Authorization: Token <token>``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser

from contracts.api_parsers import JSONParser
from contracts.serializers import ErrorSerializer, TokenRequestSerializer, TokenSerializer


class ObtainTokenView(ObtainAuthToken):
    """Exchange a username and password for the user's API token (created on first use)."""

    # The API's own parsers (DRF's token view names its own, without the depth limit).
    parser_classes = [JSONParser, FormParser, MultiPartParser]

    @extend_schema(
        summary="Obtain an API token",
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Wrong username or password."),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        return super().post(request, *args, **kwargs)
