// Ambient declarations of the Espruino (2v29) globals and native modules camnet uses.
// Written from the firmware source and measurements (shared/reference/espruino-target.md
// §2-§6, /work/notes/espruino-findings.md), not from @types/espruino.
//
// Why not @types/espruino (1.95.0) underneath: including it (`/// <reference types="espruino"/>`
// or `types: ["espruino"]`) cannot be corrected from here, because its `declare module "Wifi"`
// and `declare namespace E` would MERGE with ours instead of being replaced: its wrong
// signatures (getHostByName(): string, setSNTP(server, tz: number), scan((err, list)),
// disconnect(cb) required ...) stay as extra overloads, and TypeScript picks whichever
// matches first (checked with tsc: with both included, Wifi.getHostByName(...) is typed
// `string` and scan's callback gets `(err, list)`; top-level `arguments` compiles). It also declares ~150 board globals camnet must not touch (Serial1, SPI1,
// Puck, NRF, digitalWrite, `net`/`fs`/`http` as globals ...) and loosens built-ins
// (`declare var arguments: any`, `parseInt(string: any, radix: any): any`, `eval`, `isNaN`).
// It has no dgram, no tls members, no Socket.write/on, no process, no E.toString.
// So everything is declared here; tsconfig.json keeps `types: []`.
//
// Conventions: binary data crosses these APIs as *binary strings* (one char per byte,
// 0-255); convert with E.toString(u8) / E.toUint8Array(str). Events are delivered
// asynchronously (queued), with at most 4 arguments.

/** Event methods every Espruino object has (listeners live in enumerable `#on<event>` props). */
interface EspruinoEventEmitter {
  on(event: string, listener: (...args: any[]) => void): void;
  addListener(event: string, listener: (...args: any[]) => void): void;
  prependListener(event: string, listener: (...args: any[]) => void): void;
  /** Queues the listeners (asynchronous, unlike Node); at most 4 arguments reach them. */
  emit(event: string, ...args: any[]): void;
  removeListener(event: string, listener: (...args: any[]) => void): void;
  removeAllListeners(event?: string): void;
}

/** `{code, message}` as delivered to socket `error` listeners; code is a negative socketerrors.h number. */
interface EspruinoSocketError {
  code: number;
  message: string;
}

// ------------------------------------------------------------------------------ globals

/** Prints its arguments separated by spaces, on the console. */
declare function print(...args: unknown[]): void;

interface EspruinoConsole {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}
declare var console: EspruinoConsole;

/** Seconds since 1970 as a float (µs resolution on ESP32); the ESP32 starts at 0 at power-on. */
declare function getTime(): number;
/**
 * Sets the clock in seconds and rebases the timers (timer-safe, unlike Wifi.setSNTP).
 * Quirk: no effect on the Linux build.
 */
declare function setTime(seconds: number): void;

/** Returns an integer id; extra arguments are passed to `callback`. */
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): number;
/** Quirk: THROWS when `id` is undefined or already cleared: guard every call. */
declare function clearTimeout(id: number): void;
/** Quirk: THROWS when `id` is undefined or already cleared: guard every call. */
declare function clearInterval(id: number): void;
declare function changeInterval(id: number, ms: number): void;

/** Base64 <-> binary string. */
declare function atob(base64: string): string;
declare function btoa(binary: string): string;

/** Only on the Linux build: exits the interpreter. */
declare function quit(): void;

interface EspruinoModules {
  Wifi: typeof import("Wifi");
  dgram: typeof import("dgram");
  net: typeof import("net");
  tls: typeof import("tls");
  crypto: typeof import("crypto");
  Storage: typeof import("Storage");
  fs: typeof import("fs");
}

/**
 * Resolution order: the module cache (Modules.addCached, even over native modules), native
 * modules, a Storage file, built-in JS modules, node_modules/<name>.js (Linux).
 * Quirk: throws `Module X not found` (e.g. "Wifi" on the Linux build).
 */
declare function require<K extends keyof EspruinoModules>(name: K): EspruinoModules[K];
declare function require(name: string): unknown;

declare namespace Modules {
  /**
   * Registers module `name`. EAGER: the body runs now, once; require() returns the cached
   * exports afterwards. A function is NOT called: only its source text is evaluated, in a
   * fresh scope holding `exports` (=== this) and `module` (module.exports = X works); its
   * closure is lost, globals are visible. An error thrown by the body propagates out of
   * addCached, and the name stays cached. Anything but a string or function throws.
   */
  function addCached(name: string, source: string | (() => void)): void;
  function removeCached(name: string): void;
  function removeAllCached(): void;
  /** Names of the cached modules. */
  function getCached(): string[];
}

