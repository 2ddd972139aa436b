// The only code that touches Espruino's globals (Wifi, dgram, net, tls, E, setTime).
// It hands the rest of src/ Uint8Array payloads, Promises, errors with .code and the
// board's capabilities, and owns the firmware's quirks (shared/reference/espruino-target.md).
//
// Capabilities are read as CAMNET_BOARD.capabilities.<name>: the build makes each one a
// constant (scripts/build.ts), so another board's branch (Wi-Fi, the Linux build's
// resolv.conf, certificate checks) is not in this board's bundle at all.
import type {
  CodedError, IfConfig, TcpStream, TlsOptions, UdpOptions, UdpSocket,
} from "./types";
import { codedError } from "../util/errors";

export { codedError };

// Quirk: dgram/net/tls move binary strings (chars 0-255). A typed array handed to
// send()/write() is stringified to "1,2,3", so every payload goes through E.toString()
// on the way out and E.toUint8Array() on the way in.

/** Espruino's require, called unbound: the build turns each `require(...)` into
 *  `(0,globalThis.require)(...)`, one name is shorter. */
const req: (module: string) => any = require;

/** Espruino's binary-string converters (static functions: they work unbound). */
const toBinary: (d: Uint8Array) => string = E.toString, fromBinary: (s: string) => Uint8Array = E.toUint8Array;

/** The Wifi module (Wi-Fi boards only: the Linux build has none). */
const W: any = CAMNET_BOARD.capabilities.wifi && req("Wifi");

// ---------------------------------------------------------------- interface config

/** The Linux build's interface: static settings (network's ifconfig(tuple) hands them in
 *  as `set`), else unknown addresses and the host's DNS servers from /etc/resolv.conf,
 *  read once (ifconfig() is on every look-up's path). One function for all three: each
 *  function kept from load costs the board ~9 JsVars. */
let wired: IfConfig | undefined;

/** The interface's settings: Wifi.getIP() itself where it lists the DHCP-learned servers
 *  (dhcpInfo); quirk: stock ESP32 firmware does not, so its fresh object gets empty lists. */
export const ifconfig: (set?: IfConfig) => IfConfig = !CAMNET_BOARD.capabilities.wifi ? (set?: IfConfig, dns?: any, z?: any) => {
  if (!(wired = set || wired)) {
    dns = [];
    z = "0.0.0.0";
    try {
      req("fs").readFileSync("/etc/resolv.conf").toString().split("\n").forEach((line: string) => {
        const w = line.trim().split(" ").filter((x) => x);
        if (w[0] == "nameserver" && /^[\d.]+$/.test(w[1])) dns.push(w[1]);
      });
    } catch (e) {
      // no file: no servers
    }
    wired = { ip: z, netmask: z, gw: z, mac: "", dns, ntp: [] };
  }
  return wired!;
}
  : CAMNET_BOARD.capabilities.dhcpInfo ? W.getIP // static: works unbound
  : (i?: any) => (i = W.getIP(), i.dns = i.ntp = [], i); // i: a local (an arrow is shorter)

// ---------------------------------------------------------------- UDP

/** An IPv4 address as a 32-bit (signed) number. */
const ipNum = (s: string): number => s.split(".").reduce((n, x) => n << 8 | +x, 0);

/** A Promise for what `fn` makes; a throw or a `fail(e)` rejects with socketError(e, fallback).
 *  A Promise settles once: an error after success (bind, connect) is no rejection. */
const attempt = <T>(fallback: string, fn: (resolve: (v: T) => void, fail: (e: any) => void) => void): Promise<T> =>
  new Promise((resolve, reject) => {
    const fail = (e: any) => reject(socketError(e, fallback));
    try {
      fn(resolve, fail);
    } catch (e) {
      fail(e);
    }
  });

export const openUdp = (opts: UdpOptions): Promise<UdpSocket> => attempt("EADDRINUSE", (resolve, fail) => {
  // Quirk: each datagram is cut to 528 bytes unless recvBufferSize raises the receive
  // chunk (a global setting: every socket asks for the same size). No `type`: the firmware
  // ignores it (always IPv4 UDP).
  const s = req("dgram").createSocket({ reuseAddr: opts.reuse, recvBufferSize: CAMNET_BOARD.capabilities.udpRecvMax });
  const port = opts.port;
  const sock = {
    send(data, p, address, n?: number, c?: IfConfig) { // n, c: locals
      // Quirk: a failed sendto() from a bound socket is counted as 7 bytes sent and the
      // rest goes out as a garbage datagram. Broadcast from a bound socket always fails.
      // Broadcast: 255.255.255.255 (-1), or all ones in our network's host bits, so only an
      // odd address that is not multicast (all mDNS traffic) asks the firmware for the
      // netmask. Without an address (0.0.0.0/0.0.0.0) that is -1 again: no other matches.
      if (port && ((n = ipNum(address)) == -1 || n & 1 && n >>> 28 != 14 && (c = ifconfig(), n == (ipNum(c.ip) | ~ipNum(c.netmask))))) {
        throw codedError("EACCES", "bound: no broadcast"); // the socket layer resends unbound
      }
      s.send(toBinary(data), p, address);
    },
    // Datagrams leave one per idle-loop pass: close once the last one queued (a goodbye,
    // say) has had its pass, rather than dropping it.
    close() {
      setTimeout(() => s.close(), 50);
    },
  } as UdpSocket; // onmessage: set by the caller
  s.on("message", (msg: string, info: any) => sock.onmessage && sock.onmessage(fromBinary(msg), info.address, info.port));
  s.on("error", fail);
  // Quirk: multicast membership only takes effect when added BEFORE bind(), and the
  // ESP32 needs the real interface address, not 0.0.0.0.
  port ? (opts.group && s.addMembership(opts.group, ifconfig().ip), s.bind(port, () => resolve(sock))) : resolve(sock);
});

