// signalling.js: the WebSocket to the fake meeting service, with request/response correlation.

class Signalling {
  constructor(baseUrl, onMessage, onClose) {
    this.url = baseUrl.replace(/^http/, 'ws') + '/sdk/ws';
    this.onMessage = onMessage;
    this.onClose = onClose;
    this.socket = null;
    this.nextId = 1;
    this.pending = new Map();
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url);
      this.socket = socket;
      socket.onopen = () => resolve();
      socket.onerror = () => reject(new Error(`cannot reach the meeting service at ${this.url}`));
      socket.onmessage = (event) => {
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (e) {
          return;
        }
        if (message.op === 'response') {
          const waiter = this.pending.get(message.id);
          if (waiter) {
            this.pending.delete(message.id);
            if (message.ok) waiter.resolve(message.value === undefined ? '' : message.value);
            else waiter.reject(message.error);
          }
          return;
        }
        this.onMessage(message);
      };
      socket.onclose = () => {
        for (const waiter of this.pending.values()) waiter.reject(FAIL.closed());
        this.pending.clear();
        if (this.socket === socket) this.onClose();
      };
    });
  }

  send(message) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
    }
  }

  request(method, params = {}) {
    if (!this.socket || this.socket.readyState !== WebSocket.OPEN) return Promise.reject(FAIL.closed());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ op: 'request', id, method, params });
    });
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    if (socket) socket.close();
  }
}
