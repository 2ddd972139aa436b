// The command lines of scripts/build.ts and scripts/bench.ts: `--flag` or `--flag value`.

/** Walks `argv`, calling each flag's handler with value(), which takes the next argument (an
 *  error when there is none). An unknown argument is an error that shows `usage`. */
export function walkArgs(argv: string[], handlers: Record<string, (value: () => string) => void>, usage: string): void {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const handle = Object.hasOwn(handlers, a) ? handlers[a] : undefined;
    if (!handle) throw new Error(`unknown argument ${a}; usage: ${usage}`);
    handle(() => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    });
  }
}
