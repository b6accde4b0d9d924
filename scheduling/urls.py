from django.urls import path

from scheduling import views

app_name = "scheduling"

urlpatterns = [
    path("my/<str:token>/", views.manage_view, name="manage"),
    path("my/<str:token>/<int:pk>/confirm/", views.session_confirm_view, name="confirm"),
    path("my/<str:token>/<int:pk>/cancel/", views.session_cancel_view, name="cancel"),
    path("my/<str:token>/<int:pk>/reschedule/", views.session_reschedule_view, name="reschedule"),
    path("my/<str:token>/<int:pk>/appointment.ics", views.session_ics_view, name="ics"),
]
