from django.urls import path

from . import views

urlpatterns = [
    path("", views.grid_map, name="map"),
    path("geojson/", views.grid_geojson, name="geojson"),
    path("export.geojson", views.grid_export, name="export"),
    path("gaps/", views.grid_gaps_view, name="gaps"),
    path("import/", views.grid_import, name="import"),
    path("adjustments/", views.adjustments, name="adjustments"),
    path("<int:pk>/", views.grid_detail, name="detail"),
    path("<int:pk>/assign/", views.grid_assign, name="assign"),
    path("<int:pk>/edit/", views.grid_edit, name="edit"),
    path("<int:pk>/boundary/", views.grid_boundary, name="boundary"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
]
