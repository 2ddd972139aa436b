// DNS numbers (RFC 1035 §3.2.2, §4.1.1; RFC 3596, 2782, 6891, 4034), re-exported by
// message.ts. This module imports nothing, so the bundler writes each as a literal where it
// is used (esbuild inlines constants only from modules without imports).
export const TYPE_A = 1, TYPE_NS = 2, TYPE_CNAME = 5, TYPE_SOA = 6, TYPE_PTR = 12, TYPE_TXT = 16,
  TYPE_AAAA = 28, TYPE_SRV = 33, TYPE_OPT = 41, TYPE_NSEC = 47, TYPE_ANY = 255, CLASS_IN = 1;
export const FLAG_QR = 0x8000, FLAG_AA = 0x400, FLAG_TC = 0x200, FLAG_RD = 0x100, FLAG_RA = 0x80;
