// The only code that touches Espruino's globals (Wifi, dgram, net, tls, E, setTime).
// It hands the rest of src/ Uint8Array payloads, Promises, errors with .code and the
// board's capabilities, and owns the firmware's quirks (shared/reference/espruino-target.md).
import type {
  Board, CodedError, IfConfig, TcpStream, TlsOptions, UdpOptions, UdpSocket,
} from "./types";
import { codedError } from "../util/errors";

export const board: Board = CAMNET_BOARD;
export const caps = board.capabilities;

export { codedError };

// Quirk: dgram/net/tls move binary strings (chars 0-255). A typed array handed to
// send()/write() is stringified to "1,2,3", so everything goes through these two.
const toBinary = (data: Uint8Array): string => E.toString(data);
const fromBinary = (s: string): Uint8Array => E.toUint8Array(s);

// ---------------------------------------------------------------- interface config

function wifiModule(): any {
  return caps.wifi ? require("Wifi") : null;
}

/** Static settings for boards whose interface we cannot read (the Linux build). */
const staticIf: { ip?: string; netmask?: string; gateway?: string; dns?: string[] } = {};

export function setStaticIf(ip: string, netmask: string, gateway: string, dns: string[]): void {
  staticIf.ip = ip;
  staticIf.netmask = netmask;
  staticIf.gateway = gateway;
  staticIf.dns = dns;
}

/** The host's DNS servers, read once: ifconfig() is on every look-up's path. */
let resolvServers: string[] | undefined;

/** DNS servers of the Linux build: the host's /etc/resolv.conf. */
function resolvConf(): string[] {
  const out: string[] = [];
  try {
    const text: string = require("fs").readFileSync("/etc/resolv.conf").toString();
    text.split("\n").forEach((line) => {
      const w = line.trim().split(" ").filter((x) => x);
      if (w[0] === "nameserver" && w[1] && w[1].indexOf(":") < 0) out.push(w[1]);
    });
  } catch (e) {
    // No file system or no file: no configured servers.
  }
  return out;
}

export function ifconfig(): IfConfig {
  const W = wifiModule();
  if (!W) {
    return {
      ip: staticIf.ip || "0.0.0.0", netmask: staticIf.netmask || "0.0.0.0",
      gateway: staticIf.gateway || "0.0.0.0", mac: "", dns: staticIf.dns || resolvServers || (resolvServers = resolvConf()), ntp: [],
    };
  }
  const i = W.getIP();
  // Quirk: stock ESP32 firmware does not expose the DHCP-learned servers (dhcpInfo false).
  return {
    ip: i.ip, netmask: i.netmask, gateway: i.gw, mac: i.mac,
    dns: caps.dhcpInfo && i.dns ? i.dns : [], ntp: caps.dhcpInfo && i.ntp ? i.ntp : [],
  };
}

function isBroadcast(address: string): boolean {
  if (address === "255.255.255.255") return true;
  const a = address.split(".");
  // Every send of a bound socket (all mDNS traffic) comes here: multicast, and addresses
  // whose host bits are not all ones, are settled without asking the firmware.
  if (+a[0] >= 224 || !(+a[3] & 1)) return false;
  const c = ifconfig();
  const ip = c.ip.split("."), m = c.netmask.split(".");
  for (let i = 0; i < 4; i++) if (((+ip[i] & +m[i]) | (~+m[i] & 255)) !== +a[i]) return false;
  return c.ip !== "0.0.0.0";
}

// ---------------------------------------------------------------- UDP

let recvRaised = false;

