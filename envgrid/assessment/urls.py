"""Staff pages under /assessment/ (namespace "assessment")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/ranking/", views.ranking, name="ranking"),
    path("plans/", views.plan_list, name="plans"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation"),
    path(
        "evaluations/<int:pk>/drilldown/<int:indicator_pk>/",
        views.drilldown,
        name="drilldown",
    ),
    path("evaluations/<int:pk>/result.docx", views.result_docx, name="result_docx"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
]
