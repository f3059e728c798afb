// Reports to the farm through the Playwright binding window.avatarfarmReport: every state transition,
// events (transcripts, avatar requests and releases, breakout moves, broadcasts), and a heartbeat every 2 s
// with media stats and, every 5 s, a small JPEG thumbnail of what the bot sends as its camera.
// The farm reads them with the models of farm/room/page_messages.py; names of states and kinds come from
// vocabulary.js (state/vocabulary.py). Without the binding (a person opening the page by hand) messages go to
// the console. The last 200 are kept in window.__avatarfarmReports for debugging.

/**
 * @typedef {{type: "state", state: string, reason: string|null, reason_text: string|null,
 *            detail: {room?: string|null, why?: string}, at: number}} StateReport
 * @typedef {{type: "event", kind: string, detail: object, at: number}} EventReport
 * @typedef {{state: string|null, room: string|null, humans_in_room: number, avatar_ready: boolean,
 *            avatar_talking: boolean, avatar_session_id: string|null, muted_by_host: boolean,
 *            mic_open: boolean, level_in: number, level_out: number}} HeartbeatStats
 * @typedef {{type: "heartbeat", state: string|null, stats: HeartbeatStats, thumbnail?: string, at: number}} Heartbeat
 * @typedef {StateReport | EventReport | Heartbeat} PageReport
 * @typedef {Omit<StateReport, "at"> | Omit<EventReport, "at"> | Omit<Heartbeat, "at">} UnstampedReport
 */

const KEEP = 200;
// The heartbeat says the page is alive: it never waits on media stats (WebRTC's getStats, which a starved or
// stuck peer connection can keep pending) longer than this; it then carries the last stats it had.
const STATS_WAIT_MS = 1000;

export class Reporter {
  /**
   * @param {AvatarfarmBridge} bridge
   * @param {{heartbeatMs?: number, thumbnailMs?: number}} [options]
   */
  constructor(bridge, { heartbeatMs = 2000, thumbnailMs = 5000 } = {}) {
    this.bridge = bridge;
    this.heartbeatMs = heartbeatMs;
    this.thumbnailMs = thumbnailMs;
    this.lastThumbnailAt = 0;
    this.timer = null;
    this.extra = () => ({});
    this.currentState = null;
    /** @type {object} */
    this.lastStats = {};
    /** When the page last sent a heartbeat (Date.now()), for the farm's pulse question. @type {number|null} */
    this.lastHeartbeatAt = null;
    window.__avatarfarmReports = window.__avatarfarmReports || [];
  }

  /** @param {UnstampedReport} message */
  send(message) {
    const stamped = { ...message, at: Date.now() };
    if (message.type === "heartbeat") this.lastHeartbeatAt = stamped.at;
    const log = window.__avatarfarmReports;
    log.push(stamped);
    if (log.length > KEEP) log.splice(0, log.length - KEEP);
    if (typeof window.avatarfarmReport === "function") {
      Promise.resolve(window.avatarfarmReport(stamped)).catch(() => {});
    } else {
      console.info("avatarfarm report", JSON.stringify(stamped).slice(0, 500));
    }
  }

  state(state, { reason = null, reasonText = null, detail = {} } = {}) {
    this.currentState = state;
    this.send({ type: "state", state, reason, reason_text: reasonText, detail });
  }

  event(kind, detail = {}) {
    this.send({ type: "event", kind, detail });
  }

  async heartbeat() {
    const fresh = this.bridge.stats().then((stats) => (this.lastStats = stats));
    /** @type {Promise<object>} */
    const stale = new Promise((resolve) => setTimeout(() => resolve(this.lastStats), STATS_WAIT_MS));
    const stats = { ...(await Promise.race([fresh, stale])), ...this.extra() };
    /** @type {Omit<Heartbeat, "at">} */
    const message = { type: "heartbeat", state: this.currentState, stats: /** @type {HeartbeatStats} */ (stats) };
    const now = Date.now();
    if (now - this.lastThumbnailAt >= this.thumbnailMs) {
      message.thumbnail = this.bridge.thumbnail(160);
      this.lastThumbnailAt = now;
    }
    this.send(message);
  }

  start(extra) {
    if (extra) this.extra = extra;
    this.stop();
    const beat = () => this.heartbeat().catch((error) => console.warn("avatarfarm heartbeat failed", error));
    beat();
    this.timer = setInterval(beat, this.heartbeatMs);
  }

  stop() {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
