"""Abuse limits on the public form: per-address rate limit, size limits, uploads checked
by content and stored without identifying metadata, never publicly served."""

from __future__ import annotations

import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from envgrid.disclosure.models import Petition, PetitionPhoto

from .conftest import WEST_POINT

pytestmark = pytest.mark.django_db


def _form(**kw):
    data = {
        "category": "air",
        "description": "烟囱冒黑烟",
        "lon": str(WEST_POINT[0]),
        "lat": str(WEST_POINT[1]),
        "crs": "wgs84",
    }
    data.update(kw)
    return data


def _jpeg_with_exif(secret: bytes) -> bytes:
    exif = b"Exif\x00\x00" + secret
    app1 = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sos = b"\xff\xda" + struct.pack(">H", 8) + b"\x01\x01\x00\x00\x3f\x00" + b"\x12\x34\xff\xd9"
    return b"\xff\xd8" + app0 + app1 + sos


def test_rate_limit_per_address(client, district, settings):
    settings.ENVGRID_PETITION_RATE = "2/3600"
    assert client.post("/disclosure/petition/new/", _form()).status_code == 302
    assert client.post("/disclosure/petition/new/", _form(category="noise")).status_code == 302
    r = client.post("/disclosure/petition/new/", _form(category="water"))
    assert r.status_code == 429 and "频繁" in r.content.decode()
    assert Petition.objects.count() == 2
    # Another address is not affected; Open311 shares the limit per address.
    other = client.post("/disclosure/petition/new/", _form(category="soil"), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    api = client.post(
        "/disclosure/open311/v2/requests.json",
        {"service_code": "air", "lat": WEST_POINT[1], "long": WEST_POINT[0], "description": "x"},
    )
    assert api.status_code == 429 and api.json()[0]["code"] == 429


def test_forged_forwarded_for_does_not_dodge_the_limit(client, district, settings):
    settings.ENVGRID_PETITION_RATE = "1/3600"
    assert client.post("/disclosure/petition/new/", _form()).status_code == 302
    r = client.post(
        "/disclosure/petition/new/", _form(category="noise"), HTTP_X_FORWARDED_FOR="1.2.3.4"
    )
    assert r.status_code == 429


def test_description_size_limit(client, district):
    r = client.post("/disclosure/petition/new/", _form(description="污" * 2001))
    assert r.status_code == 400 and Petition.objects.count() == 0


def test_upload_checked_by_content_not_name(client, district):
    fake = SimpleUploadedFile(
        "photo.jpg", b"#!/bin/sh\necho not an image\n", content_type="image/jpeg"
    )
    r = client.post("/disclosure/petition/new/", {**_form(), "photos": [fake]})
    assert r.status_code == 415
    assert "不是允许的类型" in r.content.decode()
    assert Petition.objects.count() == 0 and PetitionPhoto.objects.count() == 0


def test_photo_size_and_count_limits(client, district, settings):
    settings.ENVGRID_PETITION_MAX_PHOTO_BYTES = 100
    big = SimpleUploadedFile("a.jpg", _jpeg_with_exif(b"x" * 200), content_type="image/jpeg")
    assert client.post("/disclosure/petition/new/", {**_form(), "photos": [big]}).status_code == 413
    settings.ENVGRID_PETITION_MAX_PHOTO_BYTES = 5 * 1024 * 1024
    many = [
        SimpleUploadedFile(f"{i}.jpg", _jpeg_with_exif(b"x"), content_type="image/jpeg")
        for i in range(4)
    ]
    assert client.post("/disclosure/petition/new/", {**_form(), "photos": many}).status_code == 400
    assert Petition.objects.count() == 0


def test_photo_stored_without_exif_under_media_root_and_not_public(client, district, settings):
    from .conftest import login

    secret = b"GPS 40.6601N 122.2201E Owner:Ouyang Serial:ABC123"
    photo = SimpleUploadedFile("p.jpg", _jpeg_with_exif(secret), content_type="image/jpeg")
    r = client.post("/disclosure/petition/new/", {**_form(), "photos": [photo]})
    assert r.status_code == 302
    ph = PetitionPhoto.objects.get()
    stored = ph.file.path
    assert stored.startswith(str(settings.MEDIA_ROOT))
    data = open(stored, "rb").read()
    assert secret not in data and data.startswith(b"\xff\xd8") and b"JFIF" in data
    assert ph.mime == "image/jpeg"
    # Not served publicly: no MEDIA_URL route, and the staff view needs a login and scope.
    assert client.get(f"/disclosure/staff/photos/{ph.pk}/").status_code == 302
    login(client, district.world.member_staff[1])
    assert client.get(f"/disclosure/staff/photos/{ph.pk}/").status_code == 404
    client.logout()
    login(client, district.world.member_staff[0])
    ok = client.get(f"/disclosure/staff/photos/{ph.pk}/")
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == data


def test_public_form_bad_coordinates_400_writes_nothing(client, district):
    r = client.post("/disclosure/petition/new/", _form(lon="abc"))
    assert r.status_code == 400
    r = client.post("/disclosure/petition/new/", _form(crs="utm"))
    assert r.status_code == 400
    assert Petition.objects.count() == 0


def test_I1_public_form_submission_gives_tracking_code(client, district):
    r = client.post("/disclosure/petition/new/", _form(contact_phone="13912345678"), follow=True)
    assert r.status_code == 200
    p = Petition.objects.get()
    page = r.content.decode()
    assert p.tracking_code in page and "13912345678" not in page
    t = client.get(f"/disclosure/petition/track/?code={p.tracking_code}")
    assert t.status_code == 200 and p.unit.name in t.content.decode()
    assert client.get("/disclosure/petition/track/?code=XFNOPE").status_code == 404
