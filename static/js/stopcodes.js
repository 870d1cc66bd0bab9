// The refusals after which a page must stop writing to the attempt: it was collected, submitted
// or locked, another computer took it over, or the login is gone. Retrying cannot help; the page
// tells the candidate why. One list for the journal, the outboxes and the exam page.

export const STOP_CODES = new Set(["collected", "submitted", "locked", "superseded", "not_logged_in"]);

export function isStopCode(code) {
  return STOP_CODES.has(code);
}
