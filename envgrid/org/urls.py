"""Staff pages under /org/ (namespace "org")."""

from django.urls import path

from . import views

urlpatterns = [
    path("units/", views.unit_list, name="unit_list"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("persons/", views.person_list, name="person_list"),
    path("persons/new/", views.person_new, name="person_new"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("persons/<int:pk>/training/", views.person_training, name="person_training"),
    path("training/", views.training_list, name="training_list"),
    path("training/<int:pk>/void/", views.training_void, name="training_void"),
    path("groups/", views.group_list, name="group_list"),
    path("groups/<int:pk>/", views.group_detail, name="group_detail"),
]
