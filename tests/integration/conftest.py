import pytest

from tests.integration.stack import Stack


@pytest.fixture
def stack(tmp_path_factory):
    """A private Redis and database; tests start the Daphne and Celery processes they need."""
    workdir = tmp_path_factory.mktemp("stack", numbered=True)
    # unix socket paths are limited to ~100 bytes: keep the directory short
    stack = Stack(workdir)
    stack.start_redis()
    stack.create_database()
    try:
        yield stack
    finally:
        stack.close()
