from django.urls import path

from proctoring.api import candidate_views as views

urlpatterns = [
    path("attempt/events/", views.EventsView.as_view(), name="candidate-events"),
    path("attempt/photo/", views.PhotoView.as_view(), name="candidate-photo"),
    path("attempt/recording/", views.RecordingView.as_view(), name="candidate-recording"),
]