interface EspruinoMemory {
  /** Free JsVar blocks. */
  free: number;
  usage: number;
  total: number;
  history: number;
  gc: number;
  gctime: number;
  /** Bytes per JsVar block (14 on ESP32, 27 on Linux). */
  blocksize: number;
  rx?: { used: number; total: number };
  /** Quirk: on ESP32, free_heap and largest_block are attached here. */
  tx?: { used: number; total: number; free_heap?: number; largest_block?: number };
}

interface EspruinoEnv {
  VERSION: string;
  GIT_COMMIT: string;
  /** "ESP32", "LINUX", ... */
  BOARD: string;
  /** Comma-separated native module names. */
  MODULES: string;
  [key: string]: unknown;
}

declare var process: EspruinoEventEmitter & {
  /** Runs a garbage collection first unless `gc` is false. Figures are in JsVar blocks. */
  memory(gc?: boolean): EspruinoMemory;
  env: EspruinoEnv;
  version: string;
  on(event: "uncaughtException", listener: (e: unknown) => void): void;
};

declare namespace E {
  /** Bytes to a binary string (0-255 per char): what dgram/net/tls send()/write() need. */
  function toString(...data: Array<string | number | number[] | ArrayBuffer | ArrayBufferView>): string;
  /** A binary string (or numbers/arrays) to a new Uint8Array. */
  function toUint8Array(...data: Array<string | number | number[] | ArrayBuffer | ArrayBufferView>): Uint8Array;
  /** A zero-copy ArrayBuffer view of a (flat) string. */
  function toArrayBuffer(str: string): ArrayBuffer;
  /** 32 random bits from the hardware RNG (a signed 32-bit integer). */
  function hwRand(): number;
  /** Size in JsVar blocks; with depth > 0 an array of per-child sizes. */
  function getSizeOf(v: unknown, depth?: number): number | Array<{ name: string; size: number; more?: unknown }>;
  /** Time zone offset for Date, in hours; clears DST rules. */
  function setTimeZone(hours: number): void;
  function setDST(
    dstOffsetMinutes: number, timezoneMinutes: number,
    startDowNumber: number, startDow: number, startMonth: number, startDayOffset: number, startTimeOfDay: number,
    endDowNumber: number, endDow: number, endMonth: number, endDayOffset: number, endTimeOfDay: number,
  ): void;
  /** UTF-8 bytes (binary string) to a unicode string, and back. */
  function asUTF8(str: string): string;
  function fromUTF8(str: string): string;
  function getErrorFlags(): string[];
  function reboot(): void;
  function on(event: "errorFlag", listener: (flags: string[]) => void): void;
  function on(event: "init" | "kill", listener: () => void): void;
}

// ------------------------------------------------------------------------------ Wifi (ESP32)

declare module "Wifi" {
  interface IPInfo {
    ip: string;
    netmask: string;
    gw: string;
    mac: string;
    /** Only on firmware with capability `dhcpInfo` (not stock Espruino). */
    dns?: string[];
    /** Only on firmware with capability `dhcpInfo` (not stock Espruino). */
    ntp?: string[];
  }
  interface ConnectOptions {
    /** The only option ESP32 reads (dnsServers, channel, bssid, authMode are ignored). */
    password?: string;
  }
  interface Status {
    /** "connected" or a reason string. */
    station: string;
    ssid?: string;
    bssid?: string;
    channel?: number;
    rssi?: number;
    htMode?: string;
    authMode?: string;
    mode: "NULL" | "STA" | "AP" | "APSTA";
    powersave: "none" | "min_modem" | "max_modem" | "modem";
  }
  interface Details {
    /** "connected" or a reason string. */
    status: string;
    ssid?: string;
    password?: string;
    authMode?: string;
  }
  interface AccessPoint {
    rssi: number;
    authMode: string;
    ssid: string;
    mac: string;
    /** Quirk: a string. */
    channel: string;
  }
  interface PingResult {
    totalCount: number;
    totalBytes: number;
    totalTime: number;
    respTime: number;
    seqNo: number;
    timeoutCount: number;
    bytes: number;
    error: number;
  }
  type AuthMode = "open" | "wpa" | "wpa2" | "wpa_wpa2";

