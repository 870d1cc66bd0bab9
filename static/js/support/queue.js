// Staff queue page: listens on /ws/support/ and swaps in the server-rendered list and the
// selected ticket's live part (Django renders and escapes every text). The action forms are
// plain POST forms, never replaced, so a reply being typed is not lost.

const root = document.getElementById("support-queue");

if (root) {
  const listBox = document.getElementById("support-queue-list");
  const liveState = root.querySelector("[data-live-state]");
  const selected = root.dataset.selected;
  const baseTitle = document.title;
  let retryDelay = 1000;

  const fetchHtml = async (url) => {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.text();
  };

  const swap = (target, html) => {
    const template = document.createElement("template");
    template.innerHTML = html; // trusted: our own escaped template, same origin
    target.replaceChildren(template.content);
  };

  const listUrl = () => {
    const params = new URLSearchParams();
    if (root.dataset.batch) params.set("batch", root.dataset.batch);
    if (selected) params.set("ticket", selected);
    return `${root.dataset.listUrl}?${params}`;
  };

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
      refreshList();
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