export function openUdp(opts: UdpOptions): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    // Quirk: each datagram is cut to 528 bytes unless recvBufferSize raises the receive
    // chunk. The setting is global, so it is raised once, on the first socket.
    const o: any = { type: "udp4", reuseAddr: !!opts.reuse };
    if (!recvRaised) o.recvBufferSize = caps.udpRecvMax;
    recvRaised = true;
    const s = require("dgram").createSocket(o);
    const bound = !!opts.port;
    const sock: UdpSocket = {
      port: opts.port || 0,
      onmessage: null,
      send(data, port, address) {
        // Quirk: a failed sendto() from a bound socket is counted as 7 bytes sent and the
        // rest goes out as a garbage datagram. Broadcast from a bound socket always fails.
        if (bound && isBroadcast(address)) {
          throw codedError("EACCES", "cannot broadcast from a bound UDP socket on Espruino: send from an unbound socket");
        }
        s.send(toBinary(data), port, address);
      },
      close() {
        // Datagrams leave one per idle-loop pass: close once the last one queued (a goodbye,
        // say) has had its pass, rather than dropping it.
        setTimeout(() => s.close(), 50);
      },
    };
    s.on("message", (msg: string, info: any) => {
      if (sock.onmessage) sock.onmessage(fromBinary(msg), info.address, info.port);
    });
    s.on("error", (e: any) => {
      if (!settled) reject(socketError(e, "EADDRINUSE"));
      settled = true;
    });
    let settled = false;
    if (!bound) {
      settled = true;
      return resolve(sock);
    }
    // Quirk: multicast membership only takes effect when added BEFORE bind(), and the
    // ESP32 needs the real interface address, not 0.0.0.0.
    if (opts.group) s.addMembership(opts.group, ifconfig().ip);
    s.bind(sock.port, () => {
      if (!settled) resolve(sock);
      settled = true;
    });
  });
}

// ---------------------------------------------------------------- TCP and TLS

// Espruino's socket error numbers (socketerrors.h) as errno names. ESP32 and Linux
// report most failures as -1 (closed), so -1 before connect means refused.
const ERRNO: { [n: string]: string } = {
  "-3": "ETIMEDOUT", "-6": "EHOSTUNREACH", "-7": "EMFILE", "-9": "ECONNRESET",
  "-13": "ETLSHANDSHAKE", "-14": "ETLSHANDSHAKE",
  // the verifying firmware (capabilities.tlsVerify)
  "-16": "CERT_UNKNOWN_CA", "-17": "CERT_EXPIRED", "-18": "CERT_HOSTNAME_MISMATCH",
};

function socketError(e: any, fallback: string): CodedError {
  const code = (e && ERRNO[e.code]) || fallback;
  const hint = code === "EMFILE"
    ? `: the board allows ${caps.maxSockets} sockets at once; close one first`
    : "";
  return codedError(code, ((e && e.message) || code) + hint);
}

function wrapStream(c: any, host: string, port: number): TcpStream {
  const s: TcpStream = {
    remoteAddress: host, remotePort: port,
    ondata: null, onend: null, onclose: null, onerror: null, ondrain: null,
    write: (d) => c.write(toBinary(d)) !== false,
    end: () => c.end(),
    destroy: () => c.end(),
  };
  c.on("data", (d: string) => s.ondata && s.ondata(fromBinary(d)));
  c.on("end", () => s.onend && s.onend());
  c.on("drain", () => s.ondrain && s.ondrain());
  c.on("close", (hadError: boolean) => s.onclose && s.onclose(!!hadError));
  c.on("error", (e: any) => s.onerror && s.onerror(socketError(e, "ECONNRESET")));
  return s;
}

/** Connects over TCP, or TLS when `tls` is given. Quirk: Espruino's TLS `connect` fires
 *  at TCP connect, before the handshake; writes queue until it completes, and a failed
 *  handshake arrives later as an ETLSHANDSHAKE error on the stream. */
export function connectTcp(host: string, port: number, tls?: TlsOptions): Promise<TcpStream> {
  return new Promise((resolve, reject) => {
    const o: any = { host, port };
    if (tls) {
      // The firmware wants DER as binary strings; PEM text is rejected ("Invalid format").
      if (tls.ca) o.ca = toBinary(tls.ca);
      if (tls.cert) o.cert = toBinary(tls.cert);
      if (tls.key) o.key = toBinary(tls.key);
      if (tls.servername) o.servername = tls.servername;
      // Quirk: the verifying firmware checks the certificate against `host`, not
      // `servername`: given an address, it would check the address and accept a certificate
      // for any other name. So the name goes in `host` (the firmware resolves it itself).
      if (tls.verify && tls.servername && !/^[\d.]+$/.test(tls.servername)) o.host = tls.servername;
      if (tls.verify !== undefined) o.rejectUnauthorized = tls.verify;
    }
    let stream: TcpStream | null = null;
    let c: any;
    try {
      c = require(tls ? "tls" : "net").connect(o, () => {
        resolve(stream = wrapStream(c, host, port));
      });
    } catch (e) {
      return reject(socketError(e, "ECONNREFUSED"));
    }
    c.on("error", (e: any) => {
      if (!stream) reject(socketError(e, "ECONNREFUSED"));
    });
  });
}

