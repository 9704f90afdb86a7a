"""core.uploads: one check for every uploaded file, one set of refusal codes (issue 19)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from envgrid.core.errors import ApplicationError, canonical_code
from envgrid.core.uploads import IMAGE_TYPES, OFFICE_TYPES, UploadRule, check_upload

PHOTO = UploadRule(purpose="test_photo", types=IMAGE_TYPES, field="photos")


def _jpeg(exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", (8, 8), (200, 30, 30))
    if exif is None:
        img.save(out, format="JPEG")
    else:
        ex = Image.Exif()
        ex[0x013B] = exif.decode()  # Artist
        img.save(out, format="JPEG", exif=ex.tobytes())
    return out.getvalue()


def _refusal(upload: object, rule: UploadRule) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        check_upload(upload, rule)
    return info.value


def test_type_comes_from_the_content_not_the_name() -> None:
    exe = SimpleUploadedFile("照片.jpg", b"MZ\x90\x00" + b"\x00" * 200)
    err = _refusal(exe, PHOTO)
    assert (err.code, err.status, list(err.fields)) == ("file_type_not_allowed", 415, ["photos"])
    ok = check_upload(SimpleUploadedFile("scan.bin", _jpeg()), PHOTO)
    assert (ok.ext, ok.mime, ok.original_name) == ("jpg", "image/jpeg", "scan.jpg")


def test_name_must_agree_with_content_when_the_rule_says_so() -> None:
    rule = UploadRule(purpose="t", types=OFFICE_TYPES | IMAGE_TYPES, check_name={"jpg": ("jpg",)})
    err = _refusal(SimpleUploadedFile("report.pdf", _jpeg()), rule)
    assert err.code == "file_type_not_allowed"


def test_size_limit_per_purpose_from_the_one_setting_family(settings) -> None:
    settings.ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE = {"test_photo": 100}
    err = _refusal(SimpleUploadedFile("a.jpg", _jpeg()), PHOTO)
    assert (err.code, err.status) == ("file_too_large", 413)
    settings.ENVGRID_UPLOAD_MAX_BYTES_BY_PURPOSE = {}
    assert check_upload(SimpleUploadedFile("a.jpg", _jpeg()), PHOTO).size == len(_jpeg())


def test_empty_and_missing_files_are_refused() -> None:
    assert _refusal(SimpleUploadedFile("a.jpg", b""), PHOTO).code == "file_empty"
    assert _refusal(None, PHOTO).code == "file_required"


def test_exif_stripped_at_container_level() -> None:
    rule = UploadRule(purpose="t", types=IMAGE_TYPES, strip_metadata=True)
    data = _jpeg(exif=b"Zhang San, serial 12345")
    assert b"Zhang San" in data
    checked = check_upload(SimpleUploadedFile("p.jpg", data), rule)
    assert b"Zhang San" not in checked.content
    assert Image.open(io.BytesIO(checked.content)).size == (8, 8)


def test_reencoding_keeps_only_pixels_and_refuses_a_broken_image() -> None:
    rule = UploadRule(purpose="t", types=IMAGE_TYPES, reencode=True)
    data = _jpeg(exif=b"Zhang San") + b"<?php system($_GET[1]); ?>"
    checked = check_upload(SimpleUploadedFile("p.jpg", data), rule)
    assert b"Zhang San" not in checked.content
    assert b"<?php" not in checked.content
    broken = _jpeg()[:40]
    err = _refusal(SimpleUploadedFile("p.jpg", broken), rule)
    assert err.code == "file_unreadable"


def test_old_codes_kept_as_aliases_with_the_canonical_code_alongside() -> None:
    legacy = UploadRule(
        purpose="t",
        types=IMAGE_TYPES,
        strip_metadata=True,
        legacy_codes={"file_type_not_allowed": "photo_type", "file_unreadable": "photo_corrupt"},
    )
    err = _refusal(SimpleUploadedFile("a.jpg", b"%PDF-1.4\n" + b"x" * 100), legacy)
    assert (err.code, err.as_dict()["canonical"]) == ("photo_type", "file_type_not_allowed")
    broken = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 10)
    err = _refusal(broken, legacy)
    assert (err.code, err.as_dict()["canonical"]) == ("photo_corrupt", "file_unreadable")
    assert canonical_code("photo_type") == "file_type_not_allowed"
