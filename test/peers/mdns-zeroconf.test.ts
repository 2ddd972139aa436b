// The bundle's mDNS (the Linux board profile, real sockets on 10.77.1.1 in namespace cnzca)
// against python3-zeroconf 0.47 (10.77.1.2 in namespace cnzcb), a second mDNS
// implementation nobody here wrote (protocols.md §5.5): it resolves kitchen-cam.local,
// browses and resolves the _http._tcp advert, and reports every record update it takes
// from the wire, goodbyes (TTL 0, RFC 6762 §10.1) included. Needs root, `ip netns` and
// python3-zeroconf (for /usr/bin/python3); skipped without them.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { boardCode, createLink, missing, netnsProblem, startBoard, type Link, type NsBoard } from "./netns.ts";

const PYTHON = "/usr/bin/python3";

/** Prints one JSON line per event: "resolved" (the A records of kitchen-cam.local, asked
 *  by a query of its own until answered), "added"/"removed" (ServiceBrowser on
 *  _http._tcp, with the resolved ServiceInfo), "record" (every record update it takes
 *  from the wire, with its TTL: 0 is a goodbye; only the board and this script are on
 *  the link). */
const SCRIPT = String.raw`
import json, sys, threading, time
from zeroconf import (DNSOutgoing, DNSQuestion, IPVersion, RecordUpdateListener, ServiceBrowser,
                      ServiceStateChange, Zeroconf)
from zeroconf.const import _CLASS_IN, _FLAGS_QR_QUERY, _TYPE_A

addr, host = sys.argv[1], sys.argv[2]
lock = threading.Lock()
def emit(**k):
    with lock:
        print(json.dumps(k), flush=True)

zc = Zeroconf(interfaces=[addr], ip_version=IPVersion.V4Only)

class Records(RecordUpdateListener):
    def async_update_records(self, zc, now, records):
        for u in records:
            r = u.new
            emit(ev="record", name=r.name.lower(), type=r.type, ttl=r.ttl, unique=r.unique)
zc.add_listener(Records(), None)

def changed(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed:
        emit(ev="removed", name=name)
        return
    if state_change is not ServiceStateChange.Added:
        return
    info = zeroconf.get_service_info(service_type, name, 3000)
    emit(ev="added", name=name, server=info and info.server, port=info and info.port,
         addresses=info and info.parsed_addresses(),
         txt=info and {k.decode(): (v or b"").decode() for k, v in info.properties.items()})
ServiceBrowser(zc, "_http._tcp.local.", handlers=[changed])

for i in range(10):
    out = DNSOutgoing(_FLAGS_QR_QUERY)
    out.add_question(DNSQuestion(host + ".", _TYPE_A, _CLASS_IN))
    zc.send(out)
    time.sleep(0.3)
    got = zc.cache.get_all_by_details(host + ".", _TYPE_A, _CLASS_IN)
    if got:
        emit(ev="resolved", name=host, addresses=sorted(r.address_string if hasattr(r, "address_string") else __import__("socket").inet_ntoa(r.address) for r in got))
        break
emit(ev="ready")
sys.stdin.read()
zc.close()
`;

interface Event {
  ev: string;
  name?: string;
  type?: number;
  ttl?: number;
  [k: string]: unknown;
}

