"""The candidate's pages (templates + small JS modules); the JSON API is under /api/v1/candidate/."""

from django.urls import path

from exams import pages

urlpatterns = [
    path("", pages.entry, name="entry"),
    path("login/", pages.login, name="candidate-login-page"),
    path("exam/photo/", pages.photo, name="candidate-photo-page"),
    path("exam/confirm/", pages.confirm, name="candidate-confirm"),
    path("exam/", pages.exam, name="candidate-exam"),
    path("exam/done/", pages.done, name="candidate-done"),
    path("exam/collected/", pages.collected, name="candidate-collected"),
    path("exam/locked/", pages.locked, name="candidate-locked"),
]
