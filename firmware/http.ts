// A tiny HTTP/1.0-1.1 server for the camera's status page: one request per connection,
// answered, then closed. Garbage gets a 400, never an exception; idle clients are cut off.
import type { TcpStream } from "../src/platform/types";

export interface Reply {
  status: number;
  type: string;
  body: string | Uint8Array;
}

/** What a GET of `path` answers. */
export type Route = (path: string) => Reply;

// (Few top-level functions and no tables at load: each costs the board JsVars for life;
// the request line is read where it is answered.
// The limits are literals: the longest request head accepted, 2048 bytes, and how long a
// client may stay silent, 10 s.)

/** A text/plain reply (the firmware's pages use it too). */
export const text = (status: number, body: string): Reply => ({ status, type: "text/plain", body: body + "\n" });

/** The reply to a request head (its text up to the blank line, or at least its first line);
 *  with `wait` (the head is not complete yet), 0 unless the request line is already bad. */
export function answer(head: string, route: Route): Reply;
export function answer(head: string, route: Route, wait: boolean): Reply | 0;
export function answer(head: string, route: Route, wait?: boolean): Reply | 0 {
  // [line, method, target, minor version] of an HTTP/1.x request line
  const m = head.split("\n")[0].match(/^([A-Z]+) (\/[^ ]*) HTTP\/1\.([01])\r*$/);
  if (!m) return text(400, "bad request: expected a line such as GET / HTTP/1.1");
  if (wait) return 0;
  if (m[1] != "GET") return text(405, "only GET is served here");
  try {
    return route(m[2].split("?")[0]);
  } catch (e: any) {
    return text(500, "error: " + e.message);
  }
}

/** Serves one connection: collects the head, answers once, closes. The reply goes out as
 *  bytes on the wire with HTTP/1.0 framing (Content-Length, then close); the reason
 *  phrases are built per reply, not kept. (One closure per connection does it all.) */
export function serve(s: TcpStream, route: Route): void {
  let head = "";
  let done = false;
  let idle: any = setTimeout(s.destroy, 10000);
  s.ondata = (d) => {
    if (done) return;
    for (let i = 0; i < d.length; i++) head += String.fromCharCode(d[i]);
    clearTimeout(idle);
    idle = setTimeout(s.destroy, 10000);
    // A bad request line is answered at once; a good one waits for the blank line.
    const r = head.indexOf("\n") >= 0 && answer(head, route, head.indexOf("\r\n\r\n") < 0 && head.indexOf("\n\n") < 0) ||
      (head.length > 2048 ? text(400, "request head over 2048 bytes") : 0);
    if (!r) return;
    done = true;
    clearTimeout(idle);
    const b = r.body;
    const h = "HTTP/1.0 " + r.status + " " + ({
      200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 503: "Service Unavailable",
    } as { [status: string]: string })[r.status] + "\r\nContent-Type: " + r.type +
      "\r\nContent-Length: " + b.length + "\r\nConnection: close\r\n\r\n";
    const out = new Uint8Array(h.length + b.length);
    const t = typeof b == "string" ? h + b : (out.set(b, h.length), h);
    for (let i = 0; i < t.length; i++) out[i] = t.charCodeAt(i);
    s.write(out);
    s.end();
  };
  // Espruino closes the socket at the peer's FIN (no half-close), so there is no onend reply.
  s.onerror = s.onclose = () => {
    done = true;
    clearTimeout(idle);
  };
}
