// One room of the grid: name, student, live thumbnail, state in colour, avatar and talking indicators, time in
// the room, credits; it expands to the room's controls, media stats, live transcript and timeline of events.

import { api } from "./api.js";
import { el, fact, setText } from "./dom.js";
import { RoomPins } from "./pins.js";
import {
  avatarPresent,
  clock,
  colourOf,
  moneyLine,
  eventWords,
  inTimeline,
  level,
  number,
  reasonWords,
  stateLine,
  timeInRoom,
} from "./format.js";

export class RoomCard {
  constructor(sessionId, room) {
    this.sessionId = sessionId;
    this.room = room;
    this.expanded = false;
    this.detailTimer = null;
    this.path = `/api/sessions/${encodeURIComponent(sessionId)}/rooms/${encodeURIComponent(room.id)}`;
    this.build();
    this.update(room);
  }

  build() {
    const id = `room-${this.room.id}`;
    this.nameNode = el("h3", { class: "room-name", id: `${id}-name` });
    this.studentNode = el("span", { class: "student-name" });
    this.studentLabel = el("span", { class: "student-label", text: "Expected student: " });
    this.image = el("img", { class: "thumb-img", alt: "", width: 160, height: 90, hidden: true });
    this.noPicture = el("span", { class: "thumb-empty", text: "No picture yet" });
    this.avatarBadge = el("span", { class: "indicator avatar" });
    this.talkingBadge = el("span", { class: "indicator talking" });
    this.stateText = el("span", { class: "state-text" });
    this.reasonNode = el("p", { class: "reason", hidden: true });
    const time = fact("Live for", "time-in-room");
    const credits = fact("Credits", "credits");
    const node = fact("Browser node", "browser-node");
    this.timeNode = time.value;
    this.timeFact = time.node;
    this.creditsNode = credits.value;
    this.browserNode = node;
    this.expandButton = el("button", {
      type: "button",
      class: "expand",
      "aria-expanded": "false",
      "aria-controls": `${id}-details`,
      text: "Details and controls",
    });
    this.expandButton.addEventListener("click", () => this.toggle());
    this.details = this.buildDetails(`${id}-details`);
    this.node = el(
      "li",
      { class: "room-card", "data-room-id": this.room.id },
      el(
        "article",
        { "aria-labelledby": `${id}-name` },
        el(
          "div",
          { class: "card-main" },
          el("div", { class: "thumb" }, this.image, this.noPicture),
          el(
            "div",
            { class: "card-text" },
            this.nameNode,
            el("p", { class: "student" }, this.studentLabel, this.studentNode),
            el("p", { class: "state" }, el("span", { class: "state-dot", "aria-hidden": "true" }), this.stateText),
            this.reasonNode,
            el("p", { class: "indicators" }, this.avatarBadge, this.talkingBadge),
            el("dl", { class: "room-facts" }, time.node, credits.node, node.node),
            this.expandButton,
          ),
        ),
        this.details,
      ),
    );
  }

