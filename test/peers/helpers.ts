// Real peers on loopback for the peer tests (DNS, NTP): start a daemon in the foreground with its
// files in a temp dir, wait until it answers, stop it (always) afterwards.
import net from "node:net";
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import dnsPacket from "dns-packet";
import type { DecodedPacket } from "dns-packet";

/** The first of `paths` that exists, or undefined. */
export function findBinary(...paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

export interface Daemon {
  /** The temp dir holding its config, pid and lease files. */
  dir: string;
  /** Everything it printed (stdout and stderr). */
  log(): string;
  /** Kills it (SIGTERM, then SIGKILL) and removes the temp dir. Idempotent. */
  stop(): Promise<void>;
}

/** Runs `binary args...` (args may use `${dir}` via the callback) in the foreground. */
export function startDaemon(binary: string, args: (dir: string) => string[], prefix = "camnet-peer-"): Daemon {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let out = "";
  const child: ChildProcess = spawn(binary, args(dir), { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += d));
  child.stderr!.on("data", (d) => (out += d));
  let exited = false;
  child.once("exit", () => (exited = true));
  child.once("error", (e) => (out += `\nspawn error: ${e.message}`));
  return {
    dir,
    log: () => out,
    async stop() {
      if (!exited && child.pid !== undefined) {
        const gone = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 2000);
        await gone;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One DNS query over UDP from Node (not the code under test); rejects after `timeoutMs`. */
export function dnsQuery(server: string, port: number, name: string, type: string, timeoutMs = 1000): Promise<{ packet: DecodedPacket; bytes: number }> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    const id = Math.floor(Math.random() * 65536);
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no answer from ${server}:${port} for ${name} ${type}`));
    }, timeoutMs);
    sock.on("message", (msg) => {
      const packet = dnsPacket.decode(msg);
      if (packet.id !== id) return;
      clearTimeout(timer);
      sock.close();
      resolve({ packet, bytes: msg.length });
    });
    sock.on("error", (e) => {
      clearTimeout(timer);
      sock.close();
      reject(e);
    });
    sock.send(dnsPacket.encode({ id, type: "query", flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type: type as any }] }), port, server);
  });
}

/** Waits until the server at server:port answers a query for `name` (any rcode). */
export async function waitForDns(daemon: Daemon, server: string, port: number, name: string, limitMs = 10000): Promise<void> {
  const start = Date.now();
  for (;;) {
    try {
      await dnsQuery(server, port, name, "A", 300);
      return;
    } catch (e) {
      if (Date.now() - start > limitMs) throw new Error(`${server}:${port} never answered: ${(e as Error).message}\n${daemon.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

// ---- NTP

export interface NtpHeader {
  leap: number;
  version: number;
  mode: number;
  stratum: number;
  /** The transmit timestamp's seconds field as sent (no era). */
  transmitSeconds: number;
  /** The reference id as four characters (a kiss code when stratum is 0). */
  refid: string;
}

/** One v4 client request from Node (not the code under test); the reply's header fields. */
export function ntpProbe(server: string, timeoutMs = 500): Promise<NtpHeader> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket("udp4");
    const request = Buffer.alloc(48);
    request[0] = 0x23;
    request.writeUInt32BE(0x12345678, 44); // a nonce in the transmit timestamp
    const timer = setTimeout(() => {
      sock.close();
      reject(new Error(`no NTP reply from ${server}`));
    }, timeoutMs);
    sock.on("message", (m) => {
      if (m.length < 48 || m.readUInt32BE(28) !== 0x12345678) return;
      clearTimeout(timer);
      sock.close();
      resolve({ leap: m[0] >> 6, version: (m[0] >> 3) & 7, mode: m[0] & 7, stratum: m[1],
        transmitSeconds: m.readUInt32BE(40), refid: m.subarray(12, 16).toString("latin1") });
    });
    sock.bind(0, "127.0.0.1", () => sock.send(request, 123, server));
  });
}

/** Waits until the NTP server at server:123 answers a probe; its header. */
export async function waitForNtp(daemon: Daemon, server: string, limitMs = 10000): Promise<NtpHeader> {
  const start = Date.now();
  for (;;) {
    try {
      return await ntpProbe(server, 300);
    } catch (e) {
      if (Date.now() - start > limitMs) throw new Error(`${server}:123 never answered: ${(e as Error).message}\n${daemon.log()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** chronyd -x (never touches the system clock), in the foreground, on address:123 with its
 *  files (config, pid, command socket) in the daemon's temp dir; `env` runs before it.
 *  `serve`: `local stratum 8` (it serves the host clock); without, it answers LI=3. */
export function chronyd(bin: string, address: string, opts: { serve: boolean; env?: string[] }): Daemon {
  return startDaemon("/usr/bin/env", (dir) => {
    const conf = join(dir, "chrony.conf");
    writeFileSync(conf, [
      "port 123", "cmdport 0", `bindcmdaddress ${join(dir, "chronyd.sock")}`, `bindaddress ${address}`,
      "allow 127.0.0.0/8", `pidfile ${join(dir, "chronyd.pid")}`, opts.serve ? "local stratum 8" : "",
    ].join("\n") + "\n");
    return [...(opts.env ?? []), bin, "-x", "-d", "-u", "root", "-f", conf];
  }, "camnet-chrony-");
}

/** A free TCP port on 127.0.0.1 (the OS picks one, then it is released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Waits until `daemon` accepts TCP connections on 127.0.0.1:port. */
export async function tcpListening(port: number, daemon: Daemon, limitMs = 10000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((r) => {
      const c = net.connect(port, "127.0.0.1", () => { c.destroy(); r(true); });
      c.once("error", () => r(false));
    });
    if (ok) return;
    if (Date.now() - start > limitMs) throw new Error(`nothing listened on 127.0.0.1:${port}:\n${daemon.log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
