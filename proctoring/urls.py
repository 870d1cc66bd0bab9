from django.urls import path

from proctoring import phone_views, views

app_name = __name__.split(".")[0]
urlpatterns = [
    path("evidence/<int:evidence_id>/", views.evidence_file, name="evidence"),
    path("evidence/<int:evidence_id>/thumb/", views.evidence_thumb, name="evidence-thumb"),
    path("registered-photo/<int:candidate_id>/", views.registered_photo_file, name="registered-photo"),
    path("wall/attempt/<int:attempt_id>/timeline/", views.wall_timeline, name="wall-timeline"),
    path("review/", views.review_index, name="review-index"),
    path("review/session/<int:session_id>/", views.review_session, name="review-session"),
    path("review/attempt/<int:attempt_id>/", views.review_attempt, name="review-attempt"),
    path("review/attempt/<int:attempt_id>/decide/", views.review_decide, name="review-decide"),
    path(
        "review/attempt/<int:attempt_id>/confirm/<int:decision_id>/", views.review_confirm,
        name="review-confirm",
    ),
    path("review/attempt/<int:attempt_id>/unlock/", views.review_unlock, name="review-unlock"),
    path("review/attempt/<int:attempt_id>/recording/play/", views.recording_play, name="recording-play"),
    path("recording/<int:chunk_id>/", views.recording_chunk, name="recording-chunk"),
    path("phone/", phone_views.phone_monitor, name="phone"),
    path("phone/<str:token>/", phone_views.phone_start, name="phone-start"),
]
