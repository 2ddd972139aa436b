// A tiny event emitter. Espruino gives every object on/emit, but its emit is queued,
// takes at most 4 arguments and stores listeners as enumerable "#on..." properties;
// Node's is synchronous. Our own keeps the board and the emulator the same.
export type Listener = (a?: any, b?: any) => void;

export class Emitter {
  private listeners: { [event: string]: Listener[] } = {};

  on(event: string, fn: Listener): this {
    (this.listeners[event] || (this.listeners[event] = [])).push(fn);
    return this;
  }

  off(event: string, fn: Listener): this {
    const list = this.listeners[event];
    const i = list ? list.indexOf(fn) : -1;
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  emit(event: string, a?: any, b?: any): void {
    const list = this.listeners[event];
    // A copy, so a listener may remove itself while we iterate.
    if (list) list.slice().forEach((fn) => fn(a, b));
  }
}
