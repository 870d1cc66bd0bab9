// Staff queue page: listens on /ws/support/ and applies each change, not the whole list: the
// changed ticket's row (server-rendered, Django escapes every text) is put in place, moved or
// removed, and the counts on top are refetched; the selected ticket's live part is swapped too.
// The whole (paged) list is fetched only on (re)connect, to catch up, and once a minute for the
// waiting times. The action forms are plain POST forms, never replaced, so a reply being typed
// is not lost.

const root = document.getElementById("support-queue");

if (root) {
  const listBox = document.getElementById("support-queue-list");
  const liveState = root.querySelector("[data-live-state]");
  const selected = root.dataset.selected;
  const baseTitle = document.title;
  let retryDelay = 1000;

  const fetchResponse = async (url) => {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response;
  };
  const fetchHtml = async (url) => (await fetchResponse(url)).text();

  const swap = (target, html) => {
    const template = document.createElement("template");
    template.innerHTML = html; // trusted: our own escaped template, same origin
    target.replaceChildren(template.content);
  };

  const params = () => {
    const out = new URLSearchParams();
    if (root.dataset.batch) out.set("batch", root.dataset.batch);
    if (selected) out.set("ticket", selected);
    return out;
  };
  const listUrl = () => {
    const out = params();
    if (root.dataset.page) out.set("page", root.dataset.page);
    return `${root.dataset.listUrl}?${out}`;
  };

  const refreshCounts = debounce(async () => {
    const box = listBox.querySelector("[data-queue-counts]");
    if (!box) return;
    try {
      swap(box, await fetchHtml(`${root.dataset.countsUrl}?${params()}`));
      updateTitle();
    } catch {
      /* next push refreshes again */
    }
  }, 300);

  // One ticket changed: fetch its row and put it where it belongs on this page.
  async function applyChange(ticket) {
    const waitingList = listBox.querySelector('[data-queue="waiting"]');
    const answeredList = listBox.querySelector('[data-queue="answered"]');
    const existing = listBox.querySelector(`[data-ticket-row="${ticket.id}"]`);
    const waiting = ticket.status === "open" || ticket.status === "claimed";
    const target = waiting ? waitingList : ticket.status === "answered" ? answeredList : null;
    if (existing && (!target || existing.parentElement !== target)) existing.remove();
    if (!target) return;
    const page = Number(waitingList?.dataset.page || 1);
    const pages = Number(waitingList?.dataset.pages || 1);
    const size = Number(waitingList?.dataset.pageSize || 50);
    const rows = () => target.querySelectorAll("[data-ticket-row]");
    // The waiting list is oldest first: a newly waiting ticket belongs at the end of the last page.
    if (!existing || existing.parentElement !== target) {
      if (waiting && (page < pages || rows().length >= size)) return; // on a later page
    }
    let html;
    try {
      html = await fetchHtml(`${root.dataset.rowUrl.replace("/0/", `/${ticket.id}/`)}?${params()}`);
    } catch {
      return;
    }
    const template = document.createElement("template");
    template.innerHTML = html.trim(); // trusted: our own escaped template, same origin
    const row = template.content.firstElementChild;
    if (!row) return;
    const current = listBox.querySelector(`[data-ticket-row="${ticket.id}"]`);
    if (current && current.parentElement === target) {
      current.replaceWith(row);
    } else if (waiting) {
      target.querySelector("[data-empty]")?.remove();
      target.append(row);
    } else {
      target.querySelector("[data-empty]")?.remove();
      target.prepend(row);
    }
  }

  function updateTitle() {
    const counts = listBox.querySelector("[data-waiting-count]");
    const waiting = counts ? Number(counts.dataset.waitingCount) : 0;
    document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle;
  }

  const refreshList = debounce(async () => {
    try {
      swap(listBox, await fetchHtml(listUrl()));
      updateTitle();
    } catch {
      /* next push or reconnect refreshes again */
    }
  }, 300);

  const refreshTicket = debounce(async () => {
    const box = document.getElementById("support-ticket-live");
    if (!box) return;
    try {
      swap(box, await fetchHtml(root.dataset.liveUrl.replace("/0/", `/${selected}/`)));
    } catch {
      /* keep what is shown */
    }
  }, 300);

  function debounce(fn, ms) {
    let timer = null;
    return () => {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function setLive(on) {
    liveState.textContent = on ? root.dataset.liveOn : root.dataset.liveOff;
    liveState.dataset.state = on ? "on" : "off";
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${root.dataset.socket}`);
    socket.addEventListener("open", () => {
      retryDelay = 1000;
      setLive(true);
      refreshList(); // catch up on anything missed while disconnected
    });
    socket.addEventListener("message", (message) => {
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return;
      }
      if (data.type !== "ticket" || !data.ticket) return;
      applyChange(data.ticket);
      refreshCounts();
      if (String(data.ticket.id) === selected) refreshTicket();
    });
    socket.addEventListener("close", (event) => {
      setLive(false);
      if (event.code === 4403) return; // not allowed: reloading will show the login page
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  // Waiting times tick on the page; the server's value is the truth at each refresh.
  setInterval(refreshList, 60000);

  updateTitle();
  connect();
}
