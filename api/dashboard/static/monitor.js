// The live monitor of one session: summary bar, room grid, end-session. It reads the session from the REST API
// and follows the event stream; every event (and a refresh every few seconds, for heartbeat media and usage,
// which have no events) brings the grid up to date without a reload.

import { api } from "./api.js";
import { setText } from "./dom.js";
import { number } from "./format.js";
import { RoomCard } from "./room-card.js";
import { EventStream } from "./stream.js";

const POLL_MS = 2000;
const root = document.getElementById("monitor");
const sessionId = root.dataset.sessionId;
const sessionPath = `/api/sessions/${encodeURIComponent(sessionId)}`;
const grid = document.getElementById("room-grid");
const problem = document.getElementById("page-problem");
const connection = document.getElementById("connection");
const endButton = document.getElementById("end-session");
const dialog = document.getElementById("confirm-end");
const statusPill = document.getElementById("session-status");
const cards = new Map();

let refreshing = false;
let refreshAgain = false;
let refreshTimer = null;

function showProblem(message) {
  setText(problem, message ?? "");
  problem.hidden = !message;
}

function renderSummary(summary) {
  const put = (key, text) => setText(root.querySelector(`[data-summary="${key}"]`), text);
  put("rooms", `${summary.rooms_live} / ${summary.rooms_total}`);
  put("avatars", String(summary.avatars_live));
  put("minutes", number(summary.minutes, 1));
  put("credits", number(summary.credits, 2));
  put("meeting-minutes", number(summary.money?.meeting_minutes, 1));
  put("saved", `${number(summary.money?.credits_saved, 2)} credits`);
  put("budget", summary.budget_left === null || summary.budget_left === undefined ? "no limit" : number(summary.budget_left, 2));
}

function render(session) {
  root.dataset.status = session.status;
  setText(statusPill, session.status);
  statusPill.className = `status-pill status-${session.status}`;
  endButton.disabled = session.status !== "active";
  renderSummary(session.summary);
  for (const room of session.rooms) {
    const card = cards.get(room.id);
    if (card) {
      card.update(room);
    } else {
      const created = new RoomCard(sessionId, room);
      cards.set(room.id, created);
      grid.append(created.node);
    }
  }
  root.dataset.loaded = "true";
}

async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return;
  }
  refreshing = true;
  try {
    do {
      refreshAgain = false;
      render(await api(sessionPath));
      showProblem(null);
    } while (refreshAgain);
  } catch (error) {
    showProblem(error.message);
  } finally {
    refreshing = false;
  }
}

function refreshSoon() {
  if (refreshTimer !== null) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh();
  }, 100);
}

const CONNECTION_WORDS = { connecting: "Connecting…", live: "Live updates on", reconnecting: "Reconnecting…" };

function onStreamState(state) {
  connection.dataset.state = state;
  setText(connection, CONNECTION_WORDS[state] ?? state);
}

function onEvent(event) {
  const card = event.room_id ? cards.get(event.room_id) : undefined;
  if (card && event.kind === "room.status") card.applyStatus(event.detail);
  card?.onEvent(event);
  refreshSoon();
}

endButton.addEventListener("click", () => {
  dialog.returnValue = "";
  dialog.showModal();
});

dialog.addEventListener("close", async () => {
  if (dialog.returnValue !== "end") {
    endButton.focus();
    return;
  }
  endButton.disabled = true;
  try {
    await api(sessionPath, { method: "DELETE" });
    showProblem(null);
  } catch (error) {
    showProblem(error.message);
  }
  await refresh();
  endButton.focus();
});

const stream = new EventStream(`/api/events?session=${encodeURIComponent(sessionId)}`, {
  onEvent,
  onState: onStreamState,
  onOpen: () => refresh(),
  beforeReconnect: () => refresh(),
});

refresh();
stream.start();
setInterval(() => {
  if (!document.hidden) refresh();
}, POLL_MS);
setInterval(() => {
  const now = Date.now();
  for (const card of cards.values()) card.tick(now);
}, 1000);
window.addEventListener("pagehide", () => stream.close());
