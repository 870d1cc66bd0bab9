from django.urls import path

from proctoring.api import views

urlpatterns = [
    path("pairing/", views.PairingView.as_view(), name="proctoring-pairing"),
    path("phone/heartbeat/", views.PhoneHeartbeatView.as_view(), name="proctoring-phone-heartbeat"),
    path("phone/snapshot/", views.PhoneSnapshotView.as_view(), name="proctoring-phone-snapshot"),
]
