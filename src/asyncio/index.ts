// `asyncio`: Python's stream API (open_connection, start_server) on the socket objects.
// Espruino has no event loop to drive: everything is a Promise, so `await` in Python
// becomes `.then` here.
//
// The reader and the writer are one object, the socket itself, which gains the stream
// methods below (StreamReader: read, readline, readexactly; StreamWriter: write, drain,
// close, wait_closed, get_extra_info): its receive queue is the stream's buffer. The server
// start_server resolves to is the listening socket (close, wait_closed).
import { oserror as err } from "../socket/errors";
import { bytes, flat, methods, raise, ready, Socket, take } from "../socket/socket";
import { SSLContext } from "../ssl/index";

/** Waits until f(buffered bytes, EOF) says how many to take (undefined: wait for more). */
const upTo = (s: Socket, f: (b: Uint8Array, eof?: number) => number | undefined) => s.wait_(() => {
  s.io_();
  const k = f(flat(s.q_), s.z_);
  return k! >= 0 ? take(s.q_, k!) : undefined;
});

methods(Socket.prototype, {
  /** n < 0 (default): everything until EOF; else up to n bytes (waits for at least one). */
  read(n) {
    return n! >= 0 ? this.recv(n!) : upTo(this, (b, eof) => eof && b.length);
  },

  /** One line with its "\n"; at EOF what is left (maybe empty). */
  readline() {
    return upTo(this, (b, eof) => b.indexOf(10) + 1 || eof && b.length);
  },

  /** Exactly n bytes; the peer closing first rejects with code EOF (IncompleteReadError),
   *  carrying what arrived as .partial. */
  readexactly(n) {
    return upTo(this, (b, eof) => b.length < n ? eof && raise(methods(err("EOF", "IncompleteReadError: " + b.length + " of " + n + " bytes") as any,
      { partial: take(this.q_, n), expected: n })) : n);
  },

  /** Queues the bytes (never waits); call drain() to wait while the send buffer is full. */
  write(data) {
    const s = this;
    s.live_();
    if (s.s_) s.put_(bytes(data));
  },

  /** Waits while the platform's send buffer is full; rejects if the connection failed. */
  drain() {
    return this.wait_((s) => s.io_(1) || undefined);
  },

  /** The platform finishes closing on its own; nothing is left to wait for here. */
  wait_closed() {
    return Promise.resolve();
  },

  /** "peername", "sockname", "socket"; else `d`. */
  get_extra_info(name, d) {
    return ({ peername: this.p_, sockname: this.n_, socket: this } as any)[name] || d;
  },
});

export interface StreamOptions {
  /** An SSLContext, or true for SSLContext(PROTOCOL_TLS_CLIENT) (which verifies). */
  ssl?: SSLContext | boolean;
  server_hostname?: string;
}

/** Resolves to [reader, writer]: both the connected socket. */
export function open_connection(host: string, port: number, opts?: StreamOptions): Promise<[Socket, Socket]> {
  const c = opts && opts.ssl;
  return ready((s) => {
    if (c) (c === true ? new SSLContext(16) : c).wrap_socket(s, { server_hostname: opts!.server_hostname || host });
    return s.connect([host, port]);
  }).then((s) => [s, s]);
}

/** Calls callback(reader, writer) for every connection; resolves to the server. */
export function start_server(callback: (r: Socket, w: Socket) => any, host: string | null, port: number,
  opts?: { ssl?: SSLContext }): Promise<Socket> {
  return ready((s) => {
    if (opts && opts.ssl) opts.ssl.wrap_socket(s, { server_side: true });
    return s.bind([host || "", port]).then(() => s.listen());
  }).then((s) => {
    const loop = () => {
      s.accept().then((r) => {
        loop();
        callback(r[0], r[0]);
      }, () => {}); // closed: stop accepting
    };
    loop();
    return s;
  });
}

/** The module as `require("asyncio")` gives it. */
export const asyncio = { open_connection, start_server };
