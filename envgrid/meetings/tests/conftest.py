import pytest
import time_machine

from .factories import at


@pytest.fixture
def march(world):
    """Tuesday 10 March 2026, 10:00 in Shanghai: a working day, after a 09:00 meeting."""
    with time_machine.travel(at(2026, 3, 10, 10, 0), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Every World() creates a dozen logins; PBKDF2 would dominate these tests' run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
