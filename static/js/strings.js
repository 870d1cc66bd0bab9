// Translated strings come from the page (json_script), so the JS never hard-codes UI text.

export function loadStrings(id = "page-strings") {
  const element = document.getElementById(id);
  if (!element) return {};
  try {
    return JSON.parse(element.textContent);
  } catch {
    return {};
  }
}

// "未同步 {n} 条" + {n: 3} -> "未同步 3 条"
export function format(template, values = {}) {
  return String(template ?? "").replace(/\{(\w+)\}/g, (match, name) =>
    Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : match,
  );
}

// Fill a message box with paragraphs (an aria-live region that stays in the DOM).
export function showMessage(box, ...lines) {
  if (!box) return;
  box.replaceChildren();
  for (const line of lines) {
    if (!line) continue;
    if (line instanceof Node) {
      box.append(line);
    } else {
      const p = document.createElement("p");
      p.textContent = line;
      box.append(p);
    }
  }
}

export function clearMessage(box) {
  if (box) box.replaceChildren();
}

export function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  const p = document.createElement("p");
  p.append(a);
  return p;
}

// sessionStorage can throw (privacy modes); the journey then just asks again.
export const tabStore = {
  get(key) {
    try {
      const raw = sessionStorage.getItem(key);
      return raw === null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      // ignored: the value is a convenience
    }
  },
  remove(key) {
    try {
      sessionStorage.removeItem(key);
    } catch {
      // ignored
    }
  },
};

export const STORE_PASSWORD = "exam.password";
export const STORE_SESSION = "exam.session";
export const STORE_LOGIN_NOTICE = "exam.loginNotice";
export const STORE_DEVICE = "exam.deviceCheck";
