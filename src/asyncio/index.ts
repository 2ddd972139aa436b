// `asyncio`: Python's stream API (open_connection, start_server, StreamReader/StreamWriter)
// and a few helpers, on the socket objects. Espruino has no event loop to drive: everything
// is a Promise, so `await` in Python becomes `.then` here.
import { bytes, err, run, Socket, socket, take, timed, cat, type Address, type Data } from "../socket/socket";
import { create_default_context, SSLContext } from "../ssl/index";

export class StreamReader {
  declare _s: Socket;

  constructor(s: Socket) {
    this._s = s;
  }

  /** n < 0 (default): everything until EOF; else up to n bytes (waits for at least one). */
  read(n?: number): Promise<Uint8Array> {
    const s = this._s;
    return n == null || n < 0 ? s._wait(() => s._ready() && s._z ? take(s._q, Infinity) : undefined) : s.recv(n);
  }

  /** One line with its "\n"; at EOF what is left (maybe empty). */
  readline(): Promise<Uint8Array> {
    const s = this._s;
    return s._wait(() => {
      if (!s._ready()) return;
      const b = this._flat(), i = b.indexOf(10);
      return i >= 0 ? take(s._q, i + 1) : s._z ? take(s._q, b.length) : undefined;
    });
  }

  /** Exactly n bytes; the peer closing first rejects with code EOF (IncompleteReadError),
   *  carrying what arrived as .partial. */
  readexactly(n: number): Promise<Uint8Array> {
    const s = this._s;
    return s._wait(() => {
      if (!s._ready()) return;
      const b = this._flat();
      if (b.length >= n) return take(s._q, n);
      if (s._z) {
        const e = err("EOF", "IncompleteReadError: " + b.length + " of " + n + " bytes, then the peer closed");
        throw Object.assign(e, { partial: take(s._q, b.length), expected: n });
      }
    });
  }

  at_eof(): boolean {
    return !!this._s._z && !this._s._q.length;
  }

  /** The buffered chunks as one. */
  _flat(): Uint8Array {
    const q = this._s._q;
    if (q.length > 1) q.splice(0, q.length, cat(q));
    return q[0] || new Uint8Array(0);
  }
}

export class StreamWriter {
  declare _s: Socket;

  constructor(s: Socket) {
    this._s = s;
  }

  /** Queues the bytes (never waits); call drain() to wait while the send buffer is full. */
  write(data: Data): void {
    const s = this._s;
    s._live();
    if (s._s) s._put(bytes(data));
  }

  /** Waits while the platform's send buffer is full; rejects if the connection failed. */
  drain(): Promise<void> {
    const s = this._s;
    return s._wait(() => s._wr() ? 0 : undefined).then(() => {});
  }

  /** Closes once queued bytes are sent (the platform ends the stream gracefully). */
  close(): void {
    this._s.close();
  }

  is_closing(): boolean {
    return !!this._s._c;
  }

  /** The platform finishes closing on its own; nothing is left to wait for here. */
  wait_closed(): Promise<void> {
    return Promise.resolve();
  }

  /** "peername", "sockname", "socket", "sslcontext"; else `d`. */
  get_extra_info(name: string, d?: any): any {
    const s = this._s as any;
    try {
      return name == "peername" ? s.getpeername() : name == "sockname" ? s.getsockname()
        : name == "socket" ? s : name == "sslcontext" && s.context || d;
    } catch (e) {
      return d;
    }
  }
}

export interface StreamOptions {
  /** An SSLContext, or true for create_default_context() (which verifies). */
  ssl?: SSLContext | boolean;
  server_hostname?: string;
}

export function open_connection(host: string, port: number, opts?: StreamOptions): Promise<[StreamReader, StreamWriter]> {
  let s = socket();
  return run(() => {
    const c = opts && opts.ssl;
    if (c) s = (c === true ? create_default_context() : c).wrap_socket(s, { server_hostname: opts!.server_hostname || host });
    return s.connect([host, port]);
  }).then(() => [new StreamReader(s), new StreamWriter(s)] as [StreamReader, StreamWriter], (e) => {
    s.close();
    throw e;
  });
}

export interface Server {
  sockets: Socket[];
  close(): void;
  wait_closed(): Promise<void>;
  is_serving(): boolean;
}

/** Calls callback(reader, writer) for every connection (its Promise, if any, runs on). */
export function start_server(callback: (r: StreamReader, w: StreamWriter) => any, host: string | null, port: number,
  opts?: { ssl?: SSLContext }): Promise<Server> {
  let s = socket();
  return run(() => {
    if (opts && opts.ssl) s = opts.ssl.wrap_socket(s, { server_side: true });
    return s.bind([host || "", port]);
  }).then(() => s.listen()).then(() => {
    const loop = () => {
      s.accept().then((r) => {
        loop();
        const c = r[0];
        Promise.resolve().then(() => callback(new StreamReader(c), new StreamWriter(c)));
      }, () => {}); // closed: stop accepting
    };
    loop();
    return { sockets: [s], close: () => s.close(), wait_closed: () => Promise.resolve(), is_serving: () => !s._c };
  }, (e) => {
    s.close();
    throw e;
  });
}

export function sleep<T>(seconds: number, result?: T): Promise<T | undefined> {
  return new Promise((y) => setTimeout(() => y(result), seconds * 1000));
}

export function gather(...aws: any[]): Promise<any[]> {
  return Promise.all(aws);
}

/** p, or ETIMEDOUT after `timeout` seconds (null: no limit). The work itself goes on: a
 *  Promise cannot be cancelled. */
export function wait_for<T>(p: Promise<T>, timeout: number | null): Promise<T> {
  return timed(p, timeout);
}

/** asyncio.run(main()): the Promise itself; the board's loop is always running. */
export function run_main<T>(p: Promise<T>): Promise<T> {
  return Promise.resolve(p);
}
export { run_main as run };

export type { Address };
