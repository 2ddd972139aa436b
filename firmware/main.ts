// The device entry: the boot sequence of a networked camera. Config comes from the Storage
// file camnet.json: {"ssid", "key", "hostname", "ntp"?}. Each step logs one "[boot]" line;
// a step that fails retries with backoff and never stops the others.
import { cameraFrame, freeMemory, listenTcp, now, readJSON, ifconfig } from "../src/platform/index";
import { networkModule as network } from "../src/network/index";
import { mdns } from "../src/mdns/service";
import { ntptime } from "../src/ntptime/wired";
import { socketModule } from "../src/socket/index";
import { register } from "../src/register";
import { serve, text } from "./http";
import type { Reply } from "./http";

register({ network, mdns, ntptime, socket: socketModule });

const log = (line: string) => console.log("[boot] " + line);
// The HTTP port, 80, is written as a literal (a top-level const costs the board a JsVar).

// Uptime survives clock steps: the boot time moves with each one.
let bootedAt = now();
ntptime.onstep = (offset) => { bootedAt += offset; };

function route(path: string): Reply {
  if (path == "/") {
    return text(200, "name: " + network.hostname() + "\naddress: " + ifconfig().ip +
      "\nuptime: " + Math.floor((now() - bootedAt) / 1000) + " s\nclock: " +
      (ntptime.synced() ? new Date(now()).toISOString() : "not set") + "\nfree memory: " + freeMemory() + " vars");
  }
  if (path == "/snapshot") {
    const frame = cameraFrame();
    return frame ? { status: 200, type: "image/jpeg", body: frame } : text(503, "no camera driver on this board");
  }
  return text(404, "not found: try / or /snapshot");
}

// What outlives the boot is made out here: the link events' one listener (the reason is
// a string, the delay a number) and the server's connection handler.
const linkLog = (x: string | number) => log("wifi: " + (typeof x == "number" ? "reconnecting in " + x / 1000 + " s" : "link lost (" + x + ")"));
const accept: Parameters<typeof listenTcp>[1] = (s) => serve(s, route);

// The boot: a function run once and dropped (a named one would be kept for the board's
// life); its scope (the config, the retry helper) goes once every step has succeeded.
(() => {
  /** Runs `attempt` until it succeeds, waiting 1, 2, 4 ... 60 s between tries; logs each outcome. */
  const retrying = (step: string, attempt: () => Promise<string>, then?: () => void): void => {
    let delay = 1000;
    const run = () => attempt().then((line) => {
      log(step + ": " + line);
      if (then) then();
    }, (e) => {
      log(step + ": " + (e.code ? e.code + ": " : "") + e.message + "; retrying in " + delay / 1000 + " s");
      setTimeout(run, delay);
      delay = Math.min(delay * 2, 60000);
    });
    run();
  };

  let config = readJSON("camnet.json");
  if (!config || typeof config != "object") {
    log('config: no readable Storage file camnet.json: write {"ssid":"...","key":"...","hostname":"..."} to it');
    config = {};
  }
  if (config.hostname !== undefined) {
    try {
      network.hostname(config.hostname);
    } catch (e: any) {
      log("config: " + e.message + "; keeping " + network.hostname());
    }
  }
  log("host name " + network.hostname());
  if (config.ntp) ntptime.host = config.ntp;

  mdns.advertise("_http._tcp", 80, { path: "/" });
  log("mdns: " + network.hostname() + ".local and _http._tcp on port 80 answered from link-up" +
    (CAMNET_BOARD.capabilities.nativeMdns ? " (the name by the firmware's responder)" : ""));

  const sta = network.WLAN(network.STA_IF);
  sta.active(true);
  network.events.on("disconnected", linkLog).on("reconnecting", linkLog);
  if (CAMNET_BOARD.capabilities.wifi && !config.ssid) {
    log('config: no Wi-Fi SSID in camnet.json: add "ssid" and "key"; not joining any network');
    return;
  }
  retrying("wifi", () => sta.connect(config.ssid, config.key).then((c) =>
    `joined "${config.ssid || "(wired)"}" as ${c[0]}, gateway ${c[2]}, dns ${c[3]}`), () => {
    // The firmware listens only once the interface is up ("Not connected to the internet").
    retrying("http", () => listenTcp(80, accept).then(() => "serving / and /snapshot on port 80"));
    retrying("clock", () => ntptime.settime().then((t) => "set to " + new Date(t).toISOString()), () => ntptime.start());
  });
})();
