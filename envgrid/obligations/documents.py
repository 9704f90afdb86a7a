"""The supervision notice (督办通知书) as a .docx, laid out by GB/T 9704 through the one
document module (envgrid.core.documents)."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from envgrid.core.documents import OfficialDocument

from .models import Supervision


def supervision_document(sup: Supervision) -> OfficialDocument:
    doc = OfficialDocument(
        issuer=sup.issuer.name,
        number=sup.number,
        title=_("督办通知书"),
        addressee=sup.target.name,
    )
    doc.heading(_("一、督办事由"))
    doc.paragraphs(sup.reason)
    if sup.requirement:
        doc.heading(_("二、督办要求"))
        doc.paragraphs(sup.requirement)
    ob = sup.response_obligation
    if ob is not None:
        doc.paragraph(
            _("请于 %(due)s 前将办理情况书面回复本单位。")
            % {"due": f"{timezone.localtime(ob.due_at):%Y年%m月%d日}"}
        )
    if sup.response:
        doc.heading(_("三、办理情况回复"))
        doc.paragraphs(sup.response)
    doc.signature(sup.issuer.name, sup.issued_at, seal=False)
    return doc
