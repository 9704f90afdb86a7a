"""Open311 GeoReport v2 URLs, each in .json and .xml, with discovery beside v2/.

Root-level alias for Open311 clients: included at "open311/" in config/urls.py to serve
/open311/discovery.json, /open311/v2/services.json etc.; the same views are mounted
under /disclosure/open311/ by disclosure/urls.py (`georeport_patterns`)."""

from __future__ import annotations

from django.urls import URLPattern, path, re_path

from . import open311

app_name = "open311"


def georeport_patterns(prefix: str = "", name_prefix: str = "") -> list[URLPattern]:
    out: list[URLPattern] = []
    for fmt in ("json", "xml"):
        sfx = "" if fmt == "json" else "_xml"
        kw = {"fmt": fmt}
        out += [
            path(
                f"{prefix}discovery.{fmt}",
                open311.discovery,
                kw,
                name=f"{name_prefix}discovery{sfx}",
            ),
            path(
                f"{prefix}v2/services.{fmt}",
                open311.services,
                kw,
                name=f"{name_prefix}services{sfx}",
            ),
            path(
                f"{prefix}v2/services/<str:service_code>.{fmt}",
                open311.service_definition,
                kw,
                name=f"{name_prefix}service{sfx}",
            ),
            path(
                f"{prefix}v2/requests.{fmt}",
                open311.requests_endpoint,
                kw,
                name=f"{name_prefix}requests{sfx}",
            ),
            path(
                f"{prefix}v2/requests/<str:code>.{fmt}",
                open311.request_detail,
                kw,
                name=f"{name_prefix}request{sfx}",
            ),
        ]
    out.append(
        re_path(rf"^{prefix}(?P<rest>.*)$", open311.not_found_any, name=f"{name_prefix}not_found")
    )
    return out


urlpatterns = georeport_patterns()
