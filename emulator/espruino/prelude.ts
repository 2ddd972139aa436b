// JavaScript run INSIDE the sandbox realm at power-on. It trims the realm's built-ins to
// Espruino 2v29's set and installs the realm-side halves of Espruino's globals (events on
// every object, Date on the emulated wall clock, Error quirks). Host-side halves arrive in
// `host` (see sandbox.ts). Written as plain ES5-ish code because it runs in the realm.
export const PRELUDE = String.raw`
(function (host) {
  "use strict";
  var g = globalThis;
  var RD = Date, RDUTC = Date.UTC, RDparse = Date.parse, Rconstruct = Reflect.construct;
  var defineProperty = Object.defineProperty;
  var RP = Promise, RPthen = Promise.prototype.then;
  function hide(o, k, v) { defineProperty(o, k, { value: v, writable: true, configurable: true, enumerable: false }); }

  // ---------- globals: keep only what Espruino 2v29 has ----------
  var keep = ["Object", "Function", "Array", "Number", "parseFloat", "parseInt", "Infinity", "NaN",
    "undefined", "Boolean", "String", "Promise", "RegExp", "Error", "TypeError", "SyntaxError",
    "ReferenceError", "JSON", "Math", "ArrayBuffer", "DataView", "Uint8Array", "Int8Array",
    "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array",
    "Float64Array", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent", "encodeURI",
    "decodeURI", "eval", "globalThis"];
  Object.getOwnPropertyNames(g).forEach(function (k) {
    if (keep.indexOf(k) < 0) { try { delete g[k]; } catch (e) {} }
  });

  // ---------- static and prototype methods Espruino lacks ----------
  function drop(o, names) { names.forEach(function (n) { try { delete o[n]; } catch (e) {} }); }
  drop(Array, ["from", "of"]);
  drop(Math, ["imul"]);
  // Number.MAX_SAFE_INTEGER / MIN_SAFE_INTEGER are non-configurable in V8: they stay (the build's
  // dialect gate catches them).
  drop(Number, ["isInteger", "isSafeInteger"]);
  drop(Object, ["freeze", "seal", "is", "isFrozen", "isSealed"]);
  drop(Object.prototype, ["propertyIsEnumerable"]);
  drop(Object.getPrototypeOf(Uint8Array), ["from", "of"]);
  drop(String, ["raw", "fromCodePoint"]);
  drop(Promise, ["race", "allSettled", "any"]);
  drop(Promise.prototype, ["finally"]);
  drop(ArrayBuffer, ["isView"]);
  drop(ArrayBuffer.prototype, ["slice"]);
  // Typed arrays' slice() returns a plain Array on Espruino (measured on the 2v29 Linux
  // build), so bytes copied with slice() lose their type; use new Uint8Array(a.subarray()).
  var typedProto = Object.getPrototypeOf(Uint8Array.prototype);
  Object.defineProperty(typedProto, "slice", { configurable: true, writable: true, value: function (start, end) {
    return [].slice.call(this, start, end);
  } });
  // subarray() does not clamp its end on Espruino (measured: [1,2,3].subarray(1,10) has 9
  // elements, the rest read from whatever follows in memory). Inside the buffer the view is
  // made as the board makes it; past the buffer the emulator throws instead of reading junk.
  var nSub = typedProto.subarray;
  Object.defineProperty(typedProto, "subarray", { configurable: true, writable: true, value: function subarray(b, e) {
    var len = this.length;
    b = b === undefined ? 0 : b | 0;
    if (b < 0) b = Math.max(0, b + len);
    e = e === undefined ? len : e | 0;
    if (e < 0) e += len;
    if (e <= len || e <= b) return nSub.call(this, b, e);
    var size = this.BYTES_PER_ELEMENT, at = this.byteOffset + b * size;
    if (at + (e - b) * size <= this.buffer.byteLength) return new this.constructor(this.buffer, at, e - b);
    throw new Error("subarray(" + b + ", " + e + ") of " + len + " elements: Espruino does not clamp the end and reads past the buffer");
  } });
  drop(String.prototype, ["codePointAt", "trimStart", "trimEnd", "trimLeft", "trimRight", "at",
    "localeCompare", "normalize", "search", "matchAll", "isWellFormed", "toWellFormed"]);
  drop(Array.prototype, ["flat", "flatMap", "lastIndexOf", "reduceRight", "findLast", "findLastIndex",
    "keys", "values", "entries", "at", "toSorted", "toReversed", "toSpliced", "with"]);

  // String.fromCharCode is 8-bit on Espruino (0x263A -> 0x3A).
  var fcc = String.fromCharCode;
  hide(String, "fromCharCode", function fromCharCode() {
    var a = [];
    for (var i = 0; i < arguments.length; i++) a.push(Number(arguments[i]) & 255);
    return fcc.apply(String, a);
  });

  // JSON: replacer and reviver are ignored.
  var stringify = JSON.stringify, parse = JSON.parse;
  hide(JSON, "stringify", function stringify_(v, replacer, indent) { return stringify(v, undefined, indent); });
  hide(JSON, "parse", function parse_(s) { return parse(s); });

  // ---------- errors: no RangeError, no .name, subclasses are not instanceof Error ----------
  function InternalError(message) {
    if (!(this instanceof InternalError)) return new InternalError(message);
    this.message = message === undefined ? "" : String(message);
  }
  hide(g, "InternalError", InternalError);
  delete Error.prototype.name;
  hide(Error.prototype, "toString", function () { return "Error: " + this.message; });
  ["TypeError", "SyntaxError", "ReferenceError", "InternalError"].forEach(function (n) {
    var C = g[n];
    Object.setPrototypeOf(C.prototype, Object.prototype);
    try { delete C.prototype.name; } catch (e) {}
    hide(C.prototype, "toString", function () { return n + ": " + this.message; });
    if (!("message" in C.prototype)) hide(C.prototype, "message", "");
  });

  // ---------- events on every object (queued, max 4 args, listeners in "#on<evt>") ----------
  var OP = Object.prototype;
  function parentCheck(o) {
    if (o === null || o === undefined || (typeof o !== "object" && typeof o !== "function"))
      throw new TypeError("Parent must be an object - not a String, Integer, etc");
  }
  function onX(obj, evt, fn, first) {
    parentCheck(obj);
    if (typeof evt !== "string") throw new TypeError("First argument must be String");
    if (typeof fn !== "function" && typeof fn !== "string")
      throw new TypeError("Second argument must be a function or a String");
    var k = "#on" + evt, old = obj[k], arr = first ? [fn] : [];
    if (old) for (var i = 0; i < old.length; i++) arr.push(old[i]);
    if (!first) arr.push(fn);
    obj[k] = arr; // a NEW array: a listener added while emitting is not called by that emit
    host.listenerAdded(obj, evt);
  }
  hide(OP, "on", function on(evt, fn) { onX(this, evt, fn, false); });
  hide(OP, "addListener", function addListener(evt, fn) { onX(this, evt, fn, false); });
  hide(OP, "prependListener", function prependListener(evt, fn) { onX(this, evt, fn, true); });
  hide(OP, "emit", function emit(evt) {
    parentCheck(this);
    if (typeof evt !== "string") throw new TypeError("First argument must be String");
    if (arguments.length - 1 > 4) throw new TypeError("Too many arguments (>4)");
    var args = [];
    for (var i = 1; i < arguments.length; i++) args.push(arguments[i]);
    var cb = this["#on" + evt];
    if (cb) host.queue(cb, this, args);
  });
  hide(OP, "removeListener", function removeListener(evt, fn) {
    parentCheck(this);
    if (typeof evt !== "string") throw new TypeError("First argument must be String");
    var list = this["#on" + evt];
    if (list && list.indexOf) { var i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); }
  });
  hide(OP, "removeAllListeners", function removeAllListeners(evt) {
    parentCheck(this);
    if (evt === undefined) {
      for (var k in this) if (k.indexOf("#on") === 0) delete this[k];
    } else delete this["#on" + evt];
  });

  // ---------- Date on the emulated wall clock, with E.setTimeZone ----------
  var tzMin = 0;
  host.setTz = function (m) { tzMin = m; };
  function EDate(a, b, c, d, e, f, ms) {
    var n = arguments.length, t;
    if (n === 0) t = host.wall();
    else if (n === 1) t = typeof a === "string" ? RDparse(a) : (a instanceof RD ? a.getTime() : Number(a));
    else t = RDUTC(a, b, n > 2 ? c : 1, n > 3 ? d : 0, n > 4 ? e : 0, n > 5 ? f : 0, n > 6 ? ms : 0) - tzMin * 60000;
    return Rconstruct(RD, [t], EDate);
  }
  var DP = RD.prototype;
  EDate.prototype = DP;
  hide(DP, "constructor", EDate);
  hide(EDate, "now", function now() { return host.wall(); });
  hide(EDate, "parse", function parse(s) { return RDparse(s); });
  function shifted(d) { return new RD(RD.prototype.getTime.call(d) + tzMin * 60000); }
  ["FullYear", "Month", "Date", "Day", "Hours", "Minutes", "Seconds", "Milliseconds"].forEach(function (f) {
    var get = DP["getUTC" + f];
    hide(DP, "get" + f, function () { return get.call(shifted(this)); });
    var set = DP["setUTC" + f];
    if (set) hide(DP, "set" + f, function () {
      var s = shifted(this);
      set.apply(s, arguments);
      return DP.setTime.call(this, s.getTime() - tzMin * 60000);
    });
  });
  hide(DP, "getTimezoneOffset", function () { return -tzMin; });
  var DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function p2(x) { return (x < 10 ? "0" : "") + x; }
  hide(DP, "toString", function () {
    var s = shifted(this), o = Math.abs(tzMin);
    return DAYS[s.getUTCDay()] + " " + MONTHS[s.getUTCMonth()] + " " + s.getUTCDate() + " " + s.getUTCFullYear() +
      " " + p2(s.getUTCHours()) + ":" + p2(s.getUTCMinutes()) + ":" + p2(s.getUTCSeconds()) +
      " GMT" + (tzMin < 0 ? "-" : "+") + p2((o / 60) | 0) + p2(o % 60);
  });
  hide(DP, "toUTCString", function () {
    return DAYS[this.getUTCDay()] + ", " + this.getUTCDate() + " " + MONTHS[this.getUTCMonth()] + " " +
      this.getUTCFullYear() + " " + p2(this.getUTCHours()) + ":" + p2(this.getUTCMinutes()) + ":" +
      p2(this.getUTCSeconds()) + " GMT";
  });
  drop(DP, ["toLocaleString", "toLocaleDateString", "toLocaleTimeString", "toTemporalInstant"]);
  hide(g, "Date", EDate);

  // ---------- RegExp: Espruino's own matcher (emulator/espruino/regexp.ts), not V8's ----------
  // test(), match(), replace() and split() all go through exec (the spec's RegExpExec).
  var RXP = RegExp.prototype, gd = Object.getOwnPropertyDescriptor;
  var flagsOf = gd(RXP, "flags").get, sourceOf = gd(RXP, "source").get, stickyOf = gd(RXP, "sticky").get;
  hide(RXP, "exec", function exec(s) {
    var str = String(s), flags = flagsOf.call(this);
    var r = host.regexExec(sourceOf.call(this), flags, str, this.lastIndex | 0, stickyOf.call(this));
    this.lastIndex = r.lastIndex;
    if (!r.match) return null;
    var m = r.match, a = [str.slice(m.index, m.end)];
    for (var i = 0; i < m.groups.length; i++) a.push(str.slice(m.groups[i][0], m.groups[i][1]));
    a.index = m.index;
    a.input = str;
    return a;
  });

  // split(regex) as jswrap_string_split: no captured groups in the result; a pattern that
  // matches empty where it stands loops forever on the board, so here it throws.
  var nSplit = String.prototype.split;
  hide(String.prototype, "split", function split(sep, limit) {
    if (!(sep instanceof RegExp)) return nSplit.call(this, sep, limit);
    var s = String(this), out = [], last = 0, m, prev = -1;
    sep.lastIndex = 0;
    while ((m = sep.exec(s)) !== null) {
      if (!m[0].length && m.index === prev) throw new Error("split(" + sep + ") matches nothing at " + prev + ": Espruino loops forever here");
      prev = m.index;
      out.push(s.slice(last, m.index));
      last = m.index + m[0].length;
      sep.lastIndex = last;
    }
    sep.lastIndex = 0;
    if (last <= s.length) out.push(s.slice(last));
    return out;
  });

  // ---------- String indexOf: a needle running past the end still matches (2v29) ----------
  // jswrap_string_indexOf compares with equalAtEndOfString: "abc".indexOf("cd") == 2 (measured),
  // so "abc".includes("cd") is true; "".indexOf("") is -1.
  var nIndexOf = String.prototype.indexOf;
  function indexOf(sub, from) {
    var s = String(this), t = String(sub), i = 0, end = s.length - t.length + 1;
    if (t.length > s.length) return -1;
    if (typeof from == "number") { i = from | 0; if (i < 0) i = 0; if (i > end) i = end; }
    if (!t.length) return i < s.length ? i : -1; // the board looks only where a char is
    var whole = nIndexOf.call(s, t, i); // a whole match comes before any partial one at the end
    if (whole >= 0) return whole;
    for (i = Math.max(i, end); i < s.length; i++) {
      var n = Math.min(t.length, s.length - i);
      if (s.substr(i, n) === t.substr(0, n)) return i;
    }
    return -1;
  }
  hide(String.prototype, "indexOf", indexOf);
  hide(String.prototype, "includes", function includes(sub, from) { return indexOf.call(this, sub, from) >= 0; });

  // ---------- Promise: "Uncaught Error: Unhandled promise rejection" instead of Node's handler ----------
  // A promise that may end rejected (its reject function was called, or it was resolved with a
  // thenable) gets an internal rejection handler, so Node never sees an unhandled rejection; a
  // rejection nobody handles through then/catch is reported as Espruino prints it. V8 settles
  // the promises then() makes through the functions their constructor hands out, so wrapping
  // those covers every promise. (Promises resolved with a plain value, most of them, cost no
  // extra handler; whether then() was called is a private field.)
  var internal = false, isHandled;
  function watch(p) {
    internal = true;
    try {
      RPthen.call(p, undefined, function (reason) {
        host.later(function () { if (!isHandled(p)) host.unhandled(reason); });
      });
    } finally { internal = false; }
  }
  class EPromise extends RP {
    #handled = false;
    static { isHandled = function (p) { return p.#handled; }; }
    constructor(executor) {
      if (internal || typeof executor !== "function") { super(executor); return; }
      var self, state = 0; // 1: to watch once constructed, 2: watched
      function mark() {
        if (state === 2) return;
        if (self) { state = 2; watch(self); } else state = 1;
      }
      super(function (resolve, reject) {
        function rej(r) { mark(); reject(r); }
        try {
          executor(function (v) {
            if (v && (typeof v === "object" || typeof v === "function")) mark();
            resolve(v);
          }, rej);
        } catch (e) { rej(e); }
      });
      self = this;
      if (state === 1) mark();
    }
    then(a, b) {
      if (#handled in this) this.#handled = true;
      return RPthen.call(this, a, b);
    }
  }
  hide(g, "Promise", EPromise);

  hide(g, "global", g);
})
`;
