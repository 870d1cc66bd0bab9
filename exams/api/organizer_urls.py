"""/api/v1/organizer/: the staff-only REST API (see exams.api.organizer_views)."""

from rest_framework.routers import SimpleRouter

from exams.api import organizer_views as views

router = SimpleRouter()
router.register("batches", views.BatchViewSet, basename="organizer-batch")
router.register("sessions", views.SessionViewSet, basename="organizer-session")
router.register("papers", views.PaperViewSet, basename="organizer-paper")
router.register("candidates", views.CandidateViewSet, basename="organizer-candidate")
router.register("registrations", views.RegistrationViewSet, basename="organizer-registration")

urlpatterns = router.urls
