"""The application's URLs plus /bench/bare/, the bare DRF view the benchmark compares against."""

from django.urls import include, path

from examsite.urls import handler500  # noqa: F401  (handler500: same 500 page)
from examsite.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/", include("bench.baseline_urls")), *site_urlpatterns]
