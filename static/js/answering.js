// Rendering of one question (all five kinds) and of the question navigation list.
// Values: single_choice "A"; multiple_choice ["A", "C"]; true_false true/false; fill_in and essay text.

import { format } from "./strings.js";

export function isAnswered(value) {
  if (value === null || value === undefined) return false;
  if (typeof value === "string") return value.trim() !== "";
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

// "2.00" -> "2", "1.50" -> "1.5"
function displayPoints(points) {
  const number = Number(points);
  return Number.isFinite(number) ? String(number) : String(points ?? "");
}

export function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function make(tag, attributes = {}, text = undefined) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "className") element.className = value;
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  if (text !== undefined) element.textContent = text;
  return element;
}

function choiceList({ question, type, name, options, isChecked, strings }) {
  const fieldset = make("fieldset", { className: "answer answer--choices" });
  fieldset.append(make("legend", { className: "visually-hidden" }, strings.answer_label));
  for (const option of options) {
    const id = `${name}-${option.id}`;
    const label = make("label", { className: "choice", for: id });
    const input = make("input", { type, id, name, value: option.value });
    input.checked = isChecked(option);
    label.append(input);
    if (option.key) label.append(make("span", { className: "choice__key" }, `${option.key}.`));
    label.append(make("span", { className: "choice__text" }, option.text));
    fieldset.append(label);
  }
  fieldset.dataset.questionId = String(question.id);
  return fieldset;
}

// onChange(value, {immediate}) — immediate for clicks, debounced by the caller for typing.
export function renderQuestion({ question, index, value, strings, onChange }) {
  const article = make("article", { className: "question", "aria-labelledby": "question-title" });
  const heading = make("h2", { id: "question-title", className: "question__title", tabindex: "-1" });
  heading.append(format(strings.question_heading, { n: index + 1 }));
  const meta = [strings[`kind.${question.kind}`], format(strings.points, { points: displayPoints(question.points) })]
    .filter(Boolean)
    .join(" · ");
  heading.append(make("span", { className: "question__meta" }, meta));
  article.append(heading);
  article.append(make("p", { className: "question__text" }, question.text));

  const name = `q${question.id}`;
  const choices = Array.isArray(question.choices) ? question.choices : [];
  let control;
  switch (question.kind) {
    case "single_choice": {
      control = choiceList({
        question, type: "radio", name, strings,
        options: choices.map((c) => ({ id: c.key, key: c.key, value: c.key, text: c.text })),
        isChecked: (o) => value === o.value,
      });
      control.addEventListener("change", (event) => onChange(event.target.value, { immediate: true }));
      break;
    }
    case "multiple_choice": {
      const chosen = new Set(Array.isArray(value) ? value : []);
      control = choiceList({
        question, type: "checkbox", name, strings,
        options: choices.map((c) => ({ id: c.key, key: c.key, value: c.key, text: c.text })),
        isChecked: (o) => chosen.has(o.value),
      });
      control.addEventListener("change", () => {
        const keys = [...control.querySelectorAll("input:checked")].map((input) => input.value);
        onChange(keys, { immediate: true });
      });
      break;
    }
    case "true_false": {
      control = choiceList({
        question, type: "radio", name, strings,
        options: [
          { id: "true", value: "true", text: strings.true },
          { id: "false", value: "false", text: strings.false },
        ],
        isChecked: (o) => value === (o.value === "true"),
      });
      control.addEventListener("change", (event) => onChange(event.target.value === "true", { immediate: true }));
      break;
    }
    default: {
      // fill_in and essay: free text
      control = make("div", { className: "answer answer--text" });
      const id = `answer-${question.id}`;
      control.append(make("label", { for: id, className: "answer__label" }, strings.answer_label));
      const essay = question.kind === "essay";
      const input = essay
        ? make("textarea", { id, name, rows: 10, className: "answer__textarea" })
        : make("input", { id, name, type: "text", className: "answer__input", autocomplete: "off" });
      input.setAttribute("spellcheck", "false");
      input.value = typeof value === "string" ? value : "";
      input.addEventListener("input", () => onChange(input.value, { immediate: false }));
      input.addEventListener("change", () => onChange(input.value, { immediate: true }));
      control.append(input);
    }
  }
  article.append(control);
  return article;
}

export function renderNav(list, questions, answers, currentIndex, strings, onSelect) {
  list.replaceChildren();
  questions.forEach((question, index) => {
    const item = make("li");
    const button = make("button", { type: "button", className: "nav-item", "data-index": index });
    button.addEventListener("click", () => onSelect(index));
    item.append(button);
    list.append(item);
  });
  questions.forEach((question, index) => updateNavItem(list, index, answers[question.id], index === currentIndex, strings));
}

export function updateNavItem(list, index, held, isCurrent, strings) {
  const button = list.querySelector(`button[data-index="${index}"]`);
  if (!button) return;
  const answered = isAnswered(held && held.value);
  const status = answered ? strings.answered : strings.unanswered;
  button.classList.toggle("nav-item--answered", answered);
  button.classList.toggle("nav-item--current", isCurrent);
  if (isCurrent) button.setAttribute("aria-current", "step");
  else button.removeAttribute("aria-current");
  button.setAttribute("aria-label", format(strings.nav_item, { n: index + 1, status }));
  button.setAttribute("title", status);
  button.replaceChildren(make("span", { "aria-hidden": "true" }, String(index + 1)));
  button.append(make("span", { className: "nav-item__mark", "aria-hidden": "true" }, answered ? "✓" : ""));
}
