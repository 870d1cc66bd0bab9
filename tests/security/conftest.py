from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from tests import factories
from tests.exams.conftest import CandidateClient

START = factories.FORMAL_START
LOGIN_OPEN = START - timedelta(minutes=10)


def at(instant, tick: bool = False):
    return time_machine.travel(instant, tick=tick)


@pytest.fixture
def browser_client(db):
    return CandidateClient()


@pytest.fixture
def make_client(db):
    return CandidateClient


@pytest.fixture
def seat(attempt):
    """(session, candidate) of the candidate persona's formal attempt."""
    return attempt.session, attempt.registration.candidate


@pytest.fixture
def other_attempt(formal_session, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)
