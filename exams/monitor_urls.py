from django.urls import path

from exams import monitor_views

urlpatterns = [
    path("<int:session_id>/", monitor_views.session_monitor, name="session-monitor"),
]
