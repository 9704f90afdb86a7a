"""URL map. Each domain app contributes `urls.py` (staff UI, mounted at /<app>/ with its
app label as namespace) and/or `api_urls.py` (mounted under /api/); apps that have
not built them yet are skipped, so areas land independently."""

from importlib import import_module, util

from django.apps import apps
from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from envgrid.web import lookup as web_lookup
from envgrid.web import views as web_views


def favicon(request: HttpRequest) -> HttpResponse:
    # Resolved per request: the hashed name exists only once collectstatic has run.
    return HttpResponseRedirect(static("web/favicon.svg"))


urlpatterns = [
    path("", web_views.home, name="home"),
    path("inbox/", web_views.inbox, name="inbox"),
    # The searchable selects' search (issue 20, part 4).
    path("lookup/<slug:kind>/", web_lookup.lookup, name="lookup"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", web_views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name no icon (Swagger UI, admin).
    path("favicon.ico", favicon),
    # Open311 GeoReport v2 at the root path that existing clients expect.
    path("open311/", include("envgrid.disclosure.open311_urls")),
]

for config in apps.get_app_configs():
    if not config.name.startswith("envgrid.") or config.label == "web":
        continue
    if util.find_spec(f"{config.name}.urls") is not None:
        module = import_module(f"{config.name}.urls")
        urlpatterns.append(path(f"{config.label}/", include((module, config.label))))
    if util.find_spec(f"{config.name}.api_urls") is not None:
        urlpatterns.append(path("api/", include(f"{config.name}.api_urls")))

# One error path (issue 16): JSON {code, message, fields} under /api/, pages elsewhere,
# for what fails before a view (too large, too many fields, undecodable) and for 404/500.
handler400 = "envgrid.core.error_views.bad_request"
handler403 = "envgrid.core.error_views.permission_denied"
handler404 = "envgrid.core.error_views.page_not_found"
handler500 = "envgrid.core.error_views.server_error"
