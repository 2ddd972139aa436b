// The socket module's errors: plain Errors with .code (and .errno), as DESIGN.md asks, since
// Espruino cannot subclass Error. With an errno the message reads "[Errno 22] ..." like
// CPython's OSError; gaierror's errno is Linux's EAI number, like socket.gaierror's.
import type { CodedError } from "../platform/types";
import { codedError } from "../util/errors";
import { constants } from "./constants";

/** An errno-style error; with `errno` the message reads "[Errno 22] <message>" like OSError. */
export const oserror = (code: string, message: string, errno?: number): CodedError =>
  codedError(code, errno ? "[Errno " + errno + "] " + message : message, errno);

/** A name-resolution error like Python's socket.gaierror: `.code` the EAI name, `.errno`
 *  its Linux number, e.g. "[Errno -2] no A record for cam.lan: check the name". Any other
 *  code (ETIMEDOUT, ...) gives a plain coded error without an errno. */
export const gaierror = (code: string, what: string): CodedError =>
  oserror(code, what, constants[code]); // (the EAI_* constants are the errnos)
