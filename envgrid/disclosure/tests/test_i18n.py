"""The public site is zh-hans with an English switch."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db
LOCALE = Path(__file__).resolve().parent.parent / "locale" / "en" / "LC_MESSAGES"


@pytest.fixture
def english_catalogue(tmp_path, settings):
    """Compile our English catalogue into a temporary locale path (never into the source
    tree: `.mo` files are build output) and put it first on LOCALE_PATHS."""
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is not installed: run `make messages`")
    out = tmp_path / "locale" / "en" / "LC_MESSAGES"
    out.mkdir(parents=True)
    subprocess.run(  # noqa: S603
        ["msgfmt", "-o", str(out / "django.mo"), str(LOCALE / "django.po")],  # noqa: S607
        check=True,
    )
    # Changing LOCALE_PATHS resets Django's translation cache (and again on restore).
    settings.LOCALE_PATHS = [str(tmp_path / "locale"), *settings.LOCALE_PATHS]
    yield


def test_public_site_chinese_by_default_with_english_switch(client, english_catalogue):
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
