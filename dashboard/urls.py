from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from agents import views
from agents.views import account, sign_in

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", sign_in.PasswordLoginView.as_view(), name="login"),
    path("accounts/sso/", sign_in.SingleSignOnStartView.as_view(), name="sso-start"),
    path("accounts/sso/callback/", sign_in.SingleSignOnCallbackView.as_view(), name="sso-callback"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", account.account_detail, name="account"),
    path("accounts/password/", account.OwnPasswordChangeView.as_view(), name="password-change"),
    path("accounts/sessions/end-others/", account.sessions_end_others, name="sessions-end-others"),
    path("accounts/two-factor/", account.two_factor_verify, name="two-factor-verify"),
    path("accounts/two-factor/enrol/", account.two_factor_enrol, name="two-factor-enrol"),
    # Django's admin signs in through the dashboard's own page, second factor included.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="login", query_string=True),
        name="admin-login",
    ),
    path("admin/", admin.site.urls),
    path("", include("agents.urls")),
]
