from django.urls import path

from exams import monitor_views
from exams import organizer_action_pages as action_views

urlpatterns = [
    path("<int:session_id>/", monitor_views.session_monitor, name="session-monitor"),
    path("<int:session_id>/message/", action_views.session_message, name="session-message"),
    path("<int:session_id>/extra-time/", action_views.session_extra_time, name="session-extra-time"),
    path("attempt/<int:attempt_id>/", action_views.attempt_actions, name="attempt-actions"),
]
