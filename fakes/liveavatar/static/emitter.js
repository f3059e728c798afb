// A small EventEmitter with the API of Node's `events` package, which the real SDK's classes extend.

export class EventEmitter {
  constructor() {
    this._listeners = new Map();
    this._maxListeners = 10;
  }

  _list(name) {
    let list = this._listeners.get(name);
    if (!list) {
      list = [];
      this._listeners.set(name, list);
    }
    return list;
  }

  addListener(name, listener) {
    this._list(name).push({ listener, once: false });
    return this;
  }

  on(name, listener) {
    return this.addListener(name, listener);
  }

  prependListener(name, listener) {
    this._list(name).unshift({ listener, once: false });
    return this;
  }

  once(name, listener) {
    this._list(name).push({ listener, once: true });
    return this;
  }

  prependOnceListener(name, listener) {
    this._list(name).unshift({ listener, once: true });
    return this;
  }

  removeListener(name, listener) {
    const list = this._listeners.get(name);
    if (list) {
      const index = list.findIndex((entry) => entry.listener === listener);
      if (index >= 0) list.splice(index, 1);
      if (list.length === 0) this._listeners.delete(name);
    }
    return this;
  }

  off(name, listener) {
    return this.removeListener(name, listener);
  }

  removeAllListeners(name) {
    if (name === undefined) this._listeners.clear();
    else this._listeners.delete(name);
    return this;
  }

  emit(name, ...args) {
    const list = this._listeners.get(name);
    if (!list || list.length === 0) return false;
    for (const entry of [...list]) {
      if (entry.once) this.removeListener(name, entry.listener);
      try {
        entry.listener.apply(this, args);
      } catch (error) {
        // One faulty handler must not stop the others (Node would rethrow; a page must keep running).
        console.error(`liveavatar stand-in: a "${String(name)}" listener threw`, error);
      }
    }
    return true;
  }

  listeners(name) {
    return (this._listeners.get(name) || []).map((entry) => entry.listener);
  }

  rawListeners(name) {
    return this.listeners(name);
  }

  listenerCount(name) {
    return (this._listeners.get(name) || []).length;
  }

  eventNames() {
    return [...this._listeners.keys()];
  }

  setMaxListeners(count) {
    this._maxListeners = count;
    return this;
  }

  getMaxListeners() {
    return this._maxListeners;
  }
}
