// The virtual LAN `npm start`, the tests and the bench boot the camera on: a home
// network with an access point, a router (DHCP, DNS, NTP) and a laptop, plus an
// "outside" DNS zone with the names the seed examples use.
import { Lan } from "./lan/lan.ts";

export const LAB_SSID = "camnet-lab";
export const LAB_KEY = "camnet-pass";

export interface LabOptions {
  latencyMs?: number;
  loss?: number;
  seed?: number;
}

export function defaultLan(opts: LabOptions = {}) {
  const lan = new Lan({ subnet: "192.168.1.0/24", latencyMs: opts.latencyMs, loss: opts.loss, seed: opts.seed ?? 1 });
  const ap = lan.addAccessPoint({ ssid: LAB_SSID, password: LAB_KEY, channel: 6, rssi: -48 });
  lan.addAccessPoint({ ssid: "neighbours", password: "not-yours-1", channel: 11, rssi: -82 });
  const router = lan.addRouter({ domain: "lan" });
  const zone = router.dns;
  zone.add("example.com", "A", "93.184.216.34");
  zone.add("example.com", "AAAA", "2606:2800:220:1:248:1893:25c8:1946");
  zone.add("www.example.com", "CNAME", "example.com");
  zone.add("api.example.com", "A", "93.184.216.40");
  zone.add("api.example.com", "A", "93.184.216.41");
  zone.add("api.example.com", "A", "93.184.216.42");
  zone.add("cern.ch", "A", "188.184.77.250");
  zone.add("iana.org", "A", "192.0.43.8");
  zone.add("iana.org", "AAAA", "2001:500:88:200::8");
  zone.add("8.43.0.192.in-addr.arpa", "PTR", "43-8.any.icann.org");
  zone.add("pool.ntp.org", "CNAME", "ntp.lan");
  zone.add("ntp.lan", "A", router.address);
  return { lan, ap, router };
}
