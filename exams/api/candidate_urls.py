from django.urls import path

from exams.api import candidate_views as views

urlpatterns = [
    path("csrf/", views.CsrfView.as_view(), name="candidate-csrf"),
    path("entry/", views.EntryView.as_view(), name="candidate-entry"),
    path("login/", views.LoginView.as_view(), name="candidate-login"),
    path("logout/", views.LogoutView.as_view(), name="candidate-logout"),
    path("attempt/", views.AttemptView.as_view(), name="candidate-attempt"),
    path("attempt/start/", views.StartView.as_view(), name="candidate-start"),
    path("attempt/answers/", views.AnswersView.as_view(), name="candidate-answers"),
    path("attempt/submit/", views.SubmitView.as_view(), name="candidate-submit"),
    path("attempt/device-check/", views.DeviceCheckView.as_view(), name="candidate-device-check"),
]
