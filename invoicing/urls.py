from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from actuals.api_urls import journal_import_urlpatterns
from contracts.api.base import api_not_found, api_read_only
from contracts.audit_views import audit_trail
from invoicing import views

api_v1 = [
    path("", include("contracts.api_urls")),
    # Before the ledger's routes: its journals/<pk>/ would take "import" for an id.
    path("", include(journal_import_urlpatterns)),
    path("", include("ledger.api_urls")),
    path("", include("actuals.api_urls")),
    path("", include("invoicing.api_urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("home/team-member/", views.home_team_member, name="home-team-member"),
    path("home/project-manager/", views.home_project_manager, name="home-project-manager"),
    path("home/accountant/", views.home_accountant, name="home-accountant"),
    path("home/administrator/", views.home_administrator, name="home-administrator"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("contracts/", include("contracts.urls")),
    path("audit/", audit_trail, name="audit-trail"),
    path("ledger/", include("ledger.urls")),
    path("time/", include("actuals.urls")),
    path("billing/", include("invoicing.billing_urls")),
    path("api/v1/", include(api_v1)),
    # Their renderers are YAML and HTML: another method than reading is a JSON 405 all the same.
    path("api/schema/", api_read_only(SpectacularAPIView.as_view()), name="api-schema"),
    path(
        "api/docs/",
        api_read_only(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    # Last: whatever else is asked under /api/ is no route, said in JSON.
    re_path(r"^api/.*/$", api_not_found),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
