// The socket module's errors: plain Errors with .code (and .errno), as DESIGN.md asks, since
// Espruino cannot subclass Error. With an errno the message reads "[Errno 22] ..." like
// CPython's OSError; gaierror's errno is Linux's EAI number, like socket.gaierror's.
import type { CodedError } from "../platform/types";
import { codedError } from "../util/errors";

/** Linux's EAI_* numbers, in constants.ts's list syntax (which builds the constants from
 *  it): read here as text, so code that only makes errors does not build the table. */
export const EAI_LIST = "EAI_ BADFLAGS -1 NONAME -2 AGAIN -3 FAIL -4 NODATA -5 FAMILY -6 SOCKTYPE -7 SERVICE -8 " +
  "ADDRFAMILY -9 MEMORY -10 SYSTEM -11 OVERFLOW -12 ";

/** An errno-style error; with `errno` the message reads "[Errno 22] <message>" like OSError. */
export const oserror = (code: string, message: string, errno?: number): CodedError =>
  codedError(code, errno ? "[Errno " + errno + "] " + message : message, errno);

/** A name-resolution error like Python's socket.gaierror: `.code` the EAI name, `.errno`
 *  its Linux number, e.g. "[Errno -2] no A record for cam.lan: check the name". Any other
 *  code (ETIMEDOUT, ...) gives a plain coded error without an errno. */
export const gaierror = (code: string, what: string): CodedError =>
  oserror(code, what, parseInt(EAI_LIST.split(" " + code.slice(4) + " ")[1]) || undefined);
