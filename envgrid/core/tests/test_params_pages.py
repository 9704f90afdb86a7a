"""Pages parse `year` like the API (envgrid.core.params): a year beyond 9999 reached
Django's __year lookup and was a 500; now a 400 page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "/cases/transfers/in/?year=99999",
        "/cases/transfers/register.xlsx?year=99999",
        "/cases/overdue/?year=99999",
        "/enforcement/?year=99999",
        "/meetings/?year=99999",
    ],
)
def test_page_with_out_of_range_year_is_a_400_not_a_500(world, client, url):
    client.force_login(world.office_staff.user)
    client.raise_request_exception = False
    assert client.get(url).status_code == 400
    assert client.get(url.replace("99999", "2026")).status_code == 200
