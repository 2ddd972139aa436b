// A tiny event emitter. Espruino gives every object on/emit, but its emit is queued,
// takes at most 4 arguments and stores listeners as enumerable "#on..." properties;
// Node's is synchronous. Our own keeps the board and the emulator the same.
// Written as a constructor and three prototype methods, not a class: Babel wraps a class
// in a closure whose scope the board keeps for life (~15 JsVars more), and the listener
// table's name ends in "_" (the build shortens it: each instance holds the name).
export type Listener = (a?: any, b?: any) => void;

export interface Emitter {
  on(event: string, fn: Listener): this;
  off(event: string, fn: Listener): this;
  emit(event: string, a?: any, b?: any): void;
}

export const Emitter: new () => Emitter = function (this: any) {
  this.l_ = {};
} as any;

Object.assign(Emitter.prototype, {
  on(this: any, event: string, fn: Listener) {
    (this.l_[event] || (this.l_[event] = [])).push(fn);
    return this;
  },

  off(this: any, event: string, fn: Listener) {
    const list = this.l_[event];
    const i = list ? list.indexOf(fn) : -1;
    if (i >= 0) list.splice(i, 1);
    return this;
  },

  emit(this: any, event: string, a?: any, b?: any) {
    const list = this.l_[event];
    // A copy, so a listener may remove itself while we iterate.
    if (list) list.slice().forEach((fn: Listener) => fn(a, b));
  },
});
