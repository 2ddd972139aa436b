// The `socket` module: CPython's constants, name functions and address helpers, with
// Promises where Python blocks.
import { constants } from "./constants";
import { inet_pton } from "./inet";
import {
  getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname, resolver,
} from "./names";
import { getprotobyname, getservbyname } from "./services";

// The constants object itself becomes the module (a copy of ~70 names would cost a JsVar each).
export const socketModule: { [name: string]: unknown } = Object.assign(constants, {
  getaddrinfo, getfqdn, gethostbyaddr, gethostbyname, gethostbyname_ex, gethostname,
  // one function each under several names (inet.ts and services.ts export the aliases for
  // camnet's own code and tests; here an alias would be a var kept for the board's life)
  getprotobyname, getservbyname, getservbyport: getservbyname,
  inet_aton: inet_pton, inet_ntoa: inet_pton, inet_ntop: inet_pton, inet_pton,
  has_ipv6: CAMNET_BOARD.capabilities.ipv6,
  /** The stub resolver: `resolver.hosts["nas"] = ["192.168.1.5"]` adds a static entry. */
  resolver,
});
