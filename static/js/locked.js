// The locked page: when an organizer unlocks the attempt, the socket says so and we return to the exam.

import { ServerClock } from "./clock.js";
import { LiveSocket } from "./live.js";

const root = document.getElementById("locked-app");

const socket = new LiveSocket({
  path: root.dataset.wsPath,
  clock: new ServerClock(),
  onMessage: (message) => {
    const unlocked = message.type === "unlocked"
      || (message.type === "sync" && message.locked === false && ["checked_in", "in_progress"].includes(message.state));
    if (unlocked) {
      socket.stop();
      window.location.assign(root.dataset.examUrl);
    }
  },
}).start();
