"""The public site is zh-hans with an English switch (I4 portal)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
LOCALE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"


@pytest.fixture
def english_catalogue():
    """`make messages` compiles catalogues; compile ours here if that has not run."""
    mo = LOCALE / "django.mo"
    if not mo.exists() or mo.stat().st_mtime < (LOCALE / "django.po").stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt (gettext) is not installed: run `make messages`")
        subprocess.run(["msgfmt", "-o", str(mo), str(LOCALE / "django.po")], check=True)  # noqa: S603,S607
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    yield


def test_I4_public_site_chinese_by_default_with_english_switch(client, english_catalogue):
    zh = client.get("/disclosure/").content.decode()
    assert "网格化环境监管信息公开" in zh and 'lang="zh-hans"' in zh
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/disclosure/map/"})
    assert r.status_code == 302 and r["Location"] == "/disclosure/map/"
    en = client.get("/disclosure/").content.decode()
    assert 'lang="en"' in en
    assert "Gridded environmental supervision — public information" in en
    assert ">Home<" in en and "Report an environmental problem" in en
    form = client.get("/disclosure/petition/new/").content.decode()
    assert "Contact (optional)" in form and "Submit" in form
    api = client.get("/disclosure/open311/v2/services.json").json()
    assert any(s["service_name"] == "Air pollution" for s in api)
