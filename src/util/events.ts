// A tiny event emitter. Espruino gives every object on/emit, but its emit is queued,
// takes at most 4 arguments and stores listeners as enumerable "#on..." properties;
// Node's is synchronous. Our own keeps the board and the emulator the same.
// Listeners are added for the board's life (no off(): nothing removes one, and each method
// costs JsVars for life). Written as a constructor and two prototype methods, not a class: Babel wraps a class
// in a closure whose scope the board keeps for life (~15 JsVars more), and the listener
// table's name ends in "_" (the build shortens it: each instance holds the name). An event
// with one listener holds the function itself, an array only from the second one on.
export type Listener = (a?: any, b?: any) => void;

export interface Emitter {
  on(event: string, fn: Listener): this;
  emit(event: string, a?: any, b?: any): void;
}

export const Emitter: new () => Emitter = function (this: any) {
  this.l_ = {};
} as any;

Object.assign(Emitter.prototype, {
  on(this: any, event: string, fn: Listener) {
    const l = this.l_[event];
    this.l_[event] = l ? ([] as any[]).concat(l, fn) : fn;
    return this;
  },

  emit(this: any, event: string, a?: any, b?: any) {
    const l = this.l_[event];
    // A copy, so a listener may remove itself while we iterate.
    if (l) ([] as Listener[]).concat(l).forEach((fn) => fn(a, b));
  },
});
