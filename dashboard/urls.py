from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from agents import views
from agents.api.main import api, api_not_found
from agents.views import account, api_tokens, sign_in

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("readyz/", views.readyz, name="readyz"),
    path("accounts/login/", sign_in.PasswordLoginView.as_view(), name="login"),
    path("accounts/sso/", sign_in.SingleSignOnStartView.as_view(), name="sso-start"),
    path("accounts/sso/callback/", sign_in.SingleSignOnCallbackView.as_view(), name="sso-callback"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account.account_detail, name="account"),
    path("accounts/password/", account.OwnPasswordChangeView.as_view(), name="password-change"),
    path("accounts/sessions/end-others/", account.sessions_end_others, name="sessions-end-others"),
    path("accounts/two-factor/", account.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/enrol/", account.two_factor_enrol, name="two-factor-enrol"),
    path("account/tokens/", api_tokens.api_token_list, name="api-tokens"),
    path(
        "account/tokens/<int:token_id>/revoke/",
        api_tokens.api_token_revoke,
        name="api-token-revoke",
    ),
    # Django's admin signs in through the dashboard's own page, second factor included.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    # The API for scripts (agents/api/): OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs.
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found, name="api-not-found"),
    path("", include("agents.urls")),
]
