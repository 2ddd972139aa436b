// Espruino's regular expression matcher (src/jswrap_regexp.c, 2v29), ported line for line so
// that a pattern matches in the emulator exactly what it matches on the board. It is a small
// backtracking matcher with quirks V8 does not have, all measured on the Linux build:
//   - `|` ends the match where it is met, even inside a group: /^(a|b)c/ takes "ad", and what
//     follows a group is checked against its first alternative only (/^a(0|1)$/ misses "a1");
//   - a failed branch restarts at the next `|` of the whole pattern from the match start;
//   - `?`, `{n}`, `(?:`, lookaround and \b do not exist (`?` is a literal, \b is backspace);
//   - `*` and `+` apply to one character or class only, and are greedy with no giving back
//     beyond "the last position where the rest matched".
// The dialect gate keeps camnet's own patterns inside what this matcher gets right; the port
// makes code typed at the emulated REPL, or a pattern the gate misses, fail as it would there.

export interface EspruinoMatch {
  index: number;
  end: number;
  /** [start, end) of each group opened on the matching path, in order. */
  groups: Array<[number, number]>;
}

const NO_RANGE = 256;
const MAX_GROUPS = 9;

interface Info {
  str: string;
  startIndex: number;
  ignoreCase: boolean;
  rangeMatch: boolean;
  rangeFirstChar: number;
  groups: number;
  groupStart: number[];
  groupEnd: number[];
}