  /**
   * Joins `ssid`; retries 3 times. `callback(null)` on GOT_IP, or an error string such as
   * "NO_AP_FOUND" / "AUTH_FAIL". Already connected: forces a disconnect and reconnect.
   */
  function connect(ssid: string, options?: ConnectOptions, callback?: (err: string | null) => void): void;
  /** Quirk: the callback can fire twice (at once, and at STA_DISCONNECTED). */
  function disconnect(callback?: () => void): void;
  /** Quirk: no callback (ignored on ESP32); use the return value. */
  function getStatus(): Status;
  function getDetails(callback?: (details: Details) => void): Details;
  /** Quirk: fields read "0.0.0.0" (not absent) while down. */
  function getIP(callback?: (err: null, info: IPInfo) => void): IPInfo;
  function getAPIP(callback?: (err: null, info: IPInfo) => void): IPInfo;
  /** Sets the live netif name and restarts the native mDNS responder; no DHCP renegotiation. Max 32. */
  function setHostname(hostname: string, callback?: () => void): void;
  /** Quirk: unsafe before Wi-Fi has started (uninitialised pointer in the firmware). */
  function getHostname(): string;
  /**
   * Asynchronous lwIP lookup: IPv4 only, one dotted-quad result, null/undefined on failure.
   * Quirk: one lookup at a time; a second call replaces the first one's callback.
   */
  function getHostByName(hostname: string, callback: (ip: string | null | undefined) => void): void;
  /** Hazard: moves the clock under the interpreter's timers. `tz` is a POSIX TZ string ("UTC0"). */
  function setSNTP(server: string, tz: string): void;
  /** Quirk: ONE argument, no error. Throws if a scan is already running. */
  function scan(callback: (accessPoints: AccessPoint[]) => void): void;
  function startAP(ssid: string, options?: { password?: string; authMode?: AuthMode; channel?: number },
    callback?: (err: string | null) => void): void;
  function stopAP(callback?: () => void): void;
  /** `phy` applies to the AP interface only; powersave "none" keeps multicast (mDNS) reliable. */
  function setConfig(settings: { phy?: "11b" | "11g" | "11n"; powersave?: "none" | "min" | "max" }): void;
  /** Writes Storage ".wificfg" (incl. hostname); "clear" erases it. */
  function save(what?: "clear"): void;
  function restore(): void;
  /** IP addresses only. */
  function ping(ip: string, callback: (result: PingResult) => void): void;
  /** Quirk (STA): buggy, inverted `err`, throws without a callback. */
  function setIP(settings: { ip: string; gw: string; netmask: string }, callback: (err: string | null) => void): void;

  function on(event: "associated", listener: (details: { ssid: string; mac: string; channel: string }) => void): void;
  function on(event: "connected", listener: (details: { ip: string; netmask: string; gw: string }) => void): void;
  function on(event: "disconnected",
    listener: (details: { ssid: string; mac: string; reason: string; msg?: string }) => void): void;
  function on(event: "sta_joined" | "sta_left", listener: (details: { mac: string }) => void): void;
  function removeListener(event: string, listener: (...args: any[]) => void): void;
  function removeAllListeners(event?: string): void;
}

// ------------------------------------------------------------------------------ dgram

declare module "dgram" {
  interface RemoteInfo {
    address: string;
    port: number;
    size: number;
  }
  interface SocketOptions {
    /** Ignored: always IPv4. */
    type: "udp4";
    /** SO_REUSEADDR (+ SO_REUSEPORT) on bound sockets. */
    reuseAddr?: boolean;
    /**
     * Datagrams longer than the receive chunk (default 528 bytes) are silently truncated.
     * Raises the chunk GLOBALLY (every socket, TCP too). Keep <= 4096 on ESP32 (task stack).
     */
    recvBufferSize?: number;
  }
  interface Socket {
    /**
     * Binds INADDR_ANY:port (no address argument). The callback gets the socket itself.
     * Quirk: call addMembership() BEFORE bind(); afterwards it has no effect.
     */
    bind(port: number, callback?: (socket: Socket) => void): Socket;
    /**
     * `message` MUST be a binary string (a typed array would be sent as "1,2,3").
     * A hostname is resolved with a BLOCKING lookup. Unbound sockets get an ephemeral port on
     * first send. Quirk: a failed sendto from a bound socket (e.g. to broadcast) is silent and
     * sends a garbage datagram.
     */
    send(message: string, port: number, address: string): void;
    send(message: string, offset: number, length: number, port: number, address: string): void;
    /** Before bind(). On ESP32 pass the real interface IP (Wifi.getIP().ip). */
    addMembership(group: string, interfaceIp: string): void;
    close(): void;
    on(event: "message", listener: (message: string, rinfo: RemoteInfo) => void): void;
    on(event: "close", listener: (hadError: boolean) => void): void;
    on(event: "error", listener: (err: EspruinoSocketError) => void): void;
    removeListener(event: string, listener: (...args: any[]) => void): void;
    removeAllListeners(event?: string): void;
  }
  function createSocket(type: "udp4" | SocketOptions, onMessage?: (message: string, rinfo: RemoteInfo) => void): Socket;
}

// ------------------------------------------------------------------------------ net / tls

