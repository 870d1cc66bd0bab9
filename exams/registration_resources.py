"""CSV/XLSX import and export of registrations: seats in sessions (django-import-export).

Same whole-file rules as the candidate import (``candidates.resources``). Saving goes through
``registration_create``, so every registration gets its attempt.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from import_export import fields
from import_export.widgets import ForeignKeyWidget

from candidates import idnumbers
from candidates.models import Candidate, Registration
from candidates.resources import RowsResource, cell_text, id_number_cell
from exams.models import ExamSession
from exams.services.registrations import registration_create
from examsite.exceptions import InvalidInput


class RegistrationResource(RowsResource):
    """Columns: id_number, session (the session's 编号), admission_ticket, subject.

    The candidate must exist already (import candidates first). ``name`` and
    ``session_name`` are exported for reading and ignored on import.
    """

    required_columns = ("id_number", "session")

    id_number = fields.Field(
        attribute="candidate", column_name="id_number", widget=ForeignKeyWidget(Candidate, "id_number")
    )
    name = fields.Field(attribute="candidate__name", column_name="name", readonly=True)
    session = fields.Field(attribute="session", column_name="session", widget=ForeignKeyWidget(ExamSession))
    session_name = fields.Field(attribute="session__name", column_name="session_name", readonly=True)

    class Meta:
        model = Registration
        fields = ("id_number", "name", "session", "session_name", "admission_ticket", "subject")
        import_order = ("id_number", "session", "admission_ticket", "subject")
        export_order = fields
        import_id_fields = ("id_number", "session")
        clean_model_instances = True

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.row_objects: tuple[Candidate, ExamSession] | None = None
        self.sessions: dict[int, ExamSession | None] = {}  # a file names few sessions, many times

    def _session(self, value: str, errors: dict[str, str]) -> ExamSession | None:
        if not value.isdigit():
            errors["session"] = gettext("场次编号必须是数字（场次列表中的“编号”），而不是“%(value)s”。") % {
                "value": value
            }
            return None
        if int(value) not in self.sessions:
            self.sessions[int(value)] = ExamSession.objects.filter(pk=int(value)).first()
        session = self.sessions[int(value)]
        if session is None:
            errors["session"] = gettext("场次编号 %(value)s 不存在。") % {"value": value}
        return session

    def before_import_row(self, row, **kwargs):
        self.row_objects = None
        raw_id = row.get("id_number")
        for key in list(row):
            row[key] = cell_text(row[key])
        errors: dict[str, str] = {}
        candidate = None
        # Any document: a resident ID must pass its checksum, others are uppercased.
        id_number = id_number_cell(row.get("id_number", ""), raw_id, errors, idnumbers.normalize_for_login)
        if id_number:
            candidate = Candidate.objects.filter(id_number=id_number).first()
            if candidate is None:
                errors["id_number"] = gettext("证件号 %(id)s 没有对应的考生，请先导入考生名单。") % {
                    "id": id_number
                }
        session = self._session(row.get("session", ""), errors)
        if candidate and session:
            earlier = self.first_seen((candidate.pk, session.pk), kwargs["row_number"])
            if earlier:
                errors["id_number"] = gettext("与第 %(line)d 行重复：同一考生在同一场次只能报名一次。") % {
                    "line": earlier
                }
        if errors:
            raise ValidationError(errors)
        row["id_number"], row["session"] = id_number, str(session.pk)
        self.row_objects = (candidate, session)

    def get_instance(self, instance_loader, row):
        candidate, session = self.row_objects
        return Registration.objects.filter(candidate=candidate, session=session).first()

    def import_instance(self, instance, row, **kwargs):
        instance.candidate, instance.session = self.row_objects
        for name in ("admission_ticket", "subject"):
            if row.get(name):
                setattr(instance, name, row[name])

    def do_instance_save(self, instance, is_create):
        try:
            saved = registration_create(
                candidate=instance.candidate, session=instance.session, now=self.now,
                admission_ticket=instance.admission_ticket, subject=instance.subject,
            )
        except InvalidInput as error:
            raise self._refusal(error) from None
        self._mark_saved(instance, saved)
