from django.urls import path

from results.api import views

urlpatterns = [
    path("marking/next/", views.MarkingNextView.as_view(), name="organizer-marking-next"),
    path("marking/<int:answer_id>/", views.MarkView.as_view(), name="organizer-marking-mark"),
    path("sessions/<int:pk>/results/", views.SessionResultsView.as_view(), name="organizer-session-results"),
    path("sessions/<int:pk>/publish-results/", views.PublishView.as_view(),
         name="organizer-session-publish-results"),
]
