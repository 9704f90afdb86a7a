"""Root-level alias for Open311 clients: include at "open311/" in config/urls.py to serve
/open311/v2/services.json etc. (the same views as /disclosure/open311/v2/...)."""

from django.urls import path, re_path

from . import open311

app_name = "open311"

urlpatterns = [
    path("v2/services.json", open311.services, name="services"),
    path("v2/services/<str:service_code>.json", open311.service_definition, name="service"),
    path("v2/requests.json", open311.requests_endpoint, name="requests"),
    path("v2/requests/<str:code>.json", open311.request_detail, name="request"),
    re_path(r"^(?P<rest>.*)$", open311.not_found, name="not_found"),
]
