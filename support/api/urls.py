from django.urls import path

from support.api import views

urlpatterns = [
    path("faq/", views.FaqView.as_view(), name="support-faq"),
    path("tickets/", views.TicketsView.as_view(), name="support-tickets"),
    path("tickets/mine/", views.MyTicketsView.as_view(), name="support-my-tickets"),
    path("tickets/<int:ticket_id>/messages/", views.TicketMessagesView.as_view(),
         name="support-ticket-messages"),
]
