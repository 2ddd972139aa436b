// The socket module's errors: plain Errors with .code (and .errno), as DESIGN.md asks, since
// Espruino cannot subclass Error. With an errno the message reads "[Errno 22] ..." like
// CPython's OSError; gaierror's errno is Linux's EAI number, like socket.gaierror's.
import type { CodedError } from "../platform/types";
import { codedError } from "../util/errors";
import { constants } from "./constants";

/** An errno-style error; with `errno` the message reads "[Errno 22] <message>" like OSError.
 *  Without: an EAI_* code gets its Linux number, like Python's socket.gaierror (the EAI_*
 *  constants are the errnos), e.g. "[Errno -2] no A record for cam.lan: check the name";
 *  any other code (ETIMEDOUT, ...) gives a plain coded error without an errno. */
export const oserror = (code: string, message: string, errno?: number): CodedError =>
  codedError(code, (errno = errno || constants[code]) ? "[Errno " + errno + "] " + message : message, errno);

/** A name-resolution error (oserror itself: one function kept for the board's life). */
export const gaierror = oserror as (code: string, what: string) => CodedError;
