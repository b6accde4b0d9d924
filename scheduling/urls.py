from django.urls import path

from scheduling import views, waitlist_views

app_name = "scheduling"

urlpatterns = [
    path("my/<str:token>/", views.manage_view, name="manage"),
    path("my/<str:token>/<int:pk>/confirm/", views.session_confirm_view, name="confirm"),
    path("my/<str:token>/<int:pk>/cancel/", views.session_cancel_view, name="cancel"),
    path("my/<str:token>/<int:pk>/reschedule/", views.session_reschedule_view, name="reschedule"),
    path("my/<str:token>/<int:pk>/appointment.ics", views.session_ics_view, name="ics"),
    path("my/<str:token>/<int:pk>/waitlist/", waitlist_views.waitlist_join_view, name="waitlist"),
    path(
        "my/<str:token>/<int:pk>/waitlist/leave/",
        waitlist_views.waitlist_leave_view,
        name="waitlist_leave",
    ),
    path(
        "my/<str:token>/offers/<int:pk>/accept/",
        waitlist_views.offer_accept_view,
        name="offer_accept",
    ),
]
