from __future__ import annotations

from datetime import timedelta

import pytest

from tests import factories
from tests.helpers import START

LOGIN_OPEN = START - timedelta(minutes=10)


@pytest.fixture
def seat(attempt):
    """(session, candidate) of the candidate persona's formal attempt."""
    return attempt.session, attempt.registration.candidate


@pytest.fixture
def other_attempt(formal_session, other_candidate):
    registration = factories.RegistrationFactory(candidate=other_candidate, session=formal_session)
    return factories.AttemptFactory(registration=registration)
