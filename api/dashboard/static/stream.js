// The live event stream (Server-Sent Events through EventSource). EventSource reconnects by itself and sends
// Last-Event-ID, so the server replays what was missed; when the browser gives up (the server was away or
// answered with an error), this reopens the stream with ?since=<last id seen>, with a growing pause.

// Events are named by their kind; EventSource only delivers names it listens for. The kinds come from
// state/vocabulary.py (STREAMED_EVENT_KINDS): every stored kind but the bot page's console lines, which are many
// and change nothing on screen (they still move Last-Event-ID along).
import { STREAMED_EVENT_KINDS } from "/bot-assets/js/vocabulary.js";

export const EVENT_KINDS = STREAMED_EVENT_KINDS;

export class EventStream {
  constructor(url, { onEvent, onState = () => {}, onOpen = () => {}, beforeReconnect = async () => {} }) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onOpen = onOpen;
    this.beforeReconnect = beforeReconnect;
    this.lastId = null;
    this.source = null;
    this.pause = 1000;
    this.opens = 0;
  }

  start() {
    this.connect();
    return this;
  }

  connect() {
    const separator = this.url.includes("?") ? "&" : "?";
    const url = this.lastId === null ? this.url : `${this.url}${separator}since=${this.lastId}`;
    const source = new EventSource(url);
    this.source = source;
    this.onState("connecting");
    source.addEventListener("open", () => {
      this.pause = 1000;
      this.opens += 1;
      this.onState("live");
      this.onOpen(this.opens);
    });
    source.addEventListener("error", () => {
      if (source !== this.source) return;
      this.onState("reconnecting");
      if (source.readyState === EventSource.CLOSED) this.reopenLater();
    });
    const handle = (message) => this.handle(message);
    for (const kind of EVENT_KINDS) source.addEventListener(kind, handle);
    source.addEventListener("message", handle);
  }

  reopenLater() {
    this.source?.close();
    const pause = this.pause;
    this.pause = Math.min(this.pause * 2, 15000);
    setTimeout(async () => {
      try {
        await this.beforeReconnect();
      } finally {
        this.connect();
      }
    }, pause);
  }

  handle(message) {
    const id = message.lastEventId ? Number(message.lastEventId) : Number.NaN;
    if (Number.isFinite(id) && this.lastId !== null && id <= this.lastId) return;
    if (Number.isFinite(id) && id > 0) this.lastId = id;
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      return;
    }
    this.onEvent(event);
  }

  close() {
    this.source?.close();
    this.source = null;
  }
}
