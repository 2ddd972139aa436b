// The `ntptime` module wired to the platform and to getaddrinfo: what require("ntptime")
// gives on the board.
import { ifconfig, now, openUdp, randomBytes, setClock } from "../platform/index";
import { getaddrinfo } from "../socket/names";
import { createNtp } from "./index";

// Espruino's timer functions are passed as they are (they ignore `this`).
export const ntptime = createNtp({
  openUdp_: openUdp, now_: now, setClock_: setClock, random_: randomBytes,
  build_: CAMNET_BOARD.buildTime * 1000,
  setTimeout_: setTimeout, setInterval_: setInterval, clearTimeout_: clearTimeout,
  ifconfig_: ifconfig, resolve_: getaddrinfo,
});
