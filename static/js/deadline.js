// A change of the candidate's deadline, told in words: what changed, by how much, the new end
// and why ("考务人员为本场考试延长了 10 分钟，新的结束时间 11:40"). The banner is a status
// region (role=status, aria-live=polite) that stays until the candidate dismisses it.

import { formatClockTime } from "./clock.js";
import { format } from "./strings.js";

const SESSION_KINDS = new Set(["session_end", "session_credit"]);
const RECOVERY_KINDS = new Set(["readmit", "reopen"]);

// message: {deadline, previous, kind, reason} as the attempt socket sends it.
export function deadlineText(message, S, { timeZone, lang }) {
  const time = formatClockTime(message.deadline, timeZone, lang);
  const previous = Date.parse(message.previous);
  const minutes = Number.isFinite(previous) ? Math.round((Date.parse(message.deadline) - previous) / 60000) : null;
  let text;
  if (RECOVERY_KINDS.has(message.kind)) {
    text = format(S["deadline.reopened"], { time });
  } else if (minutes === null || minutes === 0) {
    text = format(S["deadline.changed"], { time });
  } else {
    const who = SESSION_KINDS.has(message.kind) ? "session" : "you";
    const way = minutes > 0 ? "longer" : "shorter";
    text = format(S[`deadline.${way}_${who}`], { minutes: Math.abs(minutes), time });
  }
  const reason = (message.reason || "").trim();
  return reason ? `${text}${format(S["deadline.reason"], { reason })}` : text;
}

export class DeadlineBanner {
  constructor(box, strings, { timeZone, lang }) {
    this.box = box;
    this.S = strings;
    this.options = { timeZone, lang };
  }

  // Returns the text shown (also for tests and the storage hand-over between pages).
  show(message) {
    if (!this.box) return "";
    const text = deadlineText(message, this.S, this.options);
    const paragraph = document.createElement("p");
    paragraph.className = "banner__text";
    paragraph.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "banner__close";
    close.textContent = this.S["deadline.dismiss"];
    close.setAttribute("aria-label", this.S["deadline.dismiss_label"]);
    close.addEventListener("click", () => this.dismiss());
    this.box.replaceChildren(paragraph, close);
    return text;
  }

  dismiss() {
    this.box?.replaceChildren();
  }
}

// A notice that must survive a page change (a reopened attempt: the finished page moves to the
// exam page, which shows it).
const noticeKey = (attemptId) => `exam.deadlineNotice.${attemptId}`;

export function keepNotice(attemptId, message) {
  try {
    window.sessionStorage.setItem(noticeKey(attemptId), JSON.stringify(message));
  } catch {
    // the exam page still shows the new countdown
  }
}

export function takeNotice(attemptId) {
  try {
    const raw = window.sessionStorage.getItem(noticeKey(attemptId));
    window.sessionStorage.removeItem(noticeKey(attemptId));
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}
