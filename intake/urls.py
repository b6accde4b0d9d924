from django.urls import path

from intake import questionnaire_views as qviews
from intake import views

app_name = "intake"

urlpatterns = [
    path("refer/", views.referral_create_view, name="referral_create"),
    path("refer/thanks/", views.referral_done_view, name="referral_done"),
    path("staff/documents/<int:pk>/", views.document_download_view, name="document_download"),
    path("q/<str:token>/", qviews.questionnaire_start_view, name="questionnaire_start"),
    path(
        "q/<str:token>/step/<int:step>/", qviews.questionnaire_step_view, name="questionnaire_step"
    ),
    path("q/<str:token>/review/", qviews.questionnaire_review_view, name="questionnaire_review"),
    path("q/<str:token>/saved/", qviews.questionnaire_saved_view, name="questionnaire_saved"),
    path("q/<str:token>/done/", qviews.questionnaire_done_view, name="questionnaire_done"),
]
