"""Input and output shapes of the organizer API for people: candidates, their registrations
(seats in sessions), and each seat's attempt and result as a session lists them.

Shared fields and the batch, session and paper shapes: ``organizer_serializers``.
"""

from __future__ import annotations

from rest_framework import serializers

from candidates import idnumbers
from candidates.models import Candidate, Registration
from exams.api.organizer_serializers import pk_field
from exams.models import Attempt, ExamSession

# --- candidates and registrations -------------------------------------------------------


class CandidateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Candidate
        fields = ["id", "name", "document_type", "id_number", "phone", "created_at"]
        read_only_fields = fields


class CandidateInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    document_type = serializers.ChoiceField(
        choices=idnumbers.DOCUMENT_TYPES, required=False, default=idnumbers.RESIDENT_ID
    )
    id_number = serializers.CharField(
        max_length=40, help_text="resident ID: 18 characters with its check character"
    )
    phone = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")


class RegistrationSerializer(serializers.ModelSerializer):
    candidate_name = serializers.CharField(source="candidate.name", read_only=True)
    attempt = serializers.IntegerField(source="attempt.id", read_only=True, allow_null=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "candidate",
            "candidate_name",
            "session",
            "admission_ticket",
            "subject",
            "attempt",
            "created_at",
        ]
        read_only_fields = fields


class RegistrationInSerializer(serializers.Serializer):
    candidate = pk_field(Candidate.objects.all())
    session = pk_field(ExamSession.objects.select_related("batch"))
    admission_ticket = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    subject = serializers.CharField(
        max_length=200,
        allow_blank=True,
        required=False,
        default="",
        help_text="default: the session's subject",
    )


class RegistrationBulkRowSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    document_type = serializers.ChoiceField(
        choices=idnumbers.DOCUMENT_TYPES, required=False, default=idnumbers.RESIDENT_ID
    )
    id_number = serializers.CharField(max_length=40)
    session = serializers.IntegerField(help_text="session id")
    admission_ticket = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    subject = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")


class RegistrationBulkResultSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    registrations = RegistrationSerializer(many=True)


# --- attempts and results of a session --------------------------------------------------


class AttemptRowSerializer(serializers.ModelSerializer):
    registration = serializers.IntegerField(source="registration_id", read_only=True)
    admission_ticket = serializers.CharField(source="registration.admission_ticket", read_only=True)
    candidate_name = serializers.CharField(source="registration.candidate.name", read_only=True)
    id_number_masked = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "registration",
            "admission_ticket",
            "candidate_name",
            "id_number_masked",
            "state",
            "leaves_used",
            "locked",
            "extra_minutes",
            "deadline",
            "checked_in_at",
            "finished_at",
            "score",
            "needs_marking",
            "decision",
            "receipt",
        ]
        read_only_fields = fields

    def get_id_number_masked(self, attempt: Attempt) -> str:
        return idnumbers.mask(attempt.registration.candidate.id_number)
