"""``POST /api/v1/auth/token/``: a token for ``Authorization: Token <token>``."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser

from contracts.api_parsers import JSONParser
from contracts.lockout import lockout_response
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
            429: OpenApiResponse(
                ErrorSerializer, description="Too many wrong passwords: locked out for a while."
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # Axes marks this (DRF) request when the user and address are locked out; its
            # middleware only sees the Django request, so the lockout is answered here.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise
