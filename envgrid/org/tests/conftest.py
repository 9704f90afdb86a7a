"""Fast password hashing for these tests: World builds several logins per test, and the
production PBKDF2 cost would dominate the run time without testing anything here."""

import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
