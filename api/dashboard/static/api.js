// Calls to avatarfarm's REST API from the dashboard. The browser sends the HttpOnly sign-in cookie by itself;
// requests that change something also carry the page's CSRF token in the X-CSRF-Token header.

const csrfToken = document.querySelector('meta[name="avatarfarm-csrf"]')?.content ?? "";

export class ApiProblem extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}.`);
    this.status = status;
    this.body = body ?? { error: "error", message: this.message, detail: [] };
  }

  get detail() {
    return Array.isArray(this.body.detail) ? this.body.detail : [];
  }
}

// Sign-out revokes the cookie before the browser shows its answer; a request of this page refused in between
// must not send the browser to the sign-in form over the signed-out page.
let signingOut = false;
document.addEventListener("submit", (event) => {
  if (event.target instanceof HTMLFormElement && event.target.hasAttribute("data-sign-out")) signingOut = true;
});

export function signInAgain() {
  if (signingOut) return;
  const here = location.pathname + location.search;
  location.assign(`/dashboard/sign-in?next=${encodeURIComponent(here)}`);
}

export async function api(path, { method = "GET", body, headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrfToken;
  if (body instanceof FormData) {
    init.body = body; // multipart: the browser writes the Content-Type with its boundary
  } else if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiProblem(0, { error: "network", message: "The server cannot be reached. Check your connection.", detail: [] });
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (response.status === 401) {
    signInAgain();
  }
  if (!response.ok) throw new ApiProblem(response.status, data);
  return data;
}
