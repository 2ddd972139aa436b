// Helpers for tests that drive an emulated board on a virtual LAN.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lan, type AccessPoint, type Router } from "../lan/lan.ts";
import { bootBoard, type BootOptions, type EmulatedBoard } from "../board.ts";

/** Waits (polling the event loop, no fixed delay) until `pred()` is truthy; throws after `limitMs`. */
export async function until(pred: () => unknown, what = "condition", limitMs = 5000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > limitMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

export interface TestNet {
  lan: Lan;
  ap: AccessPoint;
  router: Router;
  board: EmulatedBoard;
  close(): void;
}

/** A LAN with an access point "home" (password "secret123") and a router, and a board on it. */
export async function boardOnLan(boot: Partial<BootOptions> = {}): Promise<TestNet> {
  const lan = new Lan();
  const ap = lan.addAccessPoint({ ssid: "home", password: "secret123" });
  const router = lan.addRouter();
  const board = await bootBoard({ board: "esp32", lan, ...boot });
  return {
    lan,
    ap,
    router,
    board,
    close() {
      board.powerOff();
      lan.close();
    },
  };
}

/** Connects the board's Wi-Fi (in the sandbox) and waits for the connect callback. */
export async function connectWifi(board: EmulatedBoard, ssid = "home", password = "secret123"): Promise<unknown> {
  board.eval(`globalThis.__wifiResult = "pending"; require("Wifi").connect(${JSON.stringify(ssid)}, {password: ${JSON.stringify(password)}}, function (err) { globalThis.__wifiResult = err; });`);
  await until(() => board.eval("globalThis.__wifiResult") !== "pending", "Wi-Fi connect callback");
  return board.eval("globalThis.__wifiResult");
}

export interface TestPki {
  /** DER binary strings (as the board wants them). */
  caDer: string;
  /** PEM texts for Node peers. */
  caPem: string;
  serverKeyPem: string;
  serverCertPem: string;
  /** Certificate validity, ms since 1970. */
  notBefore: number;
  notAfter: number;
}

let pki: TestPki | null | undefined;
/** A CA and a server certificate for "peer.example" / 192.168.1.50, made with openssl (null if absent). */
export function testPki(): TestPki | null {
  if (pki !== undefined) return pki;
  const dir = mkdtempSync(join(tmpdir(), "camnet-pki-"));
  try {
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650", "-subj", "/CN=camnet test CA");
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=peer.example");
    writeFileSync(join(dir, "ext.cnf"), "subjectAltName=DNS:peer.example,IP:192.168.1.50\n");
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "srv.pem", "-days", "825", "-extfile", "ext.cnf");
    const caPem = readFileSync(join(dir, "ca.pem"), "utf8");
    const der = Buffer.from(caPem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, ""), "base64");
    const dates = run("x509", "-in", "srv.pem", "-noout", "-startdate", "-enddate").toString();
    const nb = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const na = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    pki = {
      caDer: der.toString("latin1"),
      caPem,
      serverKeyPem: readFileSync(join(dir, "srv.key"), "utf8"),
      serverCertPem: readFileSync(join(dir, "srv.pem"), "utf8"),
      notBefore: nb,
      notAfter: na,
    };
  } catch {
    pki = null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return pki;
}
