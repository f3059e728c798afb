// The list of sessions follows the event stream: when a session starts or ends or a room changes state, the
// list is fetched again (the same page, rendered by the server) and swapped in. A fetch that cannot reach the
// server (restarting, a dropped connection) leaves the list as it is and is tried once more shortly, then again
// when the event stream comes back.

import { EventStream } from "./stream.js";

const CHANGE_MS = 300;
const RETRY_MS = 2000;

const list = document.getElementById("session-list");
let timer = null;
let stale = false;
let retried = false;

function reloadIn(ms) {
  if (timer === null) timer = setTimeout(reload, ms);
}

async function reload() {
  timer = null;
  let page;
  try {
    const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    page = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch {
    stale = true;
    if (!retried) {
      retried = true;
      reloadIn(RETRY_MS);
    }
    return;
  }
  stale = false;
  retried = false;
  const fresh = page.getElementById("session-list");
  if (fresh) list.replaceChildren(...fresh.childNodes);
}

new EventStream("/api/events", {
  onEvent: (event) => {
    if (event.kind.startsWith("session.") || event.kind === "room.status") reloadIn(CHANGE_MS);
  },
  onOpen: () => {
    if (stale) reloadIn(0);
  },
}).start();
