from django.urls import path, re_path

from interop import views

app_name = "interop"

urlpatterns = [
    path("fhir/R4/metadata", views.metadata_view, name="metadata"),
    path("fhir/R4/Patient/<str:resource_id>/$everything", views.everything_view, name="everything"),
    path("fhir/R4/<str:resource_type>", views.type_view, name="type"),
    path("fhir/R4/<str:resource_type>/<str:resource_id>", views.read_view, name="read"),
    re_path(r"^fhir/", views.not_found_view, name="not_found"),
]
