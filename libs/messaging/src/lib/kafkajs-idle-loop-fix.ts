/**
 * kafkajs 2.2.4 (the last release) re-arms a timer on every broker connection forever, even with
 * nothing to send: `scheduleCheckPendingRequests` computes `throttledUntil - Date.now()`, which is
 * negative when no throttle is in force, and passes it to `setTimeout`, so the check runs again
 * after 1 ms, and again (tulios/kafkajs#1556, #1704; fix proposed in #1667, never released).
 * Measured here: ~1,500 event-loop wake-ups per second in an idle service and ~50 ms of CPU per
 * second per process, on each of the five apps (bench/RESULTS.md, 2026-11-29).
 *
 * The replacement below is #1667's: with nothing pending and no throttle there is nothing to
 * check, because a request that cannot be sent at once is queued by `push`, which schedules a
 * check itself, and every response re-checks the queue. The patch is applied to the one
 * RequestQueue class every kafkajs client in the process uses, once, when this library loads.
 */

interface RequestQueueInternals {
  throttledUntil: number;
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  pending: unknown[];
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

/** kafkajs' CHECK_PENDING_REQUESTS_INTERVAL (not exported). */
const CHECK_PENDING_REQUESTS_INTERVAL_MS = 10;
const applied = Symbol.for('causeway.kafkajs-idle-loop-fix');

export function applyKafkajsIdleLoopFix(): void {
  // A module kafkajs does not export; its path is stable across 2.x.
  const RequestQueue: { prototype: RequestQueueInternals & { [applied]?: true } } = require('kafkajs/src/network/requestQueue');
  if (RequestQueue.prototype[applied]) return;
  RequestQueue.prototype[applied] = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId) return;
    let scheduleAt = this.throttledUntil - Date.now();
    if (this.pending.length > 0) scheduleAt = scheduleAt > 0 ? scheduleAt : CHECK_PENDING_REQUESTS_INTERVAL_MS;
    else if (scheduleAt <= 0) return;
    this.throttleCheckTimeoutId = setTimeout(() => {
      this.throttleCheckTimeoutId = null;
      this.checkPendingRequests();
    }, scheduleAt);
  };
}

applyKafkajsIdleLoopFix();
