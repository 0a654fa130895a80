from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from agents import views
from agents.views import sign_in

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz/", views.healthz, name="healthz"),
    path("accounts/login/", sign_in.PasswordLoginView.as_view(), name="login"),
    path("accounts/sso/", sign_in.SingleSignOnStartView.as_view(), name="sso-start"),
    path("accounts/sso/callback/", sign_in.SingleSignOnCallbackView.as_view(), name="sso-callback"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("agents.urls")),
]
