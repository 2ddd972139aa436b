// ntptime: the seed's `ntptime.settime()`, an SNTP client (RFC 4330) over the platform's
// UDP, with Promises. IO is handed in (createNtp(deps)), so tests run it on a fake
// network, a fake clock and fake timers; src/ntptime/wired.ts hands in the board's. The
// clock is set with deps.setClock_ (Espruino's setTime, which keeps timers valid), never
// with Wifi.setSNTP. Internal names end in `_` (the build shortens them).

import type { CodedError, UdpOptions, UdpSocket } from "../platform/types";
import { readReply } from "./packet";
import { codedError } from "../util/errors";

export interface NtpDeps {
  openUdp_(opts: UdpOptions): Promise<UdpSocket>;
  /** Wall clock, ms since 1970. */
  now_(): number;
  /** Sets the wall clock (it may not move: setTime() is a no-op on the Linux build). */
  setClock_(ms: number): void;
  /** socket.getaddrinfo, called as (host, 123, AF_INET): [family, type, proto, canonname,
   *  [address, port]] per address; rejects with an EAI_* coded error. */
  resolve_(host: string, port: number, family: number): Promise<Array<{ 4: [string, ...unknown[]] }>>;
  /** network's ifconfig(): `ntp` lists the servers learned from DHCP (option 42), asked
   *  before `host`. */
  ifconfig_(): { ntp: string[] };
  random_(n: number): Uint8Array;
  /** Firmware build time (ms since 1970): a server time before it is refused. */
  build_: number;
  setTimeout_(fn: () => void, ms: number): unknown;
  setInterval_(fn: () => void, ms: number): unknown;
  /** Clears a timeout or an interval (the same on Espruino). */
  clearTimeout_(id: unknown): void;
}

export interface Ntp {
  /** Server name(s) or IPv4 address(es), asked in order after DHCP's. Default "pool.ntp.org". */
  host: string | string[];
  /** Seconds to wait for each server's reply (as MicroPython's ntptime.timeout). Default 1. */
  timeout: number;
  /** Called with the offset (ms) each time settime() steps the clock. */
  onstep: ((offsetMs: number) => void) | null;
  /** Sets the clock from the first server that answers well; resolves to the new time (ms).
   *  Rejects with EOPNOTSUPP (synced() unchanged, no onstep) when the clock did not take
   *  the time (it must read within 10 ms of it right after setClock_): setTime() does
   *  nothing on the Linux build, whose clock is the host's. */
  settime(): Promise<number>;
  /** The server's time now (ms since 1970); sets nothing. */
  time(): Promise<number>;
  /** settime() every `intervalSeconds` (default 3600, at least 60); the first one at once
   *  unless already synced. Failures are retried at the next interval; stop() ends it (a
   *  settime() in flight still completes). */
  start(intervalSeconds?: number): void;
  stop(): void;
  /** True once settime() has set the clock. */
  synced(): boolean;
}

type Failure = CodedError & { kiss?: string };

/** An Error with `.code`; Kiss-o'-Death errors (EKOD) also carry `.kiss`. */
const fail = (code: string, message: string, kiss?: string): Failure => Object.assign(codedError(code, message), { kiss });