describe("mDNS against python3-zeroconf (Linux board in a namespace, real sockets on 10.77.1.1)", function () {
  this.timeout(60000);
  let link: Link | undefined;
  let board: NsBoard | undefined;
  let zc: ChildProcess | undefined;
  const events: Event[] = [];
  let zcLog = "";

  /** Waits until an event matching `pred` arrived; returns it. */
  async function seen(pred: (e: Event) => boolean, what: string, limitMs = 8000): Promise<Event> {
    const start = Date.now();
    for (;;) {
      const e = events.find(pred);
      if (e) return e;
      if (Date.now() - start > limitMs) throw new Error(`zeroconf never reported ${what}; it saw:\n${events.map((x) => JSON.stringify(x)).join("\n")}\n${zcLog}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  const goodbye = (name: string, type: number) => (e: Event) => e.ev === "record" && e.name === name && e.type === type && e.ttl === 0;

  before(async function () {
    const problem = netnsProblem() || (missing(PYTHON) && `${PYTHON} is missing`);
    if (problem) {
      console.log(`    (skipped: ${problem})`);
      this.skip();
    }
    link = createLink("cnzc", "10.77.1");
    board = await startBoard(link.a, link.addrA, boardCode(link.addrA));
    await board.until("seen.claimed[0]", 5000);
    const child = spawn("ip", ["netns", "exec", link.b, PYTHON, "-c", SCRIPT, link.addrB, "kitchen-cam.local"], { stdio: ["pipe", "pipe", "pipe"] });
    zc = child;
    child.stderr!.on("data", (d) => (zcLog += d));
    createInterface({ input: child.stdout! }).on("line", (l) => events.push(JSON.parse(l)));
    await new Promise<void>((resolve, reject) => {
      child.once("exit", () => reject(new Error("zeroconf script exited:\n" + zcLog)));
      seen((e) => e.ev === "ready", "ready", 10000).then(() => resolve(), reject);
    }).catch((e) => {
      if (/No module named 'zeroconf'/.test(zcLog)) {
        console.log("    (skipped: python3-zeroconf is not installed)");
        this.skip();
      }
      throw e;
    });
  });

  after(async function () {
    if (zc && zc.exitCode === null) {
      const gone = new Promise<void>((r) => zc!.once("exit", () => r()));
      zc.stdin!.end();
      const t = setTimeout(() => zc!.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(t);
    }
    await board?.stop();
    link?.destroy();
  });

  it("zeroconf resolves kitchen-cam.local to the board's address", async function () {
    const e = await seen((x) => x.ev === "resolved", "kitchen-cam.local");
    assert.deepEqual(e.addresses, ["10.77.1.1"]);
  });

  it("zeroconf's ServiceBrowser finds and resolves the board's _http._tcp advert", async function () {
    const e = await seen((x) => x.ev === "added", "the service");
    assert.deepEqual(e, {
      ev: "added", name: "kitchen-cam._http._tcp.local.", server: "kitchen-cam.local.", port: 80,
      addresses: ["10.77.1.1"], txt: { path: "/" },
    });
  });

  it("a rename (network.hostname) sends goodbyes for the old records; zeroconf drops them and finds the new name", async function () {
    await board!.eval(`require("network").hostname("front-door")`);
    await seen(goodbye("kitchen-cam.local.", 1), "the A goodbye");
    await seen(goodbye("kitchen-cam._http._tcp.local.", 33), "the SRV goodbye");
    await seen(goodbye("_http._tcp.local.", 12), "the service PTR goodbye");
    await seen((x) => x.ev === "removed" && x.name === "kitchen-cam._http._tcp.local.", "the service removed");
    const e = await seen((x) => x.ev === "added" && x.name === "front-door._http._tcp.local.", "the renamed service");
    assert.equal(e.server, "front-door.local.");
    assert.deepEqual(e.addresses, ["10.77.1.1"]);
  });

  it("withdraw() sends per-record goodbyes: zeroconf removes the service", async function () {
    await board!.eval(`require("mdns").withdraw(web)`);
    await seen(goodbye("front-door._http._tcp.local.", 33), "the SRV goodbye");
    await seen(goodbye("front-door._http._tcp.local.", 16), "the TXT goodbye");
    await seen((x) => x.ev === "removed" && x.name === "front-door._http._tcp.local.", "the service removed");
  });

  // Espruino's dgram sends one queued datagram per idle pass and drops the rest at close():
  // the platform's close() waits for the goodbye's pass.
  it("a requested link-down stops the responder with goodbyes for the host's A and reverse PTR", async function () {
    assert.equal(events.some(goodbye("front-door.local.", 1)), false, "no goodbye for the live name yet");
    // What network.disconnect() announces while the link is still up (the Linux build has no
    // Wi-Fi to leave, so the test announces it as the ESP32's disconnect() does).
    await board!.eval(`require("network").events.emit("disconnecting")`);
    await seen(goodbye("front-door.local.", 1), "the A goodbye");
    await seen(goodbye("1.1.77.10.in-addr.arpa.", 12), "the reverse PTR goodbye");
    assert.equal(await board!.eval(`require("mdns").hostname()`), null, "the responder stopped");
  });
});
