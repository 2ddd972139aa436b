// The socket module's errors: plain Errors with .code (and .errno), as DESIGN.md asks, since
// Espruino cannot subclass Error. gaierror mirrors Python's socket.gaierror on Linux: the
// message starts with glibc's gai_strerror text, e.g. "[Errno -2] Name or service not known".
import type { CodedError } from "../platform/types";
import { EAI_NAMES } from "./constants";
import { codedError } from "../util/errors";

/** An errno-style error; with `errno` the message reads "[Errno 22] <message>" like OSError. */
export function oserror(code: string, message: string, errno?: number): CodedError {
  return codedError(code, errno ? "[Errno " + errno + "] " + message : message, errno || undefined);
}

// glibc's gai_strerror texts, in EAI_NAMES order
const EAI_TEXT = ("Bad value for ai_flags|Name or service not known|Temporary failure in name resolution|" +
  "Non-recoverable failure in name resolution|No address associated with hostname|ai_family not supported|" +
  "ai_socktype not supported|Servname not supported for ai_socktype|Address family for hostname not supported|" +
  "Memory allocation failure|System error|Argument buffer overflow").split("|");

/**
 * A name-resolution error like Python's socket.gaierror: `.code` is the EAI name
 * ("EAI_NONAME"), `.errno` its Linux number (-2), the message glibc's text plus `hint`
 * (what happened here and what to do), e.g.
 * "[Errno -2] Name or service not known: no DNS record for cam.lan; check the spelling".
 */
export function gaierror(code: string, hint?: string): CodedError {
  const i = EAI_NAMES.indexOf(code.slice(4));
  return oserror(code, EAI_TEXT[i] + (hint ? ": " + hint : ""), -1 - i);
}
