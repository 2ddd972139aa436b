// The full runtime (dist/<board>/camnet.js): every camnet module, registered under its
// seed name for `require(...)`, with its IO wired to the platform.
import { asyncio } from "./asyncio/index";
import { mdns } from "./mdns/service";
import { networkModule } from "./network/index";
import { ntptime } from "./ntptime/wired";
import { connectTcp, listenTcp, now, openUdp } from "./platform/index";
import { register } from "./register";
import { addConstants, OBJECT_CONSTANTS } from "./socket/constants";
import { socketModule } from "./socket/index";
import { getaddrinfo } from "./socket/names";
import { configure as configureSockets, create_connection, create_server, socket } from "./socket/socket";
import { ssl } from "./ssl/index";

// The platform's functions one by one, not `import * as platform`: a namespace object would
// keep every export (the firmware-only ones too) in the bundle.
configureSockets({ connectTcp, listenTcp, openUdp, now }, (host, port, type) => getaddrinfo(host, port, 0, type) as any);

addConstants(socketModule, OBJECT_CONSTANTS);
register({
  network: networkModule, asyncio, ssl, ntptime, mdns,
  socket: Object.assign(socketModule, { socket, create_connection, create_server }),
});