// ---------------------------------------------------------------- TCP and TLS

// Espruino's socket error numbers (socketerrors.h; -16 to -18 from the verifying firmware),
// indexed by -code; -14 (invalid SSL data) is ESP8266-only. ESP32 and Linux report most
// failures as -1 (closed), so -1 before connect means refused.
// A string literal split per error, in the function: an array kept from load would cost
// the board ~30 JsVars, a string kept ~6.

// (Functions here are arrows with expression bodies, parameters doubling as locals: the
// shortest form once minified.)
const socketError = (e: any, code: string): CodedError => (
  code = (",,,ETIMEDOUT,,,EHOSTUNREACH,EMFILE,,ECONNRESET,,,,ETLSHANDSHAKE," +
    (CAMNET_BOARD.capabilities.tlsVerify ? ",,CERT_UNKNOWN_CA,CERT_EXPIRED,CERT_HOSTNAME_MISMATCH" : "")).split(",")[-e.code] || code, codedError(code, e.message + (code == "EMFILE" ? ": close one" : "")));

const wrapStream = (c: any, host: string, port: number, s?: any): TcpStream => (
  s = {
    remoteAddress: host, remotePort: port,
    // Espruino's write() always returns false, and `drain` follows once the buffer is empty.
    write: (d: Uint8Array) => c.write(toBinary(d)),
    end: () => c.end(),
  }, // the on* handlers: set by the caller
  s.destroy = s.end,
  // ondata(bytes), onend(), ondrain(), onclose(hadError), onerror(err)
  ["data", "end", "drain", "close", "error"].forEach((ev) => c.on(ev, (a: any) => {
    const f = s["on" + ev];
    if (f) f(ev == "data" ? fromBinary(a) : ev == "error" ? socketError(a, "ECONNRESET") : !!a);
  })),
  s);

/** Adds to `o` DER (binary string) copies of the key, certificate and CA (the firmware
 *  rejects PEM). */
const der = (tls: TlsOptions | undefined, o: any): any => (
  tls && ["ca", "cert", "key"].forEach((k) => (tls as any)[k] && (o[k] = toBinary((tls as any)[k]))), o);

/** Connects over TCP, or TLS when `tls` is given. Quirk: Espruino's TLS `connect` fires
 *  at TCP connect, before the handshake; writes queue until it completes, and a failed
 *  handshake arrives later as an error on the stream (ESP32: -8 "unsent data", so
 *  ECONNRESET; the verifying firmware: its CERT_* codes). The firmware has no SNI:
 *  `servername` only matters where it checks certificates (capabilities.tlsVerify). */
export const connectTcp = (host: string, port: number, tls?: TlsOptions): Promise<TcpStream> => attempt("ECONNREFUSED", (resolve, fail, o?: any, n?: any, c?: any) => (
  o = der(tls, { host, port }),
  // Quirk: the verifying firmware checks the certificate against `host`, not `servername`:
  // given an address, it would check the address and accept a certificate for any other
  // name. So the name goes in `host` (the firmware resolves it itself).
  CAMNET_BOARD.capabilities.tlsVerify && tls &&
    (n = tls.servername, (o.rejectUnauthorized = tls.verify) && n && !/^[\d.]+$/.test(n) && (o.host = n)),
  (c = req(tls ? "tls" : "net").connect(o, () => resolve(wrapStream(c, host, port)))).on("error", fail)));

/** Listens on `port`; with `tls` (key and cert, where caps.tlsServer) a TLS server. */
export const listenTcp = (port: number, onConnection: (s: TcpStream) => void, tls?: TlsOptions, accept?: any): Promise<{ close(): void }> => (
  accept = (c: any) => onConnection(wrapStream(c, "", 0)),
  attempt("EADDRINUSE", (resolve) =>
    // listen() returns the server
    resolve((CAMNET_BOARD.capabilities.tlsServer && tls ? req("tls").createServer(der(tls, {}), accept) : req("net").createServer(accept)).listen(port))));

// ---------------------------------------------------------------- clock and randomness

export const now: () => number = Date.now; // static: works unbound

/** Sets the wall clock with setTime(), which also rebases the interpreter's timers
 *  (Wifi.setSNTP would move the clock underneath them and fire every timeout at once). */
