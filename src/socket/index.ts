// The `socket` module: CPython's constants, name functions and address helpers, with
// Promises where Python blocks.
import { constants } from "./constants";
import { inet_aton, inet_ntoa, inet_ntop, inet_pton } from "./inet";
import {
  getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname, resolver,
} from "./names";
import { getprotobyname, getservbyname, getservbyport } from "./services";

// The constants object itself becomes the module (a copy of ~70 names would cost a JsVar each).
export const socketModule: { [name: string]: unknown } = Object.assign(constants, {
  getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname,
  getprotobyname, getservbyname, getservbyport,
  inet_aton, inet_ntoa, inet_ntop, inet_pton,
  has_ipv6: CAMNET_BOARD.capabilities.ipv6,
  /** The stub resolver: `resolver.hosts["nas"] = ["192.168.1.5"]` adds a static entry. */
  resolver,
});
