from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.static import serve

from bonefit.views import health
from catalogue.views import moving_safely
from routines import account_views

admin.site.site_header = "BoneFit catalogue"
admin.site.site_title = "BoneFit admin"
admin.site.index_title = "Exercise catalogue"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("health/", health, name="health"),
    # Early in the list: the admin's lists resolve a URL for every row they show.
    path("admin/login/", account_views.admin_login),
    path("admin/", admin.site.urls),
    path("moving-safely/", moving_safely, name="moving_safely"),
    path("catalogue/", include("catalogue.urls")),
    path("routines/", include("routines.urls")),
    path("", include("routines.plan_urls")),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/me/", account_views.account_page, name="account"),
    path("accounts/me/export/", account_views.account_export, name="account_export"),
    path("accounts/me/delete/", account_views.account_delete, name="account_delete"),
    path("accounts/me/therapist/", include("routines.care_urls")),
    path("clinic/", include("routines.clinic_urls")),
    path(
        "accounts/me/two-factor/",
        account_views.two_factor_setup,
        name="two_factor_setup",
    ),
    path(
        "accounts/me/two-factor/new-codes/",
        account_views.two_factor_new_codes,
        name="two_factor_new_codes",
    ),
    path(
        "accounts/me/two-factor/off/",
        account_views.two_factor_turn_off,
        name="two_factor_turn_off",
    ),
    path(
        "accounts/two-factor/",
        account_views.two_factor_verify,
        name="two_factor_verify",
    ),
    path("accounts/login/", account_views.SignInView.as_view(), name="login"),
    path("accounts/logout/", account_views.SignOutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        account_views.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Exercise pictures are public catalogue content; small enough to serve from Django.
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        login_not_required(serve),
        {"document_root": settings.MEDIA_ROOT},
    ),
]
