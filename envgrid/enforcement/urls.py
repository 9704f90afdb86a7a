"""Staff UI routes, mounted at /enforcement/ with namespace "enforcement"."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.action_list, name="list"),
    path("new/", views.action_create, name="create"),
    path("<int:pk>/", views.action_detail, name="detail"),
    path("<int:pk>/edit/", views.action_edit, name="edit"),
    path("<int:pk>/plan.docx", views.plan_document, name="plan_docx"),
    path("<int:pk>/summary.xlsx", views.summary_document, name="summary_xlsx"),
    path("<int:pk>/inspections/new/", views.inspection_create, name="inspection_create"),
    path(
        "<int:pk>/<str:step>/",
        views.action_step,
        name="action_step",
    ),
    path("<int:pk>/plan/<str:step>/", views.plan_step, name="plan_step"),
    path("participants/<int:pid>/<str:step>/", views.participant_step, name="participant_step"),
    path("assignments/<int:aid>/<str:step>/", views.assignment_step, name="assignment_step"),
    path("inspections/<int:iid>/<str:step>/", views.inspection_step, name="inspection_step"),
    path("findings/<int:fid>/<str:step>/", views.finding_step, name="finding_step"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
]
