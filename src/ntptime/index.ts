// ntptime: the seed's `ntptime.settime()`, an SNTP client (RFC 4330) over the platform's
// UDP, with Promises. IO is handed in (createNtp(deps)), so tests run it on a fake
// network, a fake clock and fake timers. The clock is set with deps.setClock (Espruino's
// setTime, which keeps timers valid), never with Wifi.setSNTP.

import type { CodedError, UdpOptions, UdpSocket } from "../platform/types";
import { clockOffset, encodeRequest, readReply, roundTripDelay } from "./packet";
import { codedError } from "../util/errors";

export interface NtpDeps {
  openUdp(opts: UdpOptions): Promise<UdpSocket>;
  /** Wall clock, ms since 1970. */
  now(): number;
  setClock(ms: number): void;
  /** IPv4 addresses of a name or of an address literal; rejects with an EAI_* coded
   *  error (socket.getaddrinfo). */
  resolve(host: string): Promise<string[]>;
  /** NTP servers learned from DHCP (option 42), asked before `host`. */
  dhcpServers(): string[];
  random(n: number): Uint8Array;
  /** Firmware build time (ms since 1970): a server time before it is refused. */
  buildTimeMs: number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface Ntp {
  /** Server name(s) or IPv4 address(es), asked in order after DHCP's. Default "pool.ntp.org". */
  host: string | string[];
  /** Seconds to wait for each server's reply (as MicroPython's ntptime.timeout). Default 1. */
  timeout: number;
  /** Called with the offset (ms) each time settime() steps the clock. */
  onstep: ((offsetMs: number) => void) | null;
  /** Sets the clock from the first server that answers well; resolves to the new time (ms). */
  settime(): Promise<number>;
  /** The server's time now (ms since 1970); sets nothing. */
  time(): Promise<number>;
  /** settime() every `intervalSeconds` (default 3600, at least 60); the first one at once
   *  unless already synced. Failures are retried at the next interval. */
  start(intervalSeconds?: number): void;
  stop(): void;
  /** True once settime() has succeeded. */
  synced(): boolean;
}

/** An Error with `.code`; Kiss-o'-Death errors (EKOD) also carry `.kiss`. */
function fail(code: string, message: string, kiss?: string): CodedError & { kiss?: string } {
  return Object.assign(codedError(code, message), { kiss: kiss });
}

/** The error for a server that sent (or earlier sent) a Kiss-o'-Death. */
const kissOfDeath = (kiss: string) => fail("EKOD", "kiss-o'-death " + kiss, kiss);

export function createNtp(deps: NtpDeps): Ntp {
  // Addresses that sent a Kiss-o'-Death: k = the kiss code; not asked before u (local
  // clock, ms; Infinity for DENY and RSTR); w = the RATE back-off: 64 s, doubled on each RATE.
  // (A clock step does not move `u`: after the first step from 1970 a RATE back-off
  // ends early, which costs the server one extra request.)
  const kissed: { [address: string]: { k?: string; u?: number; w?: number } } = {};
  let isSynced = false;
  let timer: unknown;
  let generation = 0;
  // Timer ids are truthy (Espruino's count from 1); clearTimeout(undefined) throws there.
  const cancel = (id: unknown) => {
    if (id) deps.clearTimeout(id);
  };

  // Asks the DHCP servers, then `host`, in turn, one request each on one socket, until
  // one gives a usable time; resolves to the clock offset (ms). Bad replies are ignored
  // until the server's timeout. A server fails with ETIMEDOUT, EKOD (it kissed, now or
  // earlier), EBADTIME (its time is before the firmware's build) or its name's EAI_*
  // code. When all fail, the error is EKOD if every server kissed, ETIMEDOUT if one stayed
  // silent, else the first other code; its message names every server and what it did.
  // The socket is closed and the timer cleared on every path.
  function query(): Promise<number> {
    const names = deps.dhcpServers().concat(ntp.host);
    const pivot = Math.max(deps.buildTimeMs, deps.now());
    return deps.openUdp({}).then(
      (sock) =>
        new Promise<number>((resolve, reject) => {
          let tried = "";
          let code = "EINVAL";
          let kiss: string | undefined;
          let i = 0;
          let name: string;
          let id: unknown;
          let address = ""; // the one being asked; "" between requests
          let nonce: Uint8Array;
          let t1: number;
          const done = (e: CodedError | 0, offset?: number) => {
            cancel(id);
            sock.onmessage = null;
            sock.close();
            e ? reject(e) : resolve(offset!);
          };
          // The current server failed with `e` (none at the start): ask the next one.
          const next = (e?: CodedError & { kiss?: string }) => {
            cancel(id);
            id = address = "";
            if (e) {
              tried += (tried && ", ") + name + " (" + e.message + ")";
              kiss = e.kiss;
              if (code == "EINVAL" || code == "EKOD" || e.code == "ETIMEDOUT") code = e.code;
            }
            name = names[i++];
            if (!name) return done(fail(code, "ntptime: no time from " + (tried || "no server") + "; check network and ntptime.host", kiss));
            deps
              .resolve(name)
              .then((addresses) => {
                let k;
                for (let j = 0; j < addresses.length; j++) {
                  k = kissed[(address = addresses[j])];
                  if (!k || k.u! <= deps.now()) {
                    nonce = deps.random(8);
                    id = deps.setTimeout(() => next(fail("ETIMEDOUT", "no reply")), ntp.timeout * 1000);
                    t1 = deps.now();
                    // UdpSocket.send never throws for an IPv4 address (platform contract).
                    return sock.send(encodeRequest(nonce), 123, address);
                  }
                }
                throw kissOfDeath(k!.k!);
              })
              .then(null, next);
          };
          sock.onmessage = (data, from, port) => {
            const t4 = deps.now();
            const r = from == address && port == 123 ? readReply(data, nonce, pivot) : "";
            if (typeof r == "string") {
              if (!r) return;
              const k = kissed[address] || (kissed[address] = {});
              k.k = r;
              k.u = r == "RATE" ? t4 + (k.w = 2 * k.w! || 64000) : Infinity;
              return next(kissOfDeath(r));
            }
            // δ < 0 is impossible: ignore it (1 ms allowed for the clock's granularity).
            if (roundTripDelay(t1, r[0], r[1], t4) < -1) return;
            if (r[1] < deps.buildTimeMs) return next(fail("EBADTIME", "time " + new Date(r[1]).toISOString() + " is before the build"));
            done(0, clockOffset(t1, r[0], r[1], t4));
          };
          next();
        })
    );
  }

  // The server's time now; with `set`, the clock is stepped to it.
  const ask = (set: number) => query().then((offset) => {
    const t = deps.now() + offset;
    if (set) {
      deps.setClock(t);
      isSynced = true;
      if (ntp.onstep) ntp.onstep(offset);
    }
    return t;
  });

  const ntp: Ntp = {
    host: "pool.ntp.org",
    timeout: 1,
    onstep: null,
    settime: () => ask(1),
    time: () => ask(0),
    start(intervalSeconds) {
      ntp.stop();
      const g = generation;
      const run = () => ntp.settime().then(again, again);
      const again = () => {
        if (g == generation) timer = deps.setTimeout(run, Math.max(intervalSeconds || 3600, 60) * 1000);
      };
      isSynced ? again() : run();
    },
    stop() {
      generation++;
      cancel(timer);
      timer = 0;
    },
    synced: () => isSynced,
  };
  return ntp;
}

// ---- wire point ------------------------------------------------------------------
// The default instance, `require("ntptime")` on the board. The lead connects its IO
// once src/platform/index.ts and socket.getaddrinfo exist, e.g.:
//   wire({ openUdp, now, setClock, random: randomBytes, buildTimeMs: BUILD_TIME_MS,
//          setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (id) => clearTimeout(id),
//          dhcpServers: () => ifconfig().ntp,
//          resolve: (h) => getaddrinfo(h, 123, AF_INET).then((l) => l.map((a) => a[4][0])) });
const platform = {} as NtpDeps;
export function wire(deps: NtpDeps): void {
  Object.assign(platform, deps);
}
export const ntptime = createNtp(platform);
