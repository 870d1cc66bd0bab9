"""Every change to tickets and the FAQ; each writes its audit row and pushes after commit.

Ticket states (support.models.Ticket): open -> claimed -> answered -> closed, and back:
a candidate's follow-up or a staff "reopen" makes an answered or closed ticket wait again.

By who acts: ``candidate_tickets`` (a candidate asks and follows up), ``staff_tickets`` (reply,
claim, assign, close, reopen), ``ticket_attempt_actions`` (what support may do to the attempt:
unlock, message the exam page), ``faq_entries`` (loading the FAQ). ``tickets`` holds what they
share: the row lock, messages, the audit row, the out-of-hours answer.
"""
