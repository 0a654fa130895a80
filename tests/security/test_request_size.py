"""Request bodies over REQUEST_BODY_MAX_BYTES (1 MB, four times the largest legitimate one, the
targets CSV) are refused with 413 on every URL, signed in or not, before any of the body is read
or written to disk; a body sent without a length (chunked) is read only up to the limit."""

import io

import pytest
from django.conf import settings

from agents.models import StaffingTargetChange

MEGABYTE = 1024 * 1024


class CountingBody(io.BytesIO):
    """The request's body stream, counting what the app reads from it."""

    def __init__(self, size: int):
        super().__init__(b"x" * size)
        self.bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        self.bytes_read += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        self.bytes_read += len(data)
        return data


def send(client, url: str, body: CountingBody, *, length: int | None, method: str = "POST"):
    extra = {
        "wsgi.input": body,
        "CONTENT_LENGTH": "" if length is None else str(length),
        "CONTENT_TYPE": "multipart/form-data; boundary=BoUnDaRy",
    }
    if length is None:
        extra["HTTP_TRANSFER_ENCODING"] = "chunked"
    return client.generic(method, url, **extra)


def test_the_limit_is_a_megabyte_and_django_keeps_uploads_within_it_in_memory():
    assert settings.REQUEST_BODY_MAX_BYTES == MEGABYTE
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == MEGABYTE
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == MEGABYTE  # never spooled to a temporary file


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("/accounts/login/", "POST"),
        ("/schedules/targets/import/", "POST"),
        ("/cad/start/", "POST"),
        ("/no-such-page/", "PUT"),
        ("/healthz/", "GET"),
        ("/static/css/dashboard.css", "POST"),
    ],
)
@pytest.mark.parametrize("signed_in", [False, True])
def test_a_declared_length_over_the_limit_is_refused_unread(
    client, manager_user, url, method, signed_in
):
    if signed_in:
        client.force_login(manager_user)
    body = CountingBody(MEGABYTE + 1)
    response = send(client, url, body, length=MEGABYTE + 1, method=method)
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert body.bytes_read == 0
    assert not StaffingTargetChange.objects.exists()


@pytest.mark.django_db
def test_a_body_without_a_length_is_read_only_up_to_the_limit(client, manager_user):
    client.force_login(manager_user)
    body = CountingBody(5 * MEGABYTE)
    response = send(client, "/schedules/targets/import/", body, length=None)
    assert response.status_code == 413
    assert body.bytes_read <= MEGABYTE + 1


@pytest.mark.django_db
def test_a_small_body_without_a_length_still_reaches_the_page(client, manager_user):
    from tests.fixtures.users import PASSWORD

    form = f"username={manager_user.username}&password={PASSWORD}".encode()
    response = client.generic(
        "POST",
        "/accounts/login/",
        **{
            "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "wsgi.input": io.BytesIO(form),
            "CONTENT_LENGTH": "",
            "HTTP_TRANSFER_ENCODING": "chunked",
        },
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager_user.pk)


@pytest.mark.django_db
def test_a_targets_file_at_its_own_limit_is_still_read(manager_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    rows = "Monday,09:00,1\n" * 16_000  # just under the 256 kB the import takes
    file = SimpleUploadedFile("t.csv", f"weekday,start time,target\n{rows}".encode())
    response = manager_client.post("/schedules/targets/import/", {"file": file})
    assert response.status_code == 200  # the import's own answer, not 413
    assert "rows; at most" in response.content.decode()
