"""The meetings API documents itself: drf-spectacular builds its schema without errors."""

from django.urls import include, path
from drf_spectacular.generators import SchemaGenerator


def test_meetings_api_schema_builds():
    generator = SchemaGenerator(patterns=[path("api/", include("envgrid.meetings.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    paths = schema["paths"]
    for expected in (
        "/api/meetings/",
        "/api/meetings/{id}/attendance/",
        "/api/meetings/{id}/minutes-docx/",
        "/api/meeting-decisions/{id}/close/",
        "/api/meeting-decisions/{id}/progress/",
        "/api/meeting-task-reports/{id}/submit/",
    ):
        assert expected in paths
    body = paths["/api/meetings/"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/MeetingInRequest")
