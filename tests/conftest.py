from __future__ import annotations

import pytest
from django.core.cache import cache

from tests import factories


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def paper(db):
    return factories.full_paper()


@pytest.fixture
def formal_session(db, paper):
    return factories.SessionFactory(paper=paper, batch=paper.batch)


@pytest.fixture
def candidate(db):
    """The candidate persona: 张三, registered for the formal session."""
    return factories.CandidateFactory(name="张三")


@pytest.fixture
def other_candidate(db):
    return factories.CandidateFactory(name="李四")


@pytest.fixture
def attempt(formal_session, candidate):
    registration = factories.RegistrationFactory(candidate=candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)


@pytest.fixture
def organizer(db):
    return factories.staff_user("organizer", "organizer")


@pytest.fixture
def proctor(db):
    return factories.staff_user("proctor", "proctor")


@pytest.fixture
def support_agent(db):
    return factories.staff_user("support", "support")