/** Listens on `port`; with `tls` (key and cert, where caps.tlsServer) a TLS server. */
export function listenTcp(port: number, onConnection: (s: TcpStream) => void, tls?: TlsOptions): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    try {
      const accept = (c: any) => onConnection(wrapStream(c, "", 0));
      const server = tls
        ? require("tls").createServer({ key: tls.key && toBinary(tls.key), cert: tls.cert && toBinary(tls.cert) }, accept)
        : require("net").createServer(accept);
      server.listen(port);
      resolve({ close: () => server.close() });
    } catch (e) {
      reject(socketError(e, "EADDRINUSE"));
    }
  });
}

// ---------------------------------------------------------------- clock and randomness

export const now = (): number => Date.now();

/** Sets the wall clock with setTime(), which also rebases the interpreter's timers
 *  (Wifi.setSNTP would move the clock underneath them and fire every timeout at once). */
export function setClock(ms: number): void {
  setTime(ms / 1000);
}

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i & 3 ? b[i - 1] >> 8 : E.hwRand()) & 255;
  return b;
}

// ---------------------------------------------------------------- Wi-Fi

const wifiError = (err: string, ssid: string): CodedError => codedError(err,
  err === "AUTH_FAIL" ? `Wi-Fi "${ssid}" refused the password: check the key`
  : err === "NO_AP_FOUND" ? `no Wi-Fi network "${ssid}" in range: check the SSID and that the access point is on`
  : `joining Wi-Fi "${ssid}" failed (${err})`);

/** Joins `ssid` so that DHCP carries `hostname`. Quirks: the netif is re-created with the
 *  name "espressif" every time Wi-Fi starts, and Espruino stops Wi-Fi whenever the station
 *  is idle, so a name set before connect() never reaches DHCP. Sequence: connect; set the
 *  name on the live netif (the native mDNS responder restarts with it); connect again,
 *  which reassociates without stopping Wi-Fi, so the new DHCP exchange carries the name. */
export function wifiJoin(ssid: string, key: string, hostname: string): Promise<void> {
  const W = wifiModule();
  const join = (): Promise<void> => new Promise((resolve, reject) => {
    W.connect(ssid, { password: key }, (err: string | null) => err ? reject(wifiError(err, ssid)) : resolve());
  });
  return join().then(() => {
    if (W.getHostname() === hostname) return;
    return new Promise<void>((resolve) => W.setHostname(hostname, resolve)).then(join);
  });
}

/** Quirk: disconnect's callback fires at once and again at the disconnected event. */
export function wifiLeave(): Promise<void> {
  return new Promise((resolve) => wifiModule().disconnect(() => resolve()));
}

/** Sets the live netif name: the native responder and the next DHCP use it. */
export function setNetifHostname(name: string): void {
  const W = wifiModule();
  if (W && W.getIP().ip !== "0.0.0.0") W.setHostname(name);
}

/** Quirk: after a link loss the driver retries twice, then emits `disconnected` and
 *  stops Wi-Fi for good; the caller must reconnect. */
export function onWifiDisconnected(fn: (reason: string) => void): void {
  const W = wifiModule();
  if (W) W.on("disconnected", (d: any) => fn((d && d.msg) || (d && d.reason) || "link lost"));
}

export function wifiStatus(): { station: string; ssid?: string; rssi?: number; channel?: number } {
  const W = wifiModule();
  return W ? W.getStatus() : { station: "connected" };
}

// ---------------------------------------------------------------- storage

/** A JSON file from the board's Storage, or undefined when absent or unreadable. */
export function readJSON(file: string): any {
  return require("Storage").readJSON(file, true);
}

// ---------------------------------------------------------------- Wifi.getHostByName

let hostByNameQueue: Promise<unknown> = Promise.resolve();

/** The firmware's own resolver (lwIP, IPv4, one address), the last resort where no DNS
 *  server answers us. Quirk: it has one callback slot, so calls are queued one at a time. */
export function hostByName(name: string): Promise<string | null> {
  const W = wifiModule();
  if (!W) return Promise.resolve(null);
  const p = hostByNameQueue.then(() => new Promise<string | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), 5000);
    W.getHostByName(name, (ip: string | null) => {
      clearTimeout(timer);
      resolve(ip || null);
    });
  }));
  hostByNameQueue = p;
  return p;
}

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
