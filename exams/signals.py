"""What exams announces, for the apps above it to react to (proctoring, support).

exams never imports the apps above it; they connect receivers in their ``AppConfig.ready()``.
Signals about an attempt are sent inside the transaction that made the change, right after it,
so a receiver that writes rows (a proctoring event) commits or rolls back with it. A receiver
with side effects outside the database (a push, a task) must queue them with
``transaction.on_commit`` itself, as everything in exams does.

Every signal is sent with ``sender=Attempt`` (or the model named below) and keyword arguments.
"""

from __future__ import annotations

from django.dispatch import Signal

# A candidate logged in: attempt, now, first (True for the first login, False for a re-login),
# elsewhere (another page of the attempt was live), address, user_agent, counted_as_leave,
# leave_limit_reached (a re-login reached the leave limit: an alert, never a lock).
attempt_logged_in = Signal()

# The attempt was locked (leave limit reached): attempt, now, cause ("screen_leaves", "relogin").
attempt_locked = Signal()

# Staff lifted the lock: attempt, now, reason.
attempt_unlocked = Signal()

# Staff waived a required step for this candidate: attempt, now, step, reason, actor.
attempt_step_waived = Signal()

# The candidate submitted: attempt, now.
attempt_submitted = Signal()

# A session's due attempts were collected (sender=ExamSession): session_id, now, collected (how many).
session_collected = Signal()

# A finished attempt's answers changed after it finished (answers within the grace, accepted late
# answers) and it was re-scored: attempt, now, question_ids (the questions whose answers changed).
attempt_rescored = Signal()

# The sweep ran at ``now`` (sender=None). A receiver does its own clock-driven work and returns a
# dict of counts for the sweep's report (``{"phones_lost": 2}``).
sweep_ran = Signal()

# The demo batch was loaded (sender=ExamBatch): batch, now. Upper apps add their demo data.
demo_loaded = Signal()
