"""/api/cases/…, /api/transfers/…, /api/disputes/…, /api/transfer-rules/, the T6 register."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("cases", api.CaseViewSet, basename="cases-api-case")
router.register("transfers", api.TransferViewSet, basename="cases-api-transfer")
router.register("disputes", api.DisputeViewSet, basename="cases-api-dispute")
router.register("transfer-rules", api.TransferRuleViewSet, basename="cases-api-transfer-rule")

urlpatterns = [
    path(
        "evidence/<int:pk>/download/",
        api.EvidenceDownloadView.as_view(),
        name="cases-api-evidence-download",
    ),
    path(
        "transfer-evidence/<int:pk>/download/",
        api.TransferEvidenceDownloadView.as_view(),
        name="cases-api-transfer-evidence-download",
    ),
    path("transfer-overdue/", api.OverdueRegisterView.as_view(), name="cases-api-overdue"),
    path("transfer-timeliness/", api.TimelinessView.as_view(), name="cases-api-timeliness"),
    *router.urls,
]
