"""Mounted at /disclosure/ (namespace "disclosure"): the public portal, open data,
Open311 GeoReport v2 under open311/v2/, and the staff pages under manage/ and staff/."""

from django.urls import path

from . import opendata, views, views_public
from .open311_urls import georeport_patterns

urlpatterns = [
    # Public portal (no login).
    path("", views_public.portal, name="portal"),
    path("plan/", views_public.plan, name="plan"),
    path("map/", views_public.grid_map, name="map"),
    path("duties/", views_public.duties, name="duties"),
    path("emissions/", views_public.emissions, name="emissions"),
    path("petitions/", views_public.petitions, name="petitions"),
    path("hazards/", views_public.hazards, name="hazards"),
    path("adjustments/", views_public.adjustments, name="adjustments"),
    path("p/<int:pk>/", views_public.publication_public, name="publication_public"),
    path("p/<int:pk>/document/", views_public.publication_document, name="publication_document"),
    path("petition/new/", views_public.petition_new, name="petition_new"),
    path("petition/submitted/", views_public.petition_submitted, name="petition_submitted"),
    path("petition/track/", views_public.track, name="track"),
    # Open data.
    path("data/", views_public.open_data, name="data"),
    path("data/grids.geojson", opendata.grids_geojson, name="data_grids"),
    path("data/hazards.geojson", opendata.hazards_geojson, name="data_hazards"),
    path("data/emissions.csv", opendata.emissions_csv, name="data_emissions_csv"),
    path("data/emissions.json", opendata.emissions_json, name="data_emissions_json"),
    path("data/petition-stats.csv", opendata.petition_stats_csv, name="data_petition_stats_csv"),
    path("data/petition-stats.json", opendata.petition_stats_json, name="data_petition_stats_json"),
    # Open311 GeoReport v2.
    *georeport_patterns("open311/", "open311_"),
    # Staff.
    path("manage/", views.manage, name="manage"),
    path("manage/draft/<str:what>/", views.draft_create, name="draft_create"),
    path("manage/<int:pk>/", views.publication_detail, name="publication_detail"),
    path(
        "manage/<int:pk>/document/",
        views.publication_document_staff,
        name="publication_document_staff",
    ),
    path("manage/hazards/", views.hazards, name="hazards_manage"),
    path("manage/hazards/<int:pk>/", views.hazard_detail, name="hazard_detail"),
    path("manage/emissions/", views.emissions, name="emissions_manage"),
    path("staff/petitions/", views.petition_inbox, name="petition_inbox"),
    path("staff/petitions/<int:pk>/", views.petition_detail, name="petition_detail"),
    path("staff/photos/<int:pk>/", views.petition_photo, name="petition_photo"),
]
