"""/api/v1/organizer/: the staff-only REST API (see exams.api.organizer_base)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from exams.api import organizer_action_views as action_views
from exams.api import organizer_candidate_views as candidate_views
from exams.api import organizer_views as views
from exams.api.throttle_views import ThrottleClearView

router = SimpleRouter()
router.register("batches", views.BatchViewSet, basename="organizer-batch")
router.register("sessions", views.SessionViewSet, basename="organizer-session")
router.register("papers", views.PaperViewSet, basename="organizer-paper")
router.register("candidates", candidate_views.CandidateViewSet, basename="organizer-candidate")
router.register("registrations", candidate_views.RegistrationViewSet, basename="organizer-registration")

urlpatterns = [
    *router.urls,
    path("throttle/clear/", ThrottleClearView.as_view(), name="organizer-throttle-clear"),
    path("attempts/<int:attempt_id>/extra-time/", action_views.ExtraTimeView.as_view(),
         name="organizer-attempt-extra-time"),
    path("attempts/<int:attempt_id>/unlock/", action_views.UnlockView.as_view(), name="organizer-attempt-unlock"),
    path("attempts/<int:attempt_id>/waive-step/", action_views.WaiveStepView.as_view(),
         name="organizer-attempt-waive-step"),
    path("attempts/<int:attempt_id>/message/", action_views.AttemptMessageView.as_view(),
         name="organizer-attempt-message"),
    path("sessions/<int:session_id>/message/", action_views.SessionMessageView.as_view(),
         name="organizer-session-message"),
    path("sessions/<int:session_id>/extra-time/", action_views.SessionExtraTimeView.as_view(),
         name="organizer-session-extra-time"),
    path("attempts/<int:attempt_id>/readmit/", action_views.ReadmitView.as_view(), name="organizer-attempt-readmit"),
    path("attempts/<int:attempt_id>/reopen/", action_views.ReopenView.as_view(), name="organizer-attempt-reopen"),
    path("attempts/<int:attempt_id>/late-answers/", action_views.LateAnswersView.as_view(),
         name="organizer-attempt-late-answers"),
    path("attempts/<int:attempt_id>/accept-late-answers/", action_views.AcceptLateAnswersView.as_view(),
         name="organizer-attempt-accept-late-answers"),
    path("attempts/<int:attempt_id>/backup/", action_views.BackupUploadView.as_view(),
         name="organizer-attempt-backup"),
]
