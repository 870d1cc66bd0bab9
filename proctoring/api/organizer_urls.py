from django.urls import path

from proctoring.api import organizer_views

urlpatterns = [
    path("attempts/<int:attempt_id>/timeline/", organizer_views.AttemptTimelineView.as_view(),
         name="organizer-attempt-timeline"),
]
