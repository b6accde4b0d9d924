from django.urls import path

from intake import views

app_name = "intake"

urlpatterns = [
    path("refer/", views.referral_create_view, name="referral_create"),
    path("refer/thanks/", views.referral_done_view, name="referral_done"),
    path("staff/documents/<int:pk>/", views.document_download_view, name="document_download"),
]
