// The list of sessions follows the event stream: when a session starts or ends or a room changes state, the
// list is fetched again (the same page, rendered by the server) and swapped in. An update that fails (the
// server unreachable while it restarts, a dropped connection, or an error answer) leaves the list as it is,
// says above it that it may be out of date, and is tried again until one succeeds (and at once when the event
// stream comes back). A sign-in that has ended sends the browser to the sign-in form, as every page does.

import { signInAgain } from "./api.js";
import { setText } from "./dom.js";
import { EventStream } from "./stream.js";

const CHANGE_MS = 300;
const RETRY_MS = 2000;
const RETRY_MAX_MS = 30_000;

const list = document.getElementById("session-list");
const problem = document.getElementById("list-problem");
let timer = null;
let failures = 0;

function reloadIn(ms) {
  if (timer === null) timer = setTimeout(reload, ms);
}

function failed(message) {
  failures += 1;
  setText(problem, `${message} The list below may be out of date; it is tried again until it succeeds.`);
  problem.hidden = false;
  reloadIn(Math.min(RETRY_MAX_MS, RETRY_MS * 2 ** (failures - 1)));
}

async function reload() {
  timer = null;
  let response;
  try {
    response = await fetch(location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
  } catch {
    failed("The server cannot be reached.");
    return;
  }
  // The page answers a visitor who is no longer signed in with the sign-in form (a redirect the fetch followed).
  if (response.status === 401 || (response.redirected && new URL(response.url).pathname !== location.pathname)) {
    signInAgain();
    return;
  }
  if (!response.ok) {
    failed(`The list could not be brought up to date: the server answered ${response.status}.`);
    return;
  }
  let page;
  try {
    page = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch {
    failed("The list could not be brought up to date: the answer was cut off.");
    return;
  }
  const fresh = page.getElementById("session-list");
  if (!fresh) {
    failed("The list could not be brought up to date: the server answered with another page.");
    return;
  }
  failures = 0;
  problem.hidden = true;
  setText(problem, "");
  list.replaceChildren(...fresh.childNodes);
}

new EventStream("/api/events", {
  onEvent: (event) => {
    if (event.kind.startsWith("session.") || event.kind === "room.status") reloadIn(CHANGE_MS);
  },
  onOpen: () => {
    if (failures > 0) {
      clearTimeout(timer);
      timer = null;
      reloadIn(0);
    }
  },
}).start();
