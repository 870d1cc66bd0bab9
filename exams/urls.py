from django.urls import path

from exams import views

urlpatterns = [
    path("notice/<slug:batch>/", views.notice, name="notice"),
]
