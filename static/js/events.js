// Proctoring events the page reports (screen leaves, network lost/restored, camera problems,
// loud sound). Kept in localStorage until the server has them, so a leave made while offline is
// still counted when the network returns. Sending, retries and stops: outbox.js.

import { LocalListStore, Outbox } from "./outbox.js";

const MAX_QUEUED = 500;
const BATCH_SIZE = 100;
// Where capture.js kept its events before they shared this outbox: moved in when a page opens.
export const LEGACY_PROCTORING_KEY = "exam-proctoring-events";

export class EventOutbox extends Outbox {
  // attemptId names the storage key; `key` replaces it for a page that has no attempt id.
  constructor(attemptId, {
    onResult = () => {}, onStop = () => {}, key = `exam.events.v1.${attemptId}`, path = "attempt/events/",
  } = {}) {
    super({
      store: new LocalListStore(key, { max: MAX_QUEUED, absorb: [LEGACY_PROCTORING_KEY] }),
      path,
      body: (batch) => ({ events: batch.map(({ id, ...event }) => event) }),
      batchSize: BATCH_SIZE,
      onResult,
      onStop,
    });
  }

  add(kind, details = {}) {
    return this.enqueue({ kind, client_time: new Date().toISOString(), details: details || {} });
  }
}