declare module "net" {
  interface Socket {
    /** Binary string. Returns false when buffered; `drain` follows. */
    write(data: string): boolean;
    end(data?: string): void;
    read(chars?: number): string;
    available(): number;
    pipe(destination: unknown, options?: { chunkSize?: number; end?: boolean; complete?: () => void }): void;
    on(event: "connect" | "drain" | "end", listener: () => void): void;
    on(event: "data", listener: (data: string) => void): void;
    on(event: "close", listener: (hadError: boolean) => void): void;
    on(event: "error", listener: (err: EspruinoSocketError) => void): void;
    removeListener(event: string, listener: (...args: any[]) => void): void;
    removeAllListeners(event?: string): void;
  }
  interface Server {
    listen(port: number): Server;
    close(): void;
  }
  interface ConnectOptions {
    /** Default 127.0.0.1; a hostname is resolved with a BLOCKING lookup. */
    host?: string;
    port: number;
  }
  /** Quirk: connect() BLOCKS (no O_NONBLOCK) on ESP32 and Linux. */
  function connect(options: ConnectOptions | string, onConnect?: (socket: Socket) => void): Socket;
  function createServer(onConnection: (socket: Socket) => void): Server;
}

declare module "tls" {
  import type { Socket } from "net";
  /**
   * ca/key/cert: a DER binary string, a function returning one, or (<= 100 chars, with a
   * file system) a file name. PEM text is rejected ("Invalid format").
   */
  type Credential = string | (() => string);
  interface ConnectOptions {
    host: string;
    /** Default 443. */
    port?: number;
    /** Quirk: parsed but NEVER enforced (MBEDTLS_SSL_VERIFY_NONE is hard-coded). */
    ca?: Credential;
    key?: Credential;
    cert?: Credential;
  }
  /**
   * TLS client only; no SNI (or "mbed TLS Server 1"), no verification.
   * Quirk: `onConnect` fires at TCP connect, BEFORE the handshake; writes queue until it
   * completes; a failed handshake arrives as error {code:-8} then close(true).
   */
  function connect(options: ConnectOptions, onConnect?: (socket: Socket) => void): Socket;
  /** Only on firmware with capabilities.tlsServer (the stock builds have no TLS server). */
  function createServer(options: { key?: Credential; cert?: Credential }, onConnection: (socket: Socket) => void): { listen(port: number): void; close(): void };
}

// ------------------------------------------------------------------------------ crypto, Storage, fs

declare module "crypto" {
  type Data = string | ArrayBuffer | ArrayBufferView;
  function SHA1(message: Data): ArrayBuffer;
  function SHA224(message: Data): ArrayBuffer;
  function SHA256(message: Data): ArrayBuffer;
  function SHA384(message: Data): ArrayBuffer;
  function SHA512(message: Data): ArrayBuffer;
  function PBKDF2(passphrase: Data, salt: Data, options?: { keySize?: number; iterations?: number; hasher?: string }): ArrayBuffer;
  const AES: {
    encrypt(passphrase: Data, key: Data, options?: { iv?: Data; mode?: "CBC" | "CFB" | "CTR" | "OFB" | "ECB" }): ArrayBuffer;
    decrypt(passphrase: Data, key: Data, options?: { iv?: Data; mode?: "CBC" | "CFB" | "CTR" | "OFB" | "ECB" }): ArrayBuffer;
  };
}

declare module "Storage" {
  /** File contents as a (binary) string, or undefined when absent. */
  function read(name: string, offset?: number, length?: number): string | undefined;
  function readArrayBuffer(name: string): ArrayBuffer | undefined;
  /** Parsed JSON; with noExceptions, undefined instead of throwing on a missing/bad file. */
  function readJSON(name: string, noExceptions?: boolean): any;
  /** Names are at most 28 chars. Returns false on failure. */
  function write(name: string, data: string | ArrayBuffer | ArrayBufferView, offset?: number, size?: number): boolean;
  function writeJSON(name: string, data: unknown): boolean;
  function erase(name: string): void;
  function list(pattern?: RegExp | string, filter?: { sf?: boolean }): string[];
  function getFree(): number;
  function compact(): void;
  function eraseAll(): void;
}

/** Linux build (FILESYSTEM) only. */
declare module "fs" {
  /** Contents as a binary string. Throws "Could not open file" when it cannot be read (measured). */
  function readFileSync(path: string): string;
  function writeFileSync(path: string, data: string): boolean;
  function appendFileSync(path: string, data: string): boolean;
  function readdirSync(path?: string): string[] | undefined;
  function unlinkSync(path: string): boolean;
  function statSync(path: string): { size: number; dir: boolean; mtime: Date } | undefined;
}
