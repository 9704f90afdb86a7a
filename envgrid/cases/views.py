"""Staff UI of case transfer (placeholder while building)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):  # type: ignore[no-untyped-def]
    return HttpResponse("todo")


case_list = case_new = case_detail = case_edit = case_action = evidence_upload = _todo
evidence_download = transfer_new = dispute_new = transfer_inbox = transfer_outbox = _todo
transfer_register_xlsx = transfer_detail = transfer_action = transfer_letter = _todo
transfer_form_docx = transfer_evidence_download = dispute_list = dispute_detail = overdue = _todo
