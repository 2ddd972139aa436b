// The device entry: the boot sequence of a networked camera. Each step logs one line.
// Config comes from the Storage file camnet.json: {"ssid", "key", "hostname"}.
import { networkModule as network } from "../src/network/index";
import { readJSON } from "../src/platform/index";
import { register } from "../src/register";

register({ network });

const log = (line: string) => console.log("[boot] " + line);
const config = readJSON("camnet.json") || {};

function boot(): void {
  if (config.hostname) {
    try {
      network.hostname(config.hostname);
    } catch (e: any) {
      log("config: " + e.message + "; keeping " + network.hostname());
    }
  }
  log("host name " + network.hostname());
  const sta = network.WLAN(network.STA_IF);
  sta.active(true);
  if (!config.ssid && !sta.isconnected()) {
    log('config: no Wi-Fi SSID: write {"ssid":"...","key":"..."} to Storage file camnet.json');
    return;
  }
  network.events.on("disconnected", (why: string) => log("wifi: link lost (" + why + ")"));
  network.events.on("reconnecting", (ms: number) => log("wifi: reconnecting in " + ms + " ms"));
  sta.connect(config.ssid, config.key).then((c) => {
    log(`wifi: joined "${config.ssid || "(wired)"}" as ${c[0]}, gateway ${c[2]}, dns ${c[3]}`);
  }, (e) => log(`wifi: ${e.code}: ${e.message}`));
}

boot();
