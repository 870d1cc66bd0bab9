from django.urls import path

from results import pages

urlpatterns = [
    path("results/", pages.results_page, name="candidate-results-page"),
    path("receipt/", pages.receipt_page, name="receipt-page"),
]
