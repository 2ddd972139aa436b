// Cached look-ups per second of the Resolver class itself on Node, with an in-memory IO (a
// fake UDP socket that answers like the router would): the ceiling getaddrinfo runs under.
import { Resolver, type ResolverIO } from "../../src/dns/resolver.ts";
import { encodeMessage, parseMessage, TYPE_A } from "../../src/dns/message.ts";
import type { UdpSocket } from "../../src/platform/types.ts";
import type { Figure } from "./table.ts";

const SERVER = "192.168.1.1";

/** An IO whose UDP "server" answers every A question with three addresses, TTL 300. */
export function inMemoryIO(): ResolverIO {
  return {
    openUdp: () => {
      const sock: UdpSocket = {
        port: 0,
        onmessage: null,
        close() {},
        send(data) {
          const q = parseMessage(data);
          const name = q.questions[0].name;
          const reply = encodeMessage({
            id: q.id, flags: 0x8180, questions: q.questions,
            answers: [1, 2, 3].map((i) => ({ name, type: TYPE_A, ttl: 300, data: "93.184.216." + i })),
            authorities: [], additionals: [],
          });
          setImmediate(() => sock.onmessage?.(reply, SERVER, 53));
        },
      };
      return Promise.resolve(sock);
    },
    connectTcp: () => Promise.reject(new Error("no TCP in the in-memory IO")),
    now: () => Date.now(),
    randomBytes: (n) => {
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = (Math.random() * 256) | 0;
      return b;
    },
    servers: () => [SERVER],
    error: (code, message) => Object.assign(new Error(message), { code }),
  };
}

/** Settled cached Resolver.query(name, A) Promises per second, one after another. */
export async function cachedQueries(ms: number): Promise<number> {
  const r = new Resolver(inMemoryIO());
  await r.query("example.com", TYPE_A); // fills the cache
  const run = async (n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await r.query("example.com", TYPE_A);
    return performance.now() - t0;
  };
  await run(2000); // warm-up
  const probe = await run(2000);
  const n = Math.max(2000, Math.round((2000 * ms) / Math.max(probe, 0.1)));
  return Math.round(n / ((await run(n)) / 1000));
}

export async function benchResolver(ms: number): Promise<Figure[]> {
  return [{
    what: "cached Resolver.query (A), Resolver class on Node, in-memory IO",
    value: await cachedQueries(ms), unit: "/s", min: 50000, note: "settled Promises, one after another",
  }];
}
