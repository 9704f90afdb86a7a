from django.urls import path

from . import job_views

urlpatterns = [
    path("jobs/<int:pk>/", job_views.job_view, name="job"),
    path("jobs/<int:pk>/status/", job_views.job_status, name="job_status"),
    path("jobs/<int:pk>/retry/", job_views.job_retry, name="job_retry"),
    path("jobs/<int:pk>/cancel/", job_views.job_cancel, name="job_cancel"),
]
