// The `ntptime` module wired to the platform and to getaddrinfo: what require("ntptime")
// gives on the board. Importing this module does the wiring, once.
import { board, ifconfig, now, openUdp, randomBytes, setClock } from "../platform/index";
import { getaddrinfo } from "../socket/names";
import { ntptime, wire } from "./index";

wire({
  openUdp, now, setClock, random: randomBytes,
  buildTimeMs: board.buildTime * 1000,
  setTimeout: (f, ms) => setTimeout(f, ms), clearTimeout: (id) => clearTimeout(id as number),
  dhcpServers: () => ifconfig().ntp,
  resolve: (h) => getaddrinfo(h, 123, 2).then((l) => l.map((a) => a[4][0])),
});

export { ntptime };