export function createNtp(deps: NtpDeps): Ntp {
  // Addresses that sent a Kiss-o'-Death: k = the kiss code; not asked before u (local
  // clock, ms; Infinity for DENY and RSTR); w = the RATE back-off: 64 s, doubled on each RATE.
  // (A clock step does not move `u`: after the first step from 1970 a RATE back-off
  // ends early, which costs the server one extra request.)
  const kissed: { [address: string]: { k?: string; u?: number; w?: number } } = {};
  let isSynced = false;
  let timer: unknown;
  // Timer ids are truthy (Espruino's count from 1); clearTimeout(undefined) throws there,
  // hence `id && clearTimeout_(id)` (written out each time: no closure kept for life).

  // Asks the DHCP servers, then `host`, in turn on one socket, until one gives a usable
  // time; resolves to the clock offset (ms). Up to 3 exchanges per server, each sent when the
  // last valid reply came, within its timeout; the one with the lowest round-trip delay wins
  // (RFC 5905 §10's clock filter: the first send also pays for the socket). Bad replies are ignored
  // until the server's timeout. A server fails with ETIMEDOUT, EKOD (it kissed, now or
  // earlier), EBADTIME (its time is before the firmware's build) or its name's EAI_*
  // code. When all fail, the error is ETIMEDOUT if one stayed silent, else the last
  // server's code; its message names every server and what it did.
  // The socket is closed and the timer cleared on every path. Then the server's time now;
  // with `set`, the clock is stepped to it, and must have moved. (One function, not a
  // query() apart: a closure fewer kept for the board's life.)
  const ask = (set?: number): Promise<number> => {
    const names = deps.ifconfig_().ntp.concat(ntp.host);
    const pivot = Math.max(deps.build_, deps.now_());
    // The request (RFC 4330 §5): LI 0, version 4, mode 3, every field zero except the
    // transmit timestamp, which carries 8 random bytes (the nonce) instead of our clock.
    const req = new Uint8Array(48);
    req[0] = 0x23;
    return deps.openUdp_({}).then(
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
          let k: { k?: string; u?: number; w?: number } | undefined;
          let best: number[] | 0; // [delay, offset] of the best reply from this server so far
          let n: number; // replies taken from it
          // One exchange: a fresh nonce (so a late reply to an earlier one is ignored), T1, send.
          const send = () => {
            req.set((nonce = deps.random_(8)), 40);
            t1 = deps.now_();
            // UdpSocket.send never throws for an IPv4 address (platform contract).
            sock.send(req, 123, address);
          };
          const done = (e: Failure | 0, offset?: number) => {
            id && deps.clearTimeout_(id);
            address = ""; // later datagrams (the socket closes late) are ignored
            sock.close();
            e ? reject(e) : resolve(offset!);
          };
          // The current server failed with `e` (none at the start): ask the next one.
          const next = (e?: Failure) => {
            id && deps.clearTimeout_(id);
            id = address = "";
            if (e) {
              tried += (tried && ", ") + name + " (" + e.message + ")";
              kiss = e.kiss;
              if (code != "ETIMEDOUT") code = e.code;
            }
            name = names[i++];
            if (!name) return done(fail(code, (tried || "no server") + ": check network, ntptime.host", kiss));
            deps
              .resolve_(name, 123, 2)
              .then((addresses) => {
                // the first address that has not kissed, or whose RATE back-off is over
                if (!addresses.some((a) => !(k = kissed[(address = a[4][0])]) || k.u! <= deps.now_())) throw fail("EKOD", "KoD " + k!.k, k!.k);
                best = n = 0;
                id = deps.setTimeout_(() => (best ? done(0, best[1]) : next(fail("ETIMEDOUT", "no reply"))), ntp.timeout * 1000);
                send();
              })
              .catch(next);
          };
          sock.onmessage = (data, from, port) => {
            const t4 = deps.now_();
            const r: any = from == address && port == 123 ? readReply(data, nonce, pivot) : "";
            // r is "" (ignore), a kiss code or [T2, T3]: only "" lacks r[0], only a code has r[2].
            if (!r[0]) return;
            if (r[2]) {
              // RATE after a good reply answers our own burst (ntpd's "discard minimum"): keep
              // that reply and do not back off; any other kiss is remembered
              if (!best || r != "RATE") {
                k = kissed[address] || (kissed[address] = {});
                k.k = r;
                k.u = r == "RATE" ? t4 + (k.w = 2 * k.w! || 64000) : Infinity;
              }
              return best ? done(0, best[1]) : next(fail("EKOD", "KoD " + r, r));
            }
            // RFC 4330 §5 with T2 = r[0], T3 = r[1]: the round-trip delay δ = (T4 - T1) -
            // (T3 - T2) cannot be negative: ignore such a reply (1 ms allowed for the
            // clock's granularity). The offset θ = ((T2 - T1) + (T3 - T4)) / 2.
            const delay = t4 - t1 - r[1] + r[0];
            if (delay >= -1) {
              if (r[1] < deps.build_) return next(fail("EBADTIME", new Date(r[1]) + " is before the build"));
              if (!best || delay < best[0]) best = [delay, (r[0] - t1 + r[1] - t4) / 2];
              ++n < 3 ? send() : done(0, best[1]);
            }
          };
          next();
        })
    ).then((offset) => {
      const t = deps.now_() + offset;
      if (set) {
        deps.setClock_(t);
        if (Math.abs(deps.now_() - t) > 10) throw fail("EOPNOTSUPP", "setTime() failed: set the host clock");
        isSynced = true;
        ntp.onstep && ntp.onstep(offset);
      }
      return t;
    });
  };

  const ntp: Ntp = {
    host: "pool.ntp.org",
    timeout: 1,
    onstep: null,
    settime: () => ask(1),
    time: ask, // called without an argument: sets nothing
    start(intervalSeconds) {
      timer && deps.clearTimeout_(timer); // as stop()
      const run = () => ntp.settime().catch(() => {}); // failed: the next interval retries
      timer = deps.setInterval_(run, Math.max(intervalSeconds || 3600, 60) * 1000);
      isSynced || run();
    },
    stop() {
      timer && deps.clearTimeout_(timer);
      timer = 0;
    },
    synced: () => isSynced,
  };
  return ntp;
}
