import pytest

from tests import factories


def test_the_monitor_page_shows_counts_by_state(client, attempt):
    staff = factories.staff_user("boss", superuser=True)
    client.force_login(staff)
    response = client.get(f"/monitor/{attempt.session_id}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "实时监控" in body and "未登录" in body and 'data-bucket="not_logged_in">1<' in body
    assert "<script>" not in body  # modules only, no inline script


def test_the_monitor_page_refuses_anonymous_and_staff_without_permission(client, attempt):
    assert client.get(f"/monitor/{attempt.session_id}/").status_code == 302
    client.force_login(factories.staff_user("nobody"))
    assert client.get(f"/monitor/{attempt.session_id}/").status_code == 403


@pytest.mark.django_db
def test_an_unknown_session_is_404(client):
    client.force_login(factories.staff_user("boss2", superuser=True))
    assert client.get("/monitor/999999/").status_code == 404


def test_the_monitor_lists_attempts_to_repair_with_a_link_to_their_actions(client, attempt):
    from django.utils import timezone

    from exams import statuses
    from exams.models import Attempt, LateAnswer

    staff = factories.staff_user("boss3", superuser=True)
    client.force_login(staff)
    assert "暂无" in client.get(f"/monitor/{attempt.session_id}/").content.decode()
    Attempt.objects.filter(pk=attempt.pk).update(state=statuses.ABSENT)
    other = factories.AttemptFactory(registration=factories.RegistrationFactory(session=attempt.session),
                                     state=statuses.COLLECTED)
    LateAnswer.objects.create(attempt=other, question_id_sent=1, value="A", seq=1, received_at=timezone.now())
    body = client.get(f"/monitor/{attempt.session_id}/").content.decode()
    assert f'href="/monitor/attempt/{attempt.id}/">补录<' in body
    assert f'href="/monitor/attempt/{other.id}/">采纳/导入备份<' in body
