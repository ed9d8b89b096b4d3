from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from config import health
from marketplace import photo_views

# The operator's admin says whose it is.
admin.site.site_header = _("Qaita administration")
admin.site.site_title = _("Qaita admin")
admin.site.index_title = _("Catalogue, organisations and runs")

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("matching.api.urls")),
    path("", include("matching.reports.api_urls")),
    path("", include("monitor.api.urls")),
]

urlpatterns = [
    path("", account_views.home, name="home"),
    # Answered by config.middleware.HealthCheckMiddleware before host checks; routed for reverse().
    path("healthz/", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("signup/", account_views.signup, name="signup"),
    # Password reset by e-mail and password change: Django's views, the project's templates.
    path("password-reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_sent.html"),
        name="password_reset_done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="registration/password_reset_new.html", post_reset_login=False
        ),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_finished.html"
        ),
        name="password_reset_complete",
    ),
    path(
        "password-change/",
        auth_views.PasswordChangeView.as_view(template_name="registration/password_change.html"),
        name="password_change",
    ),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="registration/password_changed.html"),
        name="password_change_done",
    ),
    path("accounts/", include("accounts.urls")),
    path("photos/<int:pk>/", photo_views.listing_photo, name="listing-photo"),
    path("marketplace/", include("marketplace.urls")),
    path("matching/", include("matching.urls")),
    path("reports/", include("matching.reports.urls")),
    path("", include("monitor.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its init script as a file: no inline script, so the CSP holds.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
]

# Errors outside the views: JSON for the API, and 503 when the fault is the database's.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
