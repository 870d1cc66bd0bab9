from django.urls import path

from support import views

app_name = __name__.split(".")[0]

urlpatterns = [
    path("queue/", views.queue, name="queue"),
    path("queue/list/", views.queue_list, name="queue-list"),
    path("queue/counts/", views.queue_counts, name="queue-counts"),
    path("queue/<int:ticket_id>/row/", views.queue_row, name="queue-row"),
    path("queue/<int:ticket_id>/live/", views.ticket_live, name="ticket-live"),
    path("queue/<int:ticket_id>/screenshot/", views.ticket_screenshot, name="ticket-screenshot"),
    path("queue/<int:ticket_id>/claim/", views.ticket_claim, name="ticket-claim"),
    path("queue/<int:ticket_id>/assign/", views.ticket_assign, name="ticket-assign"),
    path("queue/<int:ticket_id>/reply/", views.ticket_reply, name="ticket-reply"),
    path("queue/<int:ticket_id>/close/", views.ticket_close, name="ticket-close"),
    path("queue/<int:ticket_id>/reopen/", views.ticket_reopen, name="ticket-reopen"),
    path("queue/<int:ticket_id>/unlock/", views.ticket_unlock, name="ticket-unlock"),
    path("queue/<int:ticket_id>/message/", views.ticket_message, name="ticket-message"),
    path("queue/<int:ticket_id>/waive-step/", views.ticket_waive_step, name="ticket-waive-step"),
]
