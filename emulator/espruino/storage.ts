// require("Storage") (in memory, per board), require("fs") (Linux build: a few virtual files
// such as /etc/resolv.conf) and require("crypto") (SHA1/224/256/384/512, no HMAC).
import { createHash, pbkdf2Sync } from "node:crypto";
import { binaryToBytes, bytesToBinary } from "./binary.ts";
import type { Chip } from "./sandbox.ts";

const NAME_MAX = 28;
const STORAGE_BYTES = 262144;

function toBinary(v: unknown): string {
  if (typeof v === "string") return v;
  if (ArrayBuffer.isView(v)) return bytesToBinary(new Uint8Array((v as Uint8Array).buffer, (v as Uint8Array).byteOffset, (v as Uint8Array).byteLength));
  if (Object.prototype.toString.call(v) === "[object ArrayBuffer]") return bytesToBinary(new Uint8Array(v as ArrayBuffer));
  return String(v);
}

export function createStorageModule(chip: Chip): unknown {
  const { realm } = chip;
  const files = chip.storage;
  const mod = realm.obj();
  const def = (name: string, f: (...a: any[]) => unknown) =>
    Object.defineProperty(mod, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
  const checkName = (n: unknown): string => {
    if (typeof n !== "string" || !n.length) throw realm.error("Name must be a non-empty string");
    if (n.length > NAME_MAX) throw realm.error(`File name too long (max ${NAME_MAX})`);
    return n;
  };
  const used = () => [...files.values()].reduce((a, f) => a + f.length + 32, 0);

  def("read", (name: unknown, offset: unknown, length: unknown) => {
    const f = files.get(checkName(name));
    if (f === undefined) return undefined;
    const o = Number(offset) || 0;
    return length === undefined ? f.slice(o) : f.substr(o, Number(length));
  });
  def("readJSON", (name: unknown, noExceptions: unknown) => {
    const f = files.get(checkName(name));
    if (f === undefined) return undefined;
    try {
      return (realm.global.JSON as JSON).parse(f);
    } catch (e) {
      if (noExceptions) return undefined;
      throw e;
    }
  });
  def("readArrayBuffer", (name: unknown) => {
    const f = files.get(checkName(name));
    return f === undefined ? undefined : realm.arrayBuffer(binaryToBytes(f));
  });
  def("write", (name: unknown, data: unknown, offset: unknown, size: unknown) => {
    const n = checkName(name);
    const text = toBinary(data);
    let next: string;
    if (offset === undefined) next = text;
    else {
      const o = Number(offset);
      const base = o === 0 && size !== undefined ? "\xff".repeat(Number(size)) : (files.get(n) ?? "");
      next = base.slice(0, o) + text + base.slice(o + text.length);
    }
    if (used() - (files.get(n)?.length ?? 0) + next.length > STORAGE_BYTES) throw realm.error("Not enough free space in Storage");
    files.set(n, next);
    return true;
  });
  def("writeJSON", (name: unknown, data: unknown) => {
    files.set(checkName(name), (realm.global.JSON as JSON).stringify(data));
    return true;
  });
  def("erase", (name: unknown) => {
    files.delete(checkName(name));
  });
  def("eraseAll", () => files.clear());
  def("list", (re: unknown) => {
    let names = [...files.keys()];
    if (re instanceof (realm.global.RegExp as RegExpConstructor)) names = names.filter((n) => (re as RegExp).test(n));
    else if (typeof re === "string") names = names.filter((n) => n.includes(re));
    return realm.arr(names);
  });
  def("getFree", () => STORAGE_BYTES - used());
  def("getStats", () => realm.data({ totalBytes: STORAGE_BYTES, freeBytes: STORAGE_BYTES - used(), fileBytes: used(), fileCount: files.size, trashBytes: 0, trashCount: 0 }));
  def("compact", () => undefined);
  return mod;
}

/** Linux build only: reads virtual files (the emulator does not expose the host's disk). */
export function createFsModule(chip: Chip, files: Map<string, string>): unknown {
  const { realm } = chip;
  const mod = realm.obj();
  const def = (name: string, f: (...a: any[]) => unknown) =>
    Object.defineProperty(mod, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
  const read = (path: unknown) => {
    const f = files.get(String(path));
    if (f === undefined) throw realm.error(`Can't open file "${String(path)}"`, "InternalError");
    return f;
  };
  def("readFileSync", read);
  def("readFile", read);
  def("existsSync", (p: unknown) => files.has(String(p)));
  def("writeFileSync", (p: unknown, d: unknown) => {
    files.set(String(p), toBinary(d));
    return true;
  });
  def("writeFile", (p: unknown, d: unknown) => {
    files.set(String(p), toBinary(d));
    return true;
  });
  def("readdirSync", (dir: unknown) => {
    const prefix = String(dir ?? "").replace(/\/?$/, "/");
    return realm.arr([...files.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length).split("/")[0]!));
  });
  def("unlinkSync", (p: unknown) => files.delete(String(p)));
  return mod;
}

export function createCryptoModule(chip: Chip): unknown {
  const { realm } = chip;
  const mod = realm.obj();
  const def = (name: string, f: (...a: any[]) => unknown) =>
    Object.defineProperty(mod, name, { value: realm.fn(f, name), enumerable: false, writable: true, configurable: true });
  for (const [name, alg] of [["SHA1", "sha1"], ["SHA224", "sha224"], ["SHA256", "sha256"], ["SHA384", "sha384"], ["SHA512", "sha512"]] as const) {
    def(name, (msg: unknown) => realm.arrayBuffer(new Uint8Array(createHash(alg).update(binaryToBytes(toBinary(msg))).digest())));
  }
  def("PBKDF2", (pass: unknown, salt: unknown, opts: unknown) => {
    const o = (opts ?? {}) as { keySize?: number; iterations?: number; hasher?: string };
    const key = pbkdf2Sync(binaryToBytes(toBinary(pass)), binaryToBytes(toBinary(salt)), o.iterations ?? 1, (o.keySize ?? 4) * 4, "sha1");
    return realm.arrayBuffer(new Uint8Array(key));
  });
  return mod;
}
