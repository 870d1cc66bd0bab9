from django.urls import path

from results.api import views

urlpatterns = [
    path("<str:code>/", views.ReceiptView.as_view(), name="receipt-check"),
]
