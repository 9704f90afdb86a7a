"""Staff pages under /accountability/ (namespace "accountability")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="index"),
    path("findings/", views.findings, name="findings"),
    path("findings/new/", views.finding_new, name="finding_new"),
    path("findings/<int:pk>/", views.finding_detail, name="finding_detail"),
    path("proposals/new/", views.proposal_new, name="proposal_new"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/decide/", views.decide, name="decide"),
    path("proposals/<int:pk>/refer/", views.refer, name="refer"),
    path("proposals/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
