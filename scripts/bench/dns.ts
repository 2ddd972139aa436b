// Benchmark of the DNS message codec on Node: parse and encode rate of a typical answer
// (one question, three A answers whose names are compression pointers), beside dns-packet
// doing the same work in the same run. Returns figures; `npm run bench` prints them.
import dnsPacket from "dns-packet";
import { encodeMessage, parseMessage, TYPE_A } from "../../src/dns/message.ts";
import type { Message } from "../../src/dns/message.ts";

export interface DnsBenchRow {
  what: string;
  /** camnet's codec */
  ours: number;
  /** dns-packet 5.6 on the same message */
  peer: number;
  unit: string;
}

export const TYPICAL_ANSWER: Message = {
  id: 0x1234, flags: 0x8180,
  questions: [{ name: "kitchen-cam.lan", type: TYPE_A }],
  answers: [1, 2, 3].map((i) => ({ name: "kitchen-cam.lan", type: TYPE_A, ttl: 300, data: "192.168.1." + i })),
  authorities: [], additionals: [],
};

/** Runs `fn` repeatedly for about `ms` milliseconds; operations per second. */
function rate(fn: () => unknown, ms: number): number {
  for (let i = 0; i < 2000; i++) fn(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint(), limit = BigInt(ms) * 1000000n;
  let dt = 0n;
  while (dt < limit) {
    for (let i = 0; i < 500; i++) fn();
    n += 500;
    dt = process.hrtime.bigint() - t0;
  }
  return Math.round(n / (Number(dt) / 1e9));
}

/** Parse and encode rates (ops/s) of the typical answer, ours beside dns-packet's, and its size. */
export function benchDns(ms = 500): DnsBenchRow[] {
  const wire = encodeMessage(TYPICAL_ANSWER);
  const buf = Buffer.from(wire);
  const theirs = dnsPacket.decode(buf);
  const plainSize = dnsPacket.encode(theirs).length;
  return [
    { what: "dns: parse typical answer (1 Q + 3 A)", ours: rate(() => parseMessage(wire), ms), peer: rate(() => dnsPacket.decode(buf), ms), unit: "ops/s" },
    { what: "dns: encode typical answer (1 Q + 3 A)", ours: rate(() => encodeMessage(TYPICAL_ANSWER), ms), peer: rate(() => dnsPacket.encode(theirs), ms), unit: "ops/s" },
    { what: "dns: typical answer size (compressed vs not)", ours: wire.length, peer: plainSize, unit: "bytes" },
  ];
}

// `tsx scripts/bench/dns.ts` prints the table on its own.
if (import.meta.url === "file://" + process.argv[1]) {
  for (const r of benchDns()) console.log(r.what.padEnd(48), String(r.ours).padStart(10), String(r.peer).padStart(10), r.unit);
}
