// A room's pinned course passages in its details: the pinned list with Unpin buttons, and a search of the
// course's passages with Pin buttons. Every avatar start in the room gets pinned passages first.

import { api, ApiProblem } from "./api.js";
import { el, setText } from "./dom.js";

export class RoomPins {
  /** `path`: the room's API path (/api/sessions/{id}/rooms/{id}); `roomName` labels the controls. */
  constructor(path, roomName) {
    this.path = path;
    this.pinned = el("ul", { class: "pinned-passages", "aria-label": `Passages pinned to ${roomName}` });
    this.results = el("ul", { class: "passage-results", "aria-label": "Passages found" });
    this.status = el("p", { class: "hint", role: "status" });
    this.query = el("input", { type: "search", maxlength: "500", "aria-label": `Find a course passage to pin to ${roomName}` });
    const form = el("form", { class: "inline-form" }, this.query, el("button", { type: "submit", text: "Find" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.find();
    });
    this.node = el("div", { class: "pins" }, el("h5", { text: "Pinned" }), this.pinned, form, this.results, this.status);
  }

  async load() {
    try {
      const { passages } = await api(`${this.path}/pins`);
      const items = passages.map((p) => this.item(p, "Unpin", () => this.change("DELETE", p)));
      if (!items.length) items.push(el("li", { class: "hint", text: "None pinned." }));
      this.pinned.replaceChildren(...items);
    } catch (problem) {
      setText(this.status, problem.message);
    }
  }

  async find() {
    const words = this.query.value.trim();
    if (!words) return;
    try {
      const { passages } = await api(`${this.path}/passages?q=${encodeURIComponent(words)}`);
      this.results.replaceChildren(...passages.map((p) => this.item(p, "Pin", () => this.change("PUT", p))));
      setText(this.status, passages.length ? "" : "No passage of this course has these words.");
    } catch (problem) {
      setText(this.status, problem instanceof ApiProblem ? problem.message : String(problem));
    }
  }

  item(passage, action, onClick) {
    const button = el("button", { type: "button", text: action, "aria-label": `${action} ${passage.source}` });
    button.addEventListener("click", onClick);
    const excerpt = passage.text.length > 140 ? `${passage.text.slice(0, 139)}…` : passage.text;
    return el("li", { "data-passage-id": passage.id }, el("strong", { text: passage.source }), " ", excerpt, " ", button);
  }

  async change(method, passage) {
    try {
      await api(`${this.path}/pins/${passage.id}`, { method });
      setText(this.status, method === "PUT" ? `${passage.source} is pinned.` : `${passage.source} is unpinned.`);
    } catch (problem) {
      setText(this.status, problem.message);
    }
    await this.load();
  }
}
