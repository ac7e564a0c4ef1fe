from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.static import serve

from bonefit.views import health
from routines import account_views

admin.site.site_header = "BoneFit catalogue"
admin.site.site_title = "BoneFit admin"
admin.site.index_title = "Exercise catalogue"

urlpatterns = [
    path("", account_views.home, name="home"),
    path("health/", health, name="health"),
    path("catalogue/", include("catalogue.urls")),
    path("routines/", include("routines.urls")),
    path("accounts/signup/", account_views.signup, name="signup"),
    path("accounts/me/", account_views.account_page, name="account"),
    path("accounts/me/export/", account_views.account_export, name="account_export"),
    path("accounts/me/delete/", account_views.account_delete, name="account_delete"),
    path("accounts/me/therapist/", include("routines.care_urls")),
    path("clinic/", include("routines.clinic_urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    # Exercise pictures are public catalogue content; small enough to serve from Django.
    path(
        f"{settings.MEDIA_URL.strip('/')}/<path:path>",
        login_not_required(serve),
        {"document_root": settings.MEDIA_ROOT},
    ),
]
