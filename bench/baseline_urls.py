from django.urls import path

from bench.baseline_views import BareView

urlpatterns = [path("bare/", BareView.as_view(), name="bench-bare")]
