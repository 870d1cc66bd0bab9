"""factory_boy factories and the people of the tests."""

from __future__ import annotations

from datetime import timedelta

import factory
from django.contrib.auth.models import Group, User

from candidates import idnumbers
from candidates.models import Candidate, Registration
from exams import rules, statuses
from exams.models import Attempt, ExamBatch, ExamSession, Paper, Question
from tests.helpers import START, resident_id

# The fixed exam day of the tests (tests/helpers.py): formal session 30 Jul 2023 09:00-11:00 Beijing.
FORMAL_START = START


class BatchFactory(factory.django.DjangoModelFactory[ExamBatch]):
    class Meta:
        model = ExamBatch

    name = factory.Sequence(lambda n: f"2023年职业技能等级认定第{n}批次")
    slug = factory.Sequence(lambda n: f"batch-{n}")
    time_zone = "Asia/Shanghai"


class PaperFactory(factory.django.DjangoModelFactory[Paper]):
    class Meta:
        model = Paper

    batch = factory.SubFactory(BatchFactory)
    name = factory.Sequence(lambda n: f"理论知识试卷 {n}")
    subject = "理论知识"


class QuestionFactory(factory.django.DjangoModelFactory[Question]):
    class Meta:
        model = Question

    paper = factory.SubFactory(PaperFactory)
    position = factory.Sequence(lambda n: n)
    kind = Question.SINGLE
    text = factory.Sequence(lambda n: f"第 {n} 题")
    choices = factory.LazyFunction(
        lambda: [{"key": "A", "text": "甲"}, {"key": "B", "text": "乙"}, {"key": "C", "text": "丙"}]
    )
    points = 2
    correct = "A"


def full_paper(**kwargs) -> Paper:
    """A paper with one question of every kind."""
    paper = PaperFactory.create(**kwargs)
    QuestionFactory(paper=paper, position=1, kind=Question.SINGLE, correct="B")
    QuestionFactory(paper=paper, position=2, kind=Question.MULTIPLE, correct=["A", "C"])
    QuestionFactory(paper=paper, position=3, kind=Question.TRUE_FALSE, choices=[], correct=True)
    QuestionFactory(paper=paper, position=4, kind=Question.FILL_IN, choices=[], correct=["安全第一"])
    QuestionFactory(paper=paper, position=5, kind=Question.ESSAY, choices=[], correct=None, points=10)
    return paper


class SessionFactory(factory.django.DjangoModelFactory[ExamSession]):
    class Meta:
        model = ExamSession

    batch = factory.SubFactory(BatchFactory)
    kind = ExamSession.FORMAL
    name = factory.Sequence(lambda n: f"正式考试 第{n}场")
    subject = "理论知识"
    paper = factory.SubFactory(PaperFactory, batch=factory.SelfAttribute("..batch"))
    password = factory.Sequence(lambda n: f"{(500000 + n) % 1000000:06d}")
    starts_at = FORMAL_START
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=2))
    # Required steps OFF here on purpose (the model and KIND_DEFAULTS require the login photo in
    # formal and mock sessions): most tests start attempts without taking a photo. Tests of the
    # steps turn them on explicitly (tests/exams/test_required_steps.py).
    requires_login_photo = False
    requires_phone_monitor = False
    requires_scratch_paper = False

    @factory.lazy_attribute
    def password_published_at(self):
        return self.starts_at - rules.PASSWORD_PUBLISH_BEFORE if self.kind == "formal" else None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        for name, value in rules.KIND_DEFAULTS[kwargs.get("kind", "formal")].items():
            kwargs.setdefault(name, value)
        return super()._create(model_class, *args, **kwargs)


class CandidateFactory(factory.django.DjangoModelFactory[Candidate]):
    class Meta:
        model = Candidate

    name = factory.Sequence(lambda n: f"考生{n}")
    document_type = idnumbers.RESIDENT_ID
    id_number = factory.Sequence(lambda n: resident_id(n))


class RegistrationFactory(factory.django.DjangoModelFactory[Registration]):
    class Meta:
        model = Registration

    candidate = factory.SubFactory(CandidateFactory)
    session = factory.SubFactory(SessionFactory)
    admission_ticket = factory.Sequence(lambda n: f"2023{n:08d}")
    subject = factory.SelfAttribute("session.subject")


class AttemptFactory(factory.django.DjangoModelFactory[Attempt]):
    class Meta:
        model = Attempt

    registration = factory.SubFactory(RegistrationFactory)
    session = factory.SelfAttribute("registration.session")
    state = statuses.REGISTERED
    deadline = factory.LazyAttribute(lambda a: a.session.ends_at + timedelta(minutes=a.extra_minutes))
    extra_minutes = 0


def staff_user(username: str, group: str | None = None, *, superuser: bool = False) -> User:
    user = User.objects.create_user(
        username=username, password="correct horse battery staple", is_staff=True,
        is_superuser=superuser,
    )
    if group:
        user.groups.add(role_group(group))
    return user


# The staff groups as the migrations made them: {name: [(app_label, codename), ...]}, filled once
# by tests/conftest.py right after the test database is migrated.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {}


def role_group(name: str) -> Group:
    """The migrated group. A transactional test's flush empties the groups (the permissions are
    re-created by post_migrate); this puts the group back as the migrations left it."""
    group, created = Group.objects.get_or_create(name=name)
    if created:
        from django.contrib.auth.models import Permission
        from django.db.models import Q

        wanted = Q(pk__in=[])
        for app_label, codename in ROLE_PERMISSIONS.get(name, []):
            wanted |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.set(Permission.objects.filter(wanted))
    return group