const isNumeric = (ch: number) => ch >= 48 && ch <= 57;
const isAlpha = (ch: number) => (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || ch === 95;
const isWhitespace = (ch: number) => ch === 9 || ch === 11 || ch === 12 || ch === 32 || ch === 10 || ch === 13;
const lower = (ch: number) => ((ch >= 65 && ch <= 90) || (ch >= 192 && ch <= 214) || (ch >= 216 && ch <= 222) ? ch + 32 : ch);
const hex = (c: string) => parseInt(c, 16) || 0;

/** C passes matchInfo by value. Only "(" and ")" change what a callee passes on (the class
 *  fields matchcharacter sets are reset before it returns), so those two copy and every other
 *  step shares its caller's: the same semantics without an allocation per character. */
const copy = (i: Info): Info => ({ ...i, groupStart: i.groupStart.slice(), groupEnd: i.groupEnd.slice() });

/** The character at `pos`, 0 past the end (jsvStringIteratorGetChar). */
const charAt = (s: string, pos: number) => (pos < s.length ? s.charCodeAt(pos) & 255 : 0);

function matchfound(pos: number, info: Info): EspruinoMatch {
  const groups: Array<[number, number]> = [];
  for (let i = 0; i < info.groups; i++) groups.push([info.groupStart[i]!, info.groupEnd[i]!]);
  return { index: info.startIndex, end: pos, groups };
}

function nomatchfound(re: string, at: number, info: Info): EspruinoMatch | null {
  while (at < re.length && re[at] !== "|") {
    if (re[at] === "\\") {
      at++;
      if (at >= re.length) return null;
    }
    at++;
  }
  if (re[at] !== "|") return null;
  return matchhere(re, at + 1, info.startIndex, info);
}

/** Whether one pattern character (or class) at re[at] matches str[pos], and its length. */
function matchcharacter(re: string, at: number, str: string, pos: number, info: Info): [boolean, number] {
  let length = 1;
  let ch = charAt(str, pos);
  if (re[at] === ".") return [true, 1];
  if (re[at] === "[") {
    info.rangeMatch = true;
    const inverted = re[at + 1] === "^";
    if (inverted) length++;
    let matchAny = false;
    while (at + length < re.length && re[at + length] !== "]") {
      if (re[at + length] === ".") {
        matchAny = matchAny || ch === 46;
        length++;
      } else {
        const [m, len] = matchcharacter(re, at + length, str, pos, info);
        matchAny = matchAny || m;
        length += len;
      }
    }
    if (re[at + length] === "]") length++;
    else throw new Error("Unfinished character set in RegEx");
    info.rangeMatch = false;
    return [matchAny !== inverted, length];
  }
  let cH = re.charCodeAt(at) & 255;
  if (re[at] === "\\") {
    length = 2;
    const e = re[at + 1] ?? "";
    cH = e.charCodeAt(0) & 255;
    if (e === "d") return [isNumeric(ch), 2];
    if (e === "D") return [!isNumeric(ch), 2];
    if (e === "s") return [isWhitespace(ch), 2];
    if (e === "S") return [!isWhitespace(ch), 2];
    if (e === "w") return [isNumeric(ch) || isAlpha(ch), 2];
    if (e === "W") return [!(isNumeric(ch) || isAlpha(ch)), 2];
    const code: { [k: string]: number } = { f: 12, b: 8, n: 10, r: 13, t: 9, v: 11, "0": 0 };
    if (e in code) cH = code[e]!;
    else if (e >= "1" && e <= "9") throw new Error("Backreferences not supported");
    else if (e === "x" && re[at + 2] && re[at + 3]) {
      length = 4;
      cH = hex(re[at + 2]! + re[at + 3]!);
    }
  }
  if (info.rangeMatch && re[at + length] === "-" && re[at + length + 1] !== "]") {
    info.rangeFirstChar = cH;
    length++;
    const [m, len] = matchcharacter(re, at + length, str, pos, info);
    return [m, length + len];
  }
  if (info.ignoreCase) {
    ch = lower(ch);
    cH = lower(cH);
  }
  if (info.rangeFirstChar !== NO_RANGE) {
    let cL = info.rangeFirstChar;
    if (info.ignoreCase) cL = lower(cL);
    info.rangeFirstChar = NO_RANGE;
    return [ch >= cL && ch <= cH && cL < cH, length];
  }
  return [cH === ch, length];
}

function matchhere(re: string, at: number, pos: number, info: Info): EspruinoMatch | null {
  if (at >= re.length || re[at] === "|") return matchfound(pos, info);
  if (re[at] === "^") {
    if (pos !== 0) return null;
    return matchhere(re, at + 1, pos, info);
  }
  if (re[at] === "$") {
    if (pos >= info.str.length) return matchhere(re, at + 1, pos, info);
    return nomatchfound(re, at + 1, info);
  }
  if (re[at] === "(") {
    info = copy(info);
    info.groupStart[info.groups] = pos;
    info.groupEnd[info.groups] = pos;
    if (info.groups < MAX_GROUPS) info.groups++;
    return matchhere(re, at + 1, pos, info);
  }
  if (re[at] === ")") {
    info = copy(info);
    if (info.groups > 0) info.groupEnd[info.groups - 1] = pos;
    return matchhere(re, at + 1, pos, info);
  }
  let [charMatched, charLength] = matchcharacter(re, at, info.str, pos, info);
  const op = re[at + charLength];
  if (op === "*" || op === "+") {
    if (!charMatched && op === "+") return nomatchfound(re, at + charLength + 1, info);
    const after = at + charLength + 1;
    let last = matchhere(re, after, pos, info);
    while (pos < info.str.length && charMatched) {
      pos++;
      [charMatched, charLength] = matchcharacter(re, at, info.str, pos, info);
      const r = matchhere(re, after, pos, info);
      if (r) last = r;
    }
    return last;
  }
  if (pos < info.str.length && charMatched) return matchhere(re, at + charLength, pos + 1, info);
  return nomatchfound(re, at + charLength, info);
}

/**
 * Espruino's match(): the first position from `start` where `source` matches `str`, trying
 * `start` and then every later position that still has a character (so never the end of a
 * non-empty string); only `start` itself when `sticky` (V8's split() asks position by position).
 */
export function espruinoMatch(source: string, str: string, start: number, ignoreCase: boolean, sticky = false): EspruinoMatch | null {
  const info: Info = {
    str, startIndex: start, ignoreCase, rangeMatch: false, rangeFirstChar: NO_RANGE, groups: 0, groupStart: [], groupEnd: [],
  };
  let r = matchhere(source, 0, start, copy(info));
  for (let pos = start + 1; !r && !sticky && pos < str.length; pos++) {
    info.startIndex = pos;
    r = matchhere(source, 0, pos, copy(info));
  }
  return r;
}

/** The constructor's shortcut: plain characters then `$` is matched as a suffix compare.
 *  (Espruino works it out once, in the constructor: cached per pattern here.) */
const tails = new Map<string, string | null>();
function endsWith(source: string): string | null {
  let t = tails.get(source);
  if (t === undefined) tails.set(source, (t = suffixOf(source)));
  return t;
}

function suffixOf(source: string): string | null {
  let ch = "", plain = true;
  const buf: string[] = [];
  for (const c of source) {
    const wasSlash = ch === "\\";
    if (ch && ".[]()|^*+$".includes(ch)) plain = false;
    ch = c;
    if (wasSlash && !".\\".includes(ch)) {
      plain = false;
      ch = "";
    }
    if (ch && (wasSlash || ch !== "\\") && buf.length < 32) buf.push(ch);
    if (wasSlash) ch = "";
  }
  if (ch !== "$" || !plain || buf.length >= 32) return null;
  buf.pop();
  return buf.join("");
}

/** RegExp.prototype.exec as jswrap_regexp_exec does it: the match and the next lastIndex. */
export function espruinoExec(source: string, flags: string, str: string, lastIndex: number, sticky = false): { match: EspruinoMatch | null; lastIndex: number } {
  const tail = endsWith(source);
  if (tail !== null) {
    const idx = str.length - tail.length;
    if (idx >= 0 && lastIndex <= idx && str.slice(idx) === tail && (!sticky || idx === lastIndex)) {
      // (the board leaves lastIndex alone here; V8's split() needs the end of the match)
      return { match: { index: idx, end: str.length, groups: [] }, lastIndex: sticky ? str.length : lastIndex };
    }
  }
  if (lastIndex > str.length) return { match: null, lastIndex };
  const match = espruinoMatch(source, str, lastIndex, flags.includes("i"), sticky);
  if (!match) return { match: null, lastIndex: 0 };
  // (V8's split() asks with the sticky flag and reads where the match ended from lastIndex)
  return { match, lastIndex: flags.includes("g") || sticky ? match.end : 0 };
}
