// asyncio streams (src/asyncio/index.ts) on the in-memory platform.
import assert from "node:assert/strict";
import { configure } from "../src/socket/socket.ts";
import * as asyncio from "../src/asyncio/index.ts";
import { FakeNet, settle, bytesOf, textOf, type End } from "./socket-fake-platform.ts";

let net: FakeNet;
let peer: End;

async function connect() {
  net.serve("10.0.0.5", 80, (p) => { peer = p; });
  return asyncio.open_connection("10.0.0.5", 80);
}

describe("asyncio streams", () => {
  beforeEach(() => {
    net = new FakeNet();
    configure(net);
  });

  it("readline splits lines across chunks and returns the rest at EOF", async () => {
    const [r, w] = await connect();
    peer.write(bytesOf("HTTP/1.0 200 OK\r\nConte"));
    await settle();
    peer.write(bytesOf("nt-Length: 3\r\n\r\nabc"));
    peer.end();
    assert.equal(textOf(await r.readline()), "HTTP/1.0 200 OK\r\n");
    assert.equal(textOf(await r.readline()), "Content-Length: 3\r\n");
    assert.equal(textOf(await r.readline()), "\r\n");
    assert.equal(textOf(await r.readline()), "abc");
    assert.equal((await r.readline()).length, 0);
    assert.equal((await r.readline()).length, 0);
    w.close();
  });

  it("readexactly waits for n bytes; a short stream rejects EOF with .partial", async () => {
    const [r, w] = await connect();
    const p = r.readexactly(6);
    peer.write(bytesOf("abc"));
    await settle();
    peer.write(bytesOf("defgh"));
    assert.equal(textOf(await p), "abcdef");
    peer.end();
    let caught: any;
    await r.readexactly(5).catch((e) => { caught = e; });
    assert.equal((await r.read()).length, 0, "the partial bytes were taken");
    assert.equal(caught.code, "EOF");
    assert.match(caught.message, /IncompleteReadError/);
    assert.equal(textOf(caught.partial), "gh");
    assert.equal(caught.expected, 5);
    w.close();
  });

  it("read() reads to EOF; read(n) returns what is there", async () => {
    const [r, w] = await connect();
    peer.write(bytesOf("12345"));
    await settle();
    assert.equal(textOf(await r.read(3)), "123");
    const all = r.read();
    peer.write(bytesOf("678"));
    await settle();
    peer.end();
    assert.equal(textOf(await all), "45678");
    w.close();
  });

  it("write buffers and drain waits while the send buffer is full", async () => {
    const [, w] = await connect();
    const board = net.ends.find((e) => e.board)!;
    board.capacity = 10;
    board.paused = true;
    w.write("0123456789abc"); // over capacity: write() said false
    let drained = false;
    const d = w.drain().then(() => { drained = true; });
    await settle(5);
    assert.equal(drained, false);
    board.resume();
    await d;
    assert.equal(peer.text(), "0123456789abc");
    assert.deepEqual(w.get_extra_info("peername"), ["10.0.0.5", 80]);
    assert.equal(w.get_extra_info("nothing", 7), 7);
    w.close();
    await w.wait_closed();
    assert.throws(() => w.write("x"), { code: "EBADF" });
  });

  it("drain rejects when the peer reset the connection", async () => {
    const [, w] = await connect();
    peer.reset();
    await settle();
    await w.drain().then(() => assert.fail("drain should reject"), (e) => assert.equal(e.code, "ECONNRESET"));
    w.close();
  });

  it("start_server hands each connection to the callback; close stops it", async () => {
    const server = await asyncio.start_server((r, w) => r.readline().then((line) => {
      w.write(line);
      return w.drain().then(() => w.close());
    }), "0.0.0.0", 8888);
    const client = net.dial(8888);
    client.write(bytesOf("echo me\n"));
    for (let i = 0; i < 10 && !client.gotEnd; i++) await settle();
    assert.equal(client.text(), "echo me\n");
    server.close();
    await server.wait_closed();
    await settle();
    assert.equal(net.open, 0);
    assert.throws(() => net.dial(8888), "nobody listens any more");
  });

  it("the reader and the writer are the connected socket; peername and sockname through get_extra_info", async () => {
    const [r, w] = await connect();
    assert.equal(r, w);
    assert.equal(w.get_extra_info("socket"), w);
    assert.deepEqual(w.get_extra_info("peername"), ["10.0.0.5", 80]);
    assert.deepEqual(w.get_extra_info("sockname", "none"), "none");
    w.close();
  });

  it("open_connection to a closed port rejects ECONNREFUSED and holds no socket", async () => {
    await asyncio.open_connection("10.0.0.5", 1).then(() => assert.fail("refused"), (e) => assert.equal(e.code, "ECONNREFUSED"));
    assert.equal(net.open, 0);
  });
});
