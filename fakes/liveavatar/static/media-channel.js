// The connection to fakes/liveavatar that stands in for the LiveKit room: commands out, events and audio in.
// Protocol: see fakes/liveavatar/media_socket.py.

export class MediaChannel {
  constructor(url) {
    this.url = url;
    this.socket = null;
    this.info = null;
    this.closedByUs = false;
    this.onJson = () => {};
    this.onBinary = () => {};
    this.onClose = () => {};
  }

  get open() {
    return this.socket !== null && this.socket.readyState === WebSocket.OPEN;
  }

  // Resolves with the service's session.info once the avatar is there; rejects if the socket fails first.
  connect(timeoutMs = 30000) {
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (message) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(message));
        }
      };
      const timer = setTimeout(() => {
        fail("Timed out waiting for the avatar to join");
        this.close();
      }, timeoutMs);
      const socket = new WebSocket(this.url);
      socket.binaryType = "arraybuffer";
      this.socket = socket;
      socket.onmessage = (event) => {
        if (typeof event.data !== "string") {
          this.onBinary(event.data);
          return;
        }
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          console.error("liveavatar stand-in: unreadable message", error);
          return;
        }
        if (!settled && message.type === "session.info") {
          settled = true;
          clearTimeout(timer);
          this.info = message;
          resolve(message);
          return;
        }
        this.onJson(message);
      };
      socket.onclose = (event) => {
        fail(`Media connection closed before the avatar joined (${event.code} ${event.reason})`);
        if (!this.closedByUs) this.onClose(event);
      };
      socket.onerror = () => fail("Media connection failed");
    });
  }

  sendJson(message) {
    if (this.open) this.socket.send(JSON.stringify(message));
  }

  sendBinary(data) {
    if (this.open) this.socket.send(data);
  }

  close() {
    this.closedByUs = true;
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) this.socket.close(1000, "client closing");
  }
}
