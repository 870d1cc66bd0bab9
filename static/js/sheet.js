// The answer sheet: the questions, what the candidate answered, the current question, and the
// journal + sender that carry every change to the server (see journal.js).

import { api } from "./api.js";
import { isAnswered, renderNav, renderQuestion, sameValue, updateNavItem } from "./answering.js";
import { Journal, Sender } from "./journal.js";
import { format } from "./strings.js";

const TYPING_PAUSE_MS = 800;

export class AnswerSheet {
  // elements: {nav, questionHost, progress, prev, next, container}
  constructor({ attemptId, elements, strings, onSaveState = () => {}, onStop = () => {}, clockOffset = () => null }) {
    this.el = elements;
    this.S = strings;
    this.onSaveState = onSaveState;
    this.onStop = onStop;
    this.journal = new Journal(attemptId);
    this.journal.clockOffset = clockOffset;
    this.currentKey = `exam.current.v1.${attemptId}`;
    this.sender = null;
    this.questions = [];
    this.answers = {}; // question id -> {value, seq}
    this.index = 0;
    this.pendingText = null;
    this.enabled = false;
    this.el.prev.addEventListener("click", () => this.show(this.index - 1));
    this.el.next.addEventListener("click", () => this.show(this.index + 1));
  }

  get persistent() {
    return this.journal.persistent;
  }

  get pendingCount() {
    return this.journal.size;
  }

  get unansweredCount() {
    return this.questions.filter((q) => !isAnswered(this.answers[q.id] && this.answers[q.id].value)).length;
  }

  saveState() {
    return this.sender ? this.sender.state() : null;
  }

  // GET attempt/ with questions: merge the server's answers with journal entries of higher seq,
  // restore the current question, then resend the journal.
  load(data) {
    this.questions = data.questions || [];
    this.answers = {};
    for (const [id, held] of Object.entries(data.answers || {})) this.answers[Number(id)] = held;
    this.journal.seed(data.last_seq);
    this.journal.pruneAgainst(this.answers);
    for (const entry of this.journal.pending()) {
      const held = this.answers[entry.question];
      if (!held || entry.seq > held.seq) this.answers[entry.question] = { value: entry.value, seq: entry.seq };
    }
    this.sender = new Sender({
      journal: this.journal,
      post: (entries, current) => api("POST", "attempt/answers/", { entries, current_question: current }),
      currentQuestion: () => this.currentQuestionId(),
      touchEntry: () => this.touchEntry(),
      onChange: (state) => this.onSaveState(state),
      onStop: this.onStop,
    });
    const local = this.readCurrent();
    const wanted = (local && local.question) || data.current_question;
    const found = this.questions.findIndex((q) => q.id === wanted);
    this.index = found >= 0 ? found : 0;
    renderNav(this.el.nav, this.questions, this.answers, this.index, this.S, (index) => this.show(index));
    this.updateProgress();
    this.enabled = true;
    this.sender.kick(0);
  }

  currentQuestionId() {
    return this.questions[this.index] ? this.questions[this.index].id : null;
  }

  readCurrent() {
    try {
      return JSON.parse(window.localStorage.getItem(this.currentKey) || "null");
    } catch {
      return null;
    }
  }

  writeCurrent(questionId) {
    try {
      window.localStorage.setItem(this.currentKey, JSON.stringify({ question: questionId }));
    } catch {
      // memory only: the server still learns it with the next batch
    }
  }

  record(questionId, value) {
    if (!this.enabled) return;
    const held = this.answers[questionId];
    if (sameValue(held && held.value, value)) return;
    const entry = this.journal.record(questionId, value, this.sender.inFlight);
    this.answers[questionId] = { value, seq: entry.seq };
    const index = this.questions.findIndex((q) => q.id === questionId);
    updateNavItem(this.el.nav, index, this.answers[questionId], index === this.index, this.S);
    this.updateProgress();
    this.onSaveState(this.sender.state());
    this.sender.kick(300);
  }

  // Typing is journaled after a short pause; leaving the field, the question or the page commits it.
  commitPending() {
    if (!this.pendingText) return;
    const { questionId, value, timer } = this.pendingText;
    clearTimeout(timer);
    this.pendingText = null;
    this.record(questionId, value);
  }

  changed(questionId, value, { immediate }) {
    if (this.pendingText && this.pendingText.questionId !== questionId) this.commitPending();
    if (this.pendingText) clearTimeout(this.pendingText.timer);
    this.pendingText = null;
    if (immediate) {
      this.record(questionId, value);
    } else {
      this.pendingText = { questionId, value, timer: setTimeout(() => this.commitPending(), TYPING_PAUSE_MS) };
    }
  }

  updateProgress() {
    const done = this.questions.length - this.unansweredCount;
    this.el.progress.textContent = format(this.S.progress, { done, total: this.questions.length });
  }

  show(index, { focus = true } = {}) {
    if (!this.questions.length) return;
    this.commitPending();
    const previous = this.index;
    this.index = Math.max(0, Math.min(this.questions.length - 1, index));
    const question = this.questions[this.index];
    const held = this.answers[question.id];
    this.el.questionHost.replaceChildren(
      renderQuestion({
        question,
        index: this.index,
        value: held ? held.value : null,
        strings: this.S,
        onChange: (value, options) => this.changed(question.id, value, options),
      }),
    );
    const before = this.questions[previous];
    updateNavItem(this.el.nav, previous, before && this.answers[before.id], previous === this.index, this.S);
    updateNavItem(this.el.nav, this.index, held, true, this.S);
    this.el.prev.disabled = this.index === 0;
    this.el.next.disabled = this.index === this.questions.length - 1;
    this.el.container.dataset.currentQuestion = String(question.id);
    if (previous !== this.index || !this.readCurrent()) {
      this.writeCurrent(question.id);
      this.sender?.touchSoon();
    }
    if (focus) document.getElementById("question-title")?.focus();
  }

  // Replaying a held answer changes nothing on the server but carries current_question.
  touchEntry() {
    const current = this.questions[this.index];
    const held = current && this.answers[current.id];
    if (held && held.seq > 0) return { question: current.id, value: held.value, seq: held.seq };
    const any = Object.entries(this.answers).find(([, a]) => a.seq > 0);
    return any ? { question: Number(any[0]), value: any[1].value, seq: any[1].seq } : null;
  }

  stopInput() {
    this.commitPending();
    this.enabled = false;
    this.el.container.inert = true;
    this.el.container.classList.add("is-stopped");
    this.el.container.querySelectorAll("input, textarea, button").forEach((control) => {
      control.disabled = true;
    });
  }

  resumeInput() {
    this.enabled = true;
    this.el.container.inert = false;
    this.el.container.classList.remove("is-stopped");
    renderNav(this.el.nav, this.questions, this.answers, this.index, this.S, (index) => this.show(index));
    this.show(this.index, { focus: false });
  }

  flush(timeoutMs) {
    return this.sender ? this.sender.flush(timeoutMs) : Promise.resolve(true);
  }

  stop() {
    this.enabled = false;
    this.sender?.stop();
  }
}
