// Registers camnet modules under their seed names so `require("network")` works on the
// board's REPL. Modules.addCached evaluates a function's or string's TEXT in a fresh
// scope with `module` and `exports` (it does not close over ours), so each module is
// reached through one global, `camnet`, which also serves the REPL: camnet.network.
export function register(modules: { [name: string]: unknown }): void {
  const g = globalThis as any;
  const all = g.camnet || (g.camnet = {});
  for (const name in modules) {
    all[name] = modules[name];
    Modules.addCached(name, "module.exports=camnet." + name);
  }
}
