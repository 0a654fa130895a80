from agents.sandbox import SANDBOX_TOKEN, SANDBOX_USER_ID


def test_status_page_says_which_method_is_configured_but_never_the_credentials(
    admin_client, sandbox_settings
):
    page = admin_client.get("/status/").content.decode()
    assert "User id and token (DEEPCALL_USER_ID, DEEPCALL_TOKEN)" in page
    assert "The embedded sandbox" in page
    assert SANDBOX_TOKEN not in page
    assert SANDBOX_USER_ID not in page


def test_check_now_reports_a_working_connection(admin_client, sandbox_settings):
    response = admin_client.post("/status/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Working." in body
    assert "<html" not in body  # only the check's partial is swapped in
    assert sandbox_settings.calls["list"] == 1


def test_expired_credentials_tell_the_admin_exactly_what_to_do(admin_client, sandbox_settings):
    sandbox_settings.set_faults(expire_after=0)
    body = admin_client.post("/status/").content.decode()
    assert "Not working." in body
    assert "code 1014" in body
    assert "update DEEPCALL_SSID or DEEPCALL_USER_ID/DEEPCALL_TOKEN" in body
    assert SANDBOX_TOKEN not in body


def test_unreachable_deepcall_is_reported_without_a_stack_trace(
    admin_client, sandbox_settings, settings
):
    settings.DEEPCALL_API_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    response = admin_client.post("/status/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Not working." in body
    assert "DeepCall is not reachable" in body
    assert "Traceback" not in body


def test_supervisors_and_managers_cannot_see_the_status_page(supervisor_client, db):
    assert supervisor_client.get("/status/").status_code == 403


def test_the_connection_check_has_a_cooldown_shared_by_everyone(
    admin_client, sandbox_settings, django_user_model
):
    from django.test import Client

    from agents.roles import ADMIN
    from tests.fixtures.users import make_user

    assert "Working." in admin_client.post("/status/").content.decode()
    other = Client()
    other.force_login(make_user(django_user_model, "second.admin", ADMIN))
    for client in (admin_client, other, other):
        body = client.post("/status/", headers={"HX-Request": "true"}).content.decode()
        assert "DeepCall was checked moments ago; check again in" in body
        assert "Working." in body  # the last result is still shown
    assert sandbox_settings.calls["list"] == 1


def test_a_user_and_password_in_the_base_url_never_show(admin_client, sandbox_settings, settings):
    settings.DEEPCALL_USES_SANDBOX = False
    # Nothing listens on the discard port: the check fails fast, its message shown too.
    settings.DEEPCALL_API_URL = "http://svc-user:s3cret-pass@127.0.0.1:9"
    page = admin_client.get("/status/").content.decode()
    checked = admin_client.post("/status/").content.decode()
    assert "127.0.0.1:9" in page
    assert "Not working." in checked
    for body in (page, checked):
        assert "svc-user" not in body
        assert "s3cret-pass" not in body


def test_the_back_button_restores_the_whole_status_page_and_answers_vary_by_htmx(
    admin_client, sandbox_settings
):
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    response = admin_client.get("/status/", headers=restore)
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]
    partial = admin_client.get("/status/", headers={"HX-Request": "true"})
    assert "<html" not in partial.content.decode()
