"""A hypothesis state machine over the answer services (DESIGN.md "Answers never get lost").

Rules: save a batch, resend an old batch, send a shuffled batch with several entries per
question, save from a superseded page, log in again (new client id, seq continues from the
server's last_seq), submit, run the sweep (collection), move the clock (time-machine).

Invariant after every step: the server's answers are exactly the model's "highest seq wins,
until deadline + grace, unless the candidate submitted": answers on their way at the deadline
still count after the collection (which then gives a new receipt); once submitted, or once the
grace is over, nothing about the answers or the receipt changes again (what arrives later is
kept as late answers, evidence only).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings as django_settings
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from exams import exceptions as exc
from exams import statuses
from exams.models import Attempt, Question
from exams.services import answering, collection, journey
from examsite.exceptions import DomainError
from tests import factories
from tests.helpers import START

VALUES = {
    "single_choice": st.sampled_from(["A", "B", "C", None]),
    "multiple_choice": st.lists(st.sampled_from(["A", "B", "C"]), unique=True, max_size=3),
    "true_false": st.booleans() | st.none(),
    "fill_in": st.text(alphabet="安全第一 ab", max_size=6),
    "essay": st.text(alphabet="答题内容 xyz\n", max_size=12) | st.none(),
}


class AnswerMachine(RuleBasedStateMachine):
    @initialize()
    def a_candidate_is_logged_in_and_answering(self):
        self.traveller = time_machine.travel(START + timedelta(minutes=1), tick=False)
        self.clock = self.traveller.start()
        self.now = START + timedelta(minutes=1)
        paper = factories.full_paper()
        session = factories.SessionFactory(paper=paper, batch=paper.batch, max_screen_leaves=None)
        registration = factories.RegistrationFactory(session=session)
        self.attempt_id = factories.AttemptFactory(registration=registration).id
        self.password, self.id_number = session.password, registration.candidate.id_number
        self.questions = list(Question.objects.filter(paper=paper).values_list("id", "kind"))
        result = journey.candidate_login(password=self.password, id_number=self.id_number, now=self.now)
        self.client_id = result.client_id
        self.old_clients: list[str] = []
        self.deadline = result.attempt.deadline
        self.grace = timedelta(seconds=django_settings.ANSWER_GRACE_SECONDS)
        self.model: dict[int, tuple[object, int]] = {}
        self.last_seq = 0
        self.next_seq = 1
        self.sent: list[list[dict]] = []
        self.finished: str | None = None  # "submitted" or "collected"
        self.receipt = ""

    def teardown(self):
        traveller = getattr(self, "traveller", None)
        if traveller is not None:
            traveller.stop()

    # --- helpers ---------------------------------------------------------------------------------

    def _open(self) -> bool:
        return self.finished in (None, "collected") and self.now < self.deadline + self.grace

    def _apply(self, entries: list[dict]) -> None:
        for entry in entries:
            held = self.model.get(entry["question"])
            if held is None or entry["seq"] > held[1]:
                self.model[entry["question"]] = (entry["value"], entry["seq"])
        self.last_seq = max(self.last_seq, *(e["seq"] for e in entries))

    def _save(self, entries: list[dict], client_id: str) -> None:
        expect_ok = self._open() and client_id == self.client_id
        try:
            acked = answering.answers_save(
                attempt_id=self.attempt_id, client_id=client_id, entries=entries, now=self.now
            )
        except (exc.Collected, exc.Submitted, exc.Superseded) as refusal:
            assert not expect_ok, f"refused while open: {refusal.code}"
            event(f"save refused: {refusal.code}")
            if client_id != self.client_id and self.finished is None:
                assert refusal.code in ("superseded", "collected")
            return
        assert expect_ok, "accepted a write that should have been refused"
        self._apply(entries)
        assert acked == self.last_seq
        if self.finished == "collected":
            event("applied within the grace after collection")
            self.receipt = Attempt.objects.get(pk=self.attempt_id).receipt

    def _entries(self, data, count: int) -> list[dict]:
        entries = []
        for _ in range(count):
            qid, kind = data.draw(st.sampled_from(self.questions))
            entries.append({"question": qid, "value": data.draw(VALUES[kind]), "seq": self.next_seq})
            self.next_seq += 1
        return entries

    # --- rules -----------------------------------------------------------------------------------

    @rule(data=st.data(), count=st.integers(1, 4))
    def save(self, data, count):
        entries = self._entries(data, count)
        self.sent.append(entries)
        self._save(entries, self.client_id)

    @precondition(lambda self: self.sent)
    @rule(data=st.data())
    def resend_an_old_batch(self, data):
        self._save(data.draw(st.sampled_from(self.sent)), self.client_id)

    @rule(data=st.data(), count=st.integers(2, 6))
    def send_a_shuffled_batch(self, data, count):
        entries = data.draw(st.permutations(self._entries(data, count)))
        self.sent.append(list(entries))
        self._save(list(entries), self.client_id)

    @precondition(lambda self: self.old_clients)
    @rule(data=st.data())
    def save_from_a_superseded_page(self, data):
        entries = self._entries(data, 1)
        self._save(entries, data.draw(st.sampled_from(self.old_clients)))

    @rule()
    def log_in_again(self):
        try:
            result = journey.candidate_login(password=self.password, id_number=self.id_number, now=self.now)
        except DomainError as refusal:
            assert self.now >= self.deadline or self.finished, refusal.code  # session over
            return
        if result.client_id != self.client_id:
            assert self.finished is None
            self.old_clients.append(self.client_id)
            self.client_id = result.client_id
        # The page restores from the server and continues its journal after the server's seq.
        self.next_seq = Attempt.objects.get(pk=self.attempt_id).last_seq + 1

    @rule()
    def submit(self):
        attempt = Attempt.objects.get(pk=self.attempt_id)
        try:
            answering.attempt_submit(attempt_id=self.attempt_id, client_id=self.client_id, now=self.now)
        except exc.SubmitTooEarly:
            assert self.now < START + timedelta(minutes=60)
            return
        except (exc.Collected, exc.Submitted) as refusal:
            assert self.finished == "collected" or self.now >= self.deadline + self.grace, refusal.code
            return
        if self.finished == "submitted":
            return  # a retried submit: nothing changes
        assert self.finished is None and self._open()
        assert attempt.state in statuses.OPEN
        self.finished = "submitted"
        event("submitted")
        self.receipt = Attempt.objects.get(pk=self.attempt_id).receipt
        assert self.receipt

    @rule()
    def sweep(self):
        collection.sweep(now=self.now)
        if self.finished is None and self.now >= self.deadline:
            self.finished = "collected"
            event("collected")
            self.receipt = Attempt.objects.get(pk=self.attempt_id).receipt
            assert self.receipt

    @rule(seconds=st.integers(1, 45 * 60))
    def time_passes(self, seconds):
        self.now += timedelta(seconds=seconds)
        self.clock.move_to(self.now)

    @rule(offset=st.sampled_from([-3, -1, 0, 1, 4, 5, 6, 30]))
    def the_clock_reaches_the_deadline(self, offset):
        target = self.deadline + timedelta(seconds=offset)
        if target > self.now:
            self.now = target
            self.clock.move_to(self.now)

    # --- invariants ------------------------------------------------------------------------------

    @invariant()
    def the_server_holds_exactly_the_models_answers(self):
        if not hasattr(self, "attempt_id"):
            return
        assert answering.stored_answers(self.attempt_id) == self.model
        attempt = Attempt.objects.get(pk=self.attempt_id)
        assert attempt.last_seq == self.last_seq
        if self.finished is not None:
            assert attempt.state == self.finished
            assert attempt.receipt == self.receipt


@pytest.mark.django_db
def test_the_server_always_holds_the_highest_seq_until_the_deadline_and_nothing_after():
    run_state_machine_as_test(
        AnswerMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
