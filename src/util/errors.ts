// The one way camnet makes an error: an Error with a stable `.code` (Espruino cannot
// subclass Error). Free of platform imports, so pure protocol code and its unit tests
// can use it without the board.
import type { CodedError } from "../platform/types";

export function codedError(code: string, message: string, errno?: number): CodedError {
  const e = new Error(message) as CodedError;
  e.code = code;
  if (errno !== undefined) e.errno = errno;
  return e;
}
