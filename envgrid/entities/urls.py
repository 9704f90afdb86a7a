from django.urls import path

from . import views

urlpatterns = [
    path("", views.entity_list_view, name="list"),
    path("new/", views.entity_create_view, name="create"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_job_view, name="import_job"),
    path("import/<int:pk>/retry/", views.import_job_retry_view, name="import_job_retry"),
    path("import/<int:pk>/cancel/", views.import_job_cancel_view, name="import_job_cancel"),
    path("import/<int:pk>/status/", views.import_job_status, name="import_job_status"),
    path("<int:pk>/", views.entity_detail, name="detail"),
    path("<int:pk>/edit/", views.entity_edit_view, name="edit"),
]
