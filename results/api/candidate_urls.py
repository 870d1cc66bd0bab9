from django.urls import path

from results.api import views

urlpatterns = [
    path("result/", views.CandidateResultView.as_view(), name="candidate-result"),
    path("appeals/", views.AppealView.as_view(), name="candidate-appeals"),
]
