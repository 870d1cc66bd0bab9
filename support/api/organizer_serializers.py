"""What support adds to the organizer API's batch (``staffed_periods``)."""

from __future__ import annotations

from rest_framework import serializers

from support.models import StaffedPeriod


class StaffedPeriodSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaffedPeriod
        fields = ["starts_at", "ends_at"]
