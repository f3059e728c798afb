// The Zoom page's Connect button: the server starts an authorization bound to this signed-in session (it keeps
// the state and the PKCE verifier) and answers Zoom's URL, which this browser then opens.

import { api } from "./api.js";

const button = document.getElementById("connect-zoom");
const problem = document.getElementById("connect-error");

button?.addEventListener("click", async () => {
  button.disabled = true;
  problem.hidden = true;
  try {
    const started = await api("/api/zoom/authorize", { method: "POST" });
    location.assign(started.authorize_url);
  } catch (error) {
    problem.textContent = error.message;
    problem.hidden = false;
    button.disabled = false;
  }
});
