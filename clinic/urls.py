from django.contrib import admin
from django.urls import include, path

from clinic import views
from clinic.health import HealthzView

handler400 = "clinic.views.bad_request_view"
handler403 = "clinic.views.permission_denied_view"
handler404 = "clinic.views.not_found_view"
handler500 = "clinic.views.server_error_view"

urlpatterns = [
    path("", views.home_view, name="home"),
    path("healthz", HealthzView.as_view(), name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("intake.urls")),
    path("", include("scheduling.urls")),
    path("", include("interop.urls")),
]