  buildDetails(id) {
    const sayId = `${id}-say`;
    const contextId = `${id}-context`;
    this.sayInput = el("input", { id: sayId, type: "text", maxlength: 1000, autocomplete: "off" });
    const sayForm = el(
      "form",
      { class: "say-form" },
      el("label", { for: sayId, text: "Say (the avatar speaks it word for word)" }),
      el("div", { class: "inline" }, this.sayInput, el("button", { type: "submit", text: "Say" })),
    );
    sayForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = this.sayInput.value.trim();
      this.command("say", "POST", "/say", { text }, () => {
        this.sayInput.value = "";
      });
    });
    const button = (label, className, action) => {
      const node = el("button", { type: "button", class: className, text: label });
      node.addEventListener("click", action);
      return node;
    };
    this.contextInput = el("textarea", { id: contextId, rows: 2, maxlength: 20000 });
    const contextForm = el(
      "form",
      { class: "context-form" },
      el("label", { for: contextId, text: "Instructions for this room's avatar" }),
      this.contextInput,
      el("button", { type: "submit", text: "Update instructions" }),
    );
    contextForm.addEventListener("submit", (event) => {
      event.preventDefault();
      this.command("instructions", "PUT", "/context", { text: this.contextInput.value.trim() });
    });
    this.controlStatus = el("p", { class: "control-status", role: "status" });
    const stats = [
      ["Camera out", "stat-video"],
      ["Voice out", "stat-level-out"],
      ["Room audio in", "stat-level-in"],
      ["People in the room", "stat-people"],
      ["Avatar", "stat-avatar"],
      ["Last heartbeat", "stat-updated"],
    ].map(([label, className]) => fact(label, className));
    this.stats = Object.fromEntries(stats.map((s) => [s.value.className, s.value]));
    this.transcript = el("ol", { class: "transcript", role: "log", "aria-label": "Transcript" });
    const download = (suffix, label) =>
      el("a", { href: `${this.path}/transcript${suffix}`, download: true, "aria-label": `Transcript of ${this.room.name} as ${label}`, text: label });
    const downloads = el("p", { class: "transcript-downloads" }, "Download: ", download(".md", "Markdown"), " · ", download(".vtt", "WebVTT"));
    this.timeline = el("ol", { class: "timeline", "aria-label": "Timeline of events" });
    this.passages = el("div", { class: "passages-box" }, el("p", { class: "hint", text: "No course passages given yet." }));
    this.pins = new RoomPins(this.path, this.room.name);
    return el(
      "div",
      { class: "room-details", id, hidden: true },
      el(
        "section",
        { class: "controls", "aria-label": "Controls" },
        el("h4", { text: "Controls" }),
        sayForm,
        el(
          "div",
          { class: "buttons" },
          button("Interrupt", "interrupt", () => this.command("interrupt", "POST", "/interrupt")),
          button("Restart the bot", "restart", () => this.command("restart", "POST", "/restart")),
          button("Leave the room", "leave danger", () => this.command("leave", "POST", "/leave")),
        ),
        contextForm,
        this.controlStatus,
      ),
      el("section", { class: "media" }, el("h4", { text: "Media" }), el("dl", { class: "media-stats" }, ...stats.map((s) => s.node))),
      el("section", { class: "transcript-box" }, el("h4", { text: "Transcript" }), this.transcript, downloads),
      el("section", { class: "timeline-box" }, el("h4", { text: "Timeline" }), this.timeline),
      el("section", { class: "passages-section", "aria-label": "Course passages" }, el("h4", { text: "Course passages" }), this.passages, this.pins.node),
    );
  }

  update(room) {
    this.room = room;
    const colour = colourOf(room);
    this.node.dataset.status = room.status;
    this.node.dataset.colour = colour;
    this.node.className = `room-card colour-${colour}${this.expanded ? " expanded" : ""}`;
    setText(this.nameNode, room.name);
    setText(this.studentNode, room.student?.name ?? "");
    // The session names whom each room is for; whether a person is there is what the bot last saw.
    const someoneThere = room.status === "live" || (room.media?.people_in_room ?? 0) > 0;
    setText(this.studentLabel, someoneThere ? "Student: " : "Expected student: ");
    setText(this.stateText, stateLine(room));
    // Why a room failed, ended, or waits without its avatar (paused, muted by the host, not assigned to its
    // breakout room, waiting for the professor) — in words.
    const explained = ["failed", "ended", "idle", "in_main_session", "joining_breakout", "recovering", "live"].includes(
      room.status,
    );
    const reason = explained && room.reason ? reasonWords(room) : "";
    setText(this.reasonNode, reason);
    this.reasonNode.hidden = !reason;
    const present = avatarPresent(room);
    const talking = present && Boolean(room.media?.avatar_talking);
    this.avatarBadge.dataset.on = String(present);
    setText(this.avatarBadge, present ? "Avatar present" : "No avatar");
    this.talkingBadge.dataset.on = String(talking);
    setText(this.talkingBadge, talking ? "Talking" : "Not talking");
    const thumbnail = room.media?.thumbnail_url ?? null;
    if (thumbnail) {
      if (this.image.getAttribute("src") !== thumbnail) this.image.setAttribute("src", thumbnail);
      this.image.alt = `What the bot in ${room.name} sends as its camera`;
      this.image.hidden = false;
      this.noPicture.hidden = true;
    } else {
      this.image.hidden = true;
      this.noPicture.hidden = false;
    }
    setText(this.creditsNode, number(room.usage?.credits, 2));
    this.creditsNode.title = moneyLine(room.usage);
    // Which machine runs the bot matters only when there are several (the local node is the default).
    const onNode = room.node && room.node !== "local" ? room.node : "";
    setText(this.browserNode.value, onNode);
    this.browserNode.node.hidden = !onNode;
    this.tick();
    if (this.expanded) this.renderMedia();
  }

  applyStatus(detail) {
    if (!detail?.status) return;
    this.update({ ...this.room, status: detail.status, reason: detail.reason ?? null, reason_text: detail.reason_text ?? null });
  }

  tick(now = Date.now()) {
    const live = timeInRoom(this.room, now);
    setText(this.timeNode, live);
    this.timeFact.hidden = live === "–"; // how long the avatar has been live: nothing to say while it is not
  }

  renderMedia() {
    const media = this.room.media;
    const s = this.stats;
    if (!media) {
      for (const node of Object.values(s)) setText(node, "–");
      setText(s["stat-updated"], "no heartbeat yet");
      return;
    }
    setText(s["stat-video"], `${number(media.outbound_fps, 0)} fps · ${media.width}×${media.height}`);
    setText(s["stat-level-out"], level(media.level_out));
    setText(s["stat-level-in"], level(media.level_in));
    setText(s["stat-people"], String(media.people_in_room));
    setText(s["stat-avatar"], `${media.avatar_ready ? "ready" : "not ready"}, ${media.avatar_talking ? "talking" : "quiet"}`);
    setText(s["stat-updated"], clock(media.updated_at));
  }

  async toggle() {
    this.expanded = !this.expanded;
    this.expandButton.setAttribute("aria-expanded", String(this.expanded));
    this.details.hidden = !this.expanded;
    this.node.classList.toggle("expanded", this.expanded);
    if (this.expanded) {
      this.renderMedia();
      await this.loadDetails();
    }
  }

  onEvent(event) {
    if (!this.expanded) return;
    if (event.kind === "transcript") this.appendLine(event);
    clearTimeout(this.detailTimer);
    this.detailTimer = setTimeout(() => this.loadDetails(), 150);
  }

  async loadDetails() {
    let detail;
    try {
      detail = await api(this.path);
    } catch (problem) {
      setText(this.controlStatus, problem.message);
      return;
    }
    this.update({ ...this.room, ...detail });
    this.renderTranscript(detail.transcript ?? []);
    this.renderTimeline(detail.events ?? []);
    this.renderPassages(detail.avatar_sessions ?? []);
    await this.pins.load();
    if (detail.context_text && document.activeElement !== this.contextInput && !this.contextInput.value) {
      this.contextInput.value = detail.context_text;
    }
  }

  /** Which course passages each avatar start received, newest start first, with their sources. */
  renderPassages(avatarSessions) {
    const starts = avatarSessions.filter((a) => (a.passages ?? []).length > 0).reverse();
    if (!starts.length) return;
    this.passages.replaceChildren(
      ...starts.map((start, index) =>
        el(
          "details",
          { open: index === 0 },
          el("summary", { text: `Avatar start ${starts.length - index}: ${start.passages.length} passage${start.passages.length === 1 ? "" : "s"}` }),
          el(
            "ol",
            { class: "passages-given" },
            ...start.passages.map((p) => el("li", { title: p.excerpt, text: p.pinned ? `${p.source} (pinned)` : p.source })),
          ),
        ),
      ),
    );
  }

  lineNode(line) {
    return el(
      "li",
      { class: `line role-${line.role}` },
      el("time", { datetime: line.time, text: clock(line.time) }),
      " ",
      el("span", { class: "speaker", text: line.speaker }),
      ": ",
      el("span", { class: "text", text: line.text }),
    );
  }

  renderTranscript(lines) {
    // In the order said: lines filled in from LiveAvatar's transcript arrive after the ones around them.
    const ordered = [...lines].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    const items = ordered.map((line) => this.lineNode(line));
    if (items.length === 0) items.push(el("li", { class: "empty", text: "Nothing said yet." }));
    this.transcript.replaceChildren(...items);
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  // A line from the event stream shows at once; the details reload that follows puts it in its place.
  appendLine(event) {
    const d = event.detail ?? {};
    if (!d.text) return;
    this.transcript.querySelector(".empty")?.remove();
    const time = typeof d.time === "number" ? new Date(d.time * 1000).toISOString() : event.time;
    this.transcript.append(this.lineNode({ role: d.role, speaker: d.speaker ?? d.role, text: d.text, time }));
    this.transcript.scrollTop = this.transcript.scrollHeight;
  }

  renderTimeline(events) {
    const newest = events.filter(inTimeline).sort((a, b) => b.id - a.id);
    const items = newest.map((event) =>
      el(
        "li",
        { "data-kind": event.kind, "data-event-id": event.id },
        el("time", { datetime: event.time, text: clock(event.time) }),
        " ",
        el("span", { class: "what", text: eventWords(event) }),
      ),
    );
    this.timeline.replaceChildren(...items);
  }

  async command(name, method, suffix, body, onDone = () => {}) {
    setText(this.controlStatus, `Sending ${name}…`);
    try {
      await api(this.path + suffix, { method, body });
      setText(this.controlStatus, `${name[0].toUpperCase()}${name.slice(1)} sent.`);
      onDone();
    } catch (problem) {
      const detail = problem.detail?.[0]?.message;
      setText(this.controlStatus, detail && problem.status === 422 ? detail : problem.message);
    }
    if (this.expanded) this.loadDetails();
  }
}
