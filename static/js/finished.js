// The done and collected pages. An organizer may reopen the attempt (or a collected candidate may
// be given time back): the socket says so and the page returns to the exam, which shows the
// banner. Answers this computer still holds for the attempt (never sent) are offered as an
// encrypted backup file on the collected page.

import { BackupOffer } from "./backup.js";
import { ServerClock } from "./clock.js";
import { keepNotice } from "./deadline.js";
import { Journal } from "./journal.js";
import { LiveSocket } from "./live.js";
import { drainRecordingQueue } from "./recording.js";
import { format, loadStrings } from "./strings.js";

const S = loadStrings();
const root = document.getElementById("finished-app");
const attemptId = Number(root.dataset.attemptId);
const clock = new ServerClock();
const OPEN_STATES = ["checked_in", "in_progress"];

const journal = new Journal(attemptId);
// Recording chunks the exam page could not send before it closed (recording.js).
drainRecordingQueue(attemptId);
const box = document.getElementById("backup-offer");
if (box && root.dataset.backupSpki && journal.size > 0) {
  const offer = new BackupOffer({
    box,
    text: document.getElementById("backup-text"),
    button: document.getElementById("backup-download"),
    status: document.getElementById("backup-status"),
    strings: S,
    attemptId,
    key: { keyId: root.dataset.backupKeyId, spki: root.dataset.backupSpki },
    journal,
    // Each entry carries the offset of its own page; none is known here.
    clockOffset: () => (clock.synced ? clock.offset : null),
    deadline: () => null,
  });
  document.getElementById("backup-title").textContent = format(S["backup.held_title"], { n: journal.size });
  offer.show(S["backup.left_behind"]);
}

const socket = new LiveSocket({
  path: root.dataset.wsPath,
  clock,
  onMessage: (message) => {
    if (message.type === "receipt" && document.getElementById("receipt")) {
      // Answers that arrived in the grace, or accepted late answers: the server's new receipt.
      document.getElementById("receipt").textContent = message.receipt;
      return;
    }
    const reopened = (message.type === "deadline" && clock.until(message.deadline) > 0)
      || (["sync", "status"].includes(message.type) && OPEN_STATES.includes(message.state));
    if (!reopened) return;
    if (message.type === "deadline") keepNotice(attemptId, message);
    socket.stop();
    window.location.assign(root.dataset.examUrl);
  },
}).start();
