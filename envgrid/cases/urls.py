"""Staff UI of case transfer (mounted at /cases/, namespace "cases")."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.case_new, name="create"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/edit/", views.case_edit, name="edit"),
    path("<int:pk>/action/<str:action>/", views.case_action, name="action"),
    path("<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("<int:pk>/transfer/", views.transfer_new, name="transfer_create"),
    path("<int:pk>/dispute/", views.dispute_new, name="dispute_create"),
    path("transfers/in/", views.transfer_inbox, name="inbox"),
    path("transfers/out/", views.transfer_outbox, name="outbox"),
    path("transfers/register.xlsx", views.transfer_register_xlsx, name="register_xlsx"),
    path("transfers/<int:pk>/", views.transfer_detail, name="transfer_detail"),
    path("transfers/<int:pk>/action/<str:action>/", views.transfer_action, name="transfer_action"),
    path("transfers/<int:pk>/letter.docx", views.transfer_letter, name="transfer_letter"),
    path("transfers/<int:pk>/form.docx", views.transfer_form_docx, name="transfer_form"),
    path(
        "transfer-evidence/<int:pk>/",
        views.transfer_evidence_download,
        name="transfer_evidence_download",
    ),
    path("disputes/", views.dispute_list, name="disputes"),
    path("disputes/<int:pk>/", views.dispute_detail, name="dispute_detail"),
    path("overdue/", views.overdue, name="overdue"),
]
