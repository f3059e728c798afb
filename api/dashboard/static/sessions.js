// The list of sessions follows the event stream: when a session starts or ends or a room changes state, the
// list is fetched again (the same page, rendered by the server) and swapped in.

import { EventStream } from "./stream.js";

const list = document.getElementById("session-list");
let timer = null;

async function reload() {
  timer = null;
  const response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  if (!response.ok || response.redirected) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fresh = page.getElementById("session-list");
  if (fresh) list.replaceChildren(...fresh.childNodes);
}

new EventStream("/api/events", {
  onEvent: (event) => {
    if (event.kind.startsWith("session.") || event.kind === "room.status") {
      if (timer === null) timer = setTimeout(reload, 300);
    }
  },
}).start();
