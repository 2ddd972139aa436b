// The tiny event emitter (src/util/events.ts) behind network.events and the mDNS responder.
import assert from "node:assert/strict";
import { Emitter } from "../src/util/events.ts";

describe("util/events: Emitter", function () {
  it("calls an event's listeners in the order added, with up to two arguments, synchronously", function () {
    const e = new Emitter();
    const got: string[] = [];
    e.on("x", (a, b) => got.push("1:" + a + b)).on("x", (a) => got.push("2:" + a)).on("x", () => got.push("3"));
    e.emit("x", "a", "b");
    assert.deepEqual(got, ["1:ab", "2:a", "3"]);
  });

  it("keeps events apart, one listener or several; an event nobody listens to is fine", function () {
    const e = new Emitter();
    const got: string[] = [];
    e.on("one", (a) => got.push("one " + a));
    e.on("two", (a) => got.push("two " + a)).on("two", (a) => got.push("two again " + a));
    e.emit("nobody");
    e.emit("one", 1);
    e.emit("two", 2);
    assert.deepEqual(got, ["one 1", "two 2", "two again 2"]);
  });

  it("a listener added while an event is emitted is called from the next emit on", function () {
    const e = new Emitter();
    let late = 0;
    e.on("x", () => e.on("x", () => late++));
    e.emit("x");
    assert.equal(late, 0);
    e.emit("x");
    assert.equal(late, 1);
  });

  it("instances do not share listeners (subclasses too)", function () {
    class Sub extends Emitter {}
    const a = new Emitter(), b = new Sub();
    let n = 0;
    a.on("x", () => n++);
    b.emit("x");
    assert.equal(n, 0);
    a.emit("x");
    assert.equal(n, 1);
    assert.equal(typeof b.on, "function");
  });
});