export const setClock = (ms: number): void => setTime(ms / 1000);

/** E.hwRand() per byte (its extra map() arguments are ignored); a Uint8Array keeps the low 8 bits. */
export const randomBytes = (n: number): Uint8Array => new Uint8Array(n).map(E.hwRand);

// ---------------------------------------------------------------- Wi-Fi (W exists only where caps.wifi)

/** Joins `ssid` so that DHCP carries `hostname`, giving up after `ms`. Quirks: the netif is
 *  re-created with the name "espressif" every time Wi-Fi starts, and Espruino stops Wi-Fi
 *  whenever the station is idle, so a name set before connect() never reaches DHCP.
 *  Sequence: connect; set the name on the live netif (the native mDNS responder restarts
 *  with it); connect again, which reassociates without stopping Wi-Fi, so the new DHCP
 *  exchange carries the name. Errors: NO_AP_FOUND, AUTH_FAIL, ETIMEDOUT or the firmware's
 *  reason, with errno ESP-IDF's reason code (201, 202, else 203), which MicroPython's
 *  STAT_* codes reuse. `ms` defaults to 20 s; no `key`: an open network. */
export const wifiJoin = (ssid: string, key: string | undefined, hostname: string, ms?: number): Promise<void> =>
  new Promise((resolve, reject) => {
    // Settles once: success, the firmware's error, or the timeout (a timer clearing itself
    // in its callback is fine: Espruino removes it after the callback).
    const end = (err?: string, why?: string, k?: any) => (
      clearTimeout(t),
      k = err == "NO_AP_FOUND" ? 0 : err == "AUTH_FAIL" ? 1 : 2,
      err ? reject(codedError(err, `Wi-Fi "${ssid}": ${why || ["SSID not found", "wrong password", err][k]}`, 201 + k)) : resolve());
    const t = setTimeout(() => {
      end("ETIMEDOUT", `no DHCP address in ${(ms as number) / 1000} s`);
      W.disconnect();
    }, ms = ms || 20000);
    const join = (then: () => void) => W.connect(ssid, { password: key }, (err: string | null) => err ? end(err) : then());
    join(() => W.getHostname() != hostname ? W.setHostname(hostname, () => join(end)) : end());
  });

/** Quirk: disconnect's callback fires at once and again at the disconnected event. The
 *  executor is Wifi.disconnect itself (static; the extra reject argument is ignored). */
export const wifiLeave = (): Promise<void> => new Promise(W.disconnect);

/** Sets the live netif name (call it while the link is up): the native responder and the
 *  next DHCP use it. */
export const setNetifHostname: (name: string) => void = CAMNET_BOARD.capabilities.wifi && W.setHostname; // static: works unbound

/** The handler gets the event's details ({msg: the reason, ...}).
 *  Quirk: after a link loss the driver retries twice, then emits `disconnected` and
 *  stops Wi-Fi for good; the caller must reconnect. */
export const onWifiDisconnected = (fn: (details: { msg: string }) => void): void => W.on("disconnected", fn);

export const wifiStatus: () => { station: string; ssid?: string; rssi?: number; channel?: number } =
  CAMNET_BOARD.capabilities.wifi ? W.getStatus : () => ({ station: "connected" }); // static: works unbound

// ---------------------------------------------------------------- storage

/** A JSON file from the board's Storage, or undefined when absent or unreadable. */
export function readJSON(file: string): any {
  return require("Storage").readJSON(file, true);
}

// ---------------------------------------------------------------- Wifi.getHostByName

let hostByNameQueue: any; // no Promise at load: the first call starts the queue

/** The firmware's own resolver (lwIP, IPv4, one address), the last resort where no DNS
 *  server answers us. Quirk: it has one callback slot, so calls are queued one at a time. */
// The address, or null (no answer from lwIP) or undefined (none in 5 s; the timer may
// later resolve a settled Promise).
// (Without Wi-Fi, a function without parameters: each costs a JsVar for life.)
export const hostByName: (name: string) => Promise<string | null | undefined> = !CAMNET_BOARD.capabilities.wifi ? () => Promise.resolve(null)
  : (name) => hostByNameQueue = Promise.resolve(hostByNameQueue).then(() => new Promise<string | null | undefined>((resolve) => {
    // (no timer left behind once the firmware answers)
    const t = setTimeout(resolve, 5000);
    W.getHostByName(name, (ip: string | null) => (clearTimeout(t), resolve(ip)));
  }));

// ---------------------------------------------------------------- board status

/** Free JsVars, from process.memory(). */
export const freeMemory = (): number => process.memory().free;

/** One JPEG frame from the board's camera driver (a module "camera" whose snapshot()
 *  returns a binary string or bytes), or null where the firmware has no such driver. */
export function cameraFrame(): Uint8Array | null {
  let cam: any;
  try {
    cam = require("camera");
  } catch (e) {
    return null; // "Module camera not found"
  }
  const f = cam && cam.snapshot && cam.snapshot();
  return f ? E.toUint8Array(f) : null;
}
