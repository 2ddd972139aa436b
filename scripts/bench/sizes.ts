// Bundle size per module and in total, per board, from a fresh build, against the module
// budgets of the issues (minified bytes, as scripts/build.ts attributes them through the
// composed source map) and each board's own budget (boards/<id>.json budgetBytes).
import path from "node:path";
import { buildBoard, loadBoards, type BoardBuild, type BoardProfile, type SizesReport } from "../build.ts";
import type { Grid } from "./table.ts";

/** The file of the socket module that holds the socket objects; the rest of src/socket is "names". */
export const SOCKET_OBJECTS_FILE = "src/socket/socket.ts";

/** Budgets of the issues, minified bytes of camnet.js. */
export const MODULE_BUDGETS = {
  "platform + network": 4096,
  "dns + socket names": 7168,
  mdns: 6144,
  ntptime: 2048,
  "socket objects + asyncio + ssl": 5120,
  "whole runtime (camnet.js)": 24576,
};

/** Module sizes of one output, with src/socket split into names and objects. */
export function moduleSizes(out: SizesReport["outputs"][string]): Record<string, number> {
  const m: Record<string, number> = { ...out.groups };
  if (m.socket !== undefined) {
    const objects = out.files.filter((f) => f.file === SOCKET_OBJECTS_FILE).reduce((a, f) => a + f.bytes, 0);
    delete m.socket;
    m["socket names"] = out.groups.socket - objects;
    if (objects) m["socket objects"] = objects;
  }
  return m;
}

/** The budgeted sums; null when none of the parts is in the bundle yet. */
export function budgetedSums(m: Record<string, number>, total: number): Record<keyof typeof MODULE_BUDGETS, number | null> {
  const sum = (...parts: string[]) => (parts.some((p) => m[p] !== undefined) ? parts.reduce((a, p) => a + (m[p] ?? 0), 0) : null);
  return {
    "platform + network": sum("platform", "network"),
    "dns + socket names": sum("dns", "socket names"),
    mdns: sum("mdns"),
    ntptime: sum("ntptime"),
    "socket objects + asyncio + ssl": sum("socket objects", "asyncio", "ssl"),
    "whole runtime (camnet.js)": total,
  };
}

const MODULE_ORDER = ["platform", "network", "dns", "socket names", "socket objects", "mdns", "ntptime", "ssl", "asyncio"];

function boardBudget(b: BoardProfile): { camnet?: number; firmware?: number } {
  return typeof b.budgetBytes === "number" ? { camnet: b.budgetBytes } : (b.budgetBytes ?? {});
}

/**
 * Builds every board into `<outRoot>/<board>` (default dist/<board>, as `npm run build`). The
 * board budgets are checked here, not by buildBoard, so an oversized bundle is still measured.
 */
export async function buildAll(outRoot?: string, only?: string[]): Promise<BoardBuild[]> {
  const boards = loadBoards().filter((b) => !only?.length || only.includes(b.id));
  const builds: BoardBuild[] = [];
  for (const b of boards) {
    const unbudgeted = { ...b, budgetBytes: undefined };
    const built = await buildBoard(unbudgeted, outRoot ? { outDir: path.join(outRoot, b.id) } : {});
    builds.push({ ...built, board: b });
  }
  return builds;
}

/** Two grids: camnet.js per module and the budgeted sums, then whole outputs against board budgets. */
export function sizeGrids(builds: BoardBuild[]): Grid[] {
  const columns = builds.map((b) => b.board.id);
  const perBoard = builds.map((b) => {
    const out = b.sizes.outputs["camnet.js"];
    const m = moduleSizes(out);
    return { m, sums: budgetedSums(m, out.bytes) };
  });
  const names = new Set<string>();
  for (const p of perBoard) for (const k of Object.keys(p.m)) names.add(k);
  const order = [...MODULE_ORDER, ...[...names].filter((n) => !MODULE_ORDER.includes(n)).sort((a, b) => (a === "glue" ? 1 : b === "glue" ? -1 : a.localeCompare(b)))];

  const modules: Grid = {
    title: "Bundle size: camnet.js, minified bytes per module (fresh build)",
    columns,
    rows: order.map((n) => ({
      label: n,
      cells: perBoard.map((p) => p.m[n] ?? null),
      note: perBoard.every((p) => p.m[n] === undefined) ? "not in camnet.js yet" : n === "socket objects" ? SOCKET_OBJECTS_FILE : undefined,
    })),
  };
  for (const key of Object.keys(MODULE_BUDGETS) as (keyof typeof MODULE_BUDGETS)[]) {
    const cells = perBoard.map((p) => p.sums[key]);
    modules.rows.push({
      label: "= " + key,
      cells,
      max: MODULE_BUDGETS[key],
      note: cells.every((c) => c === null) ? "not in camnet.js yet" : undefined,
    });
  }

  const outputs = new Set<string>();
  for (const b of builds) for (const o of Object.keys(b.sizes.outputs)) outputs.add(o);
  const boards: Grid = { title: "Bundle size: whole outputs against each board's budget (boards/<id>.json budgetBytes)", columns: ["bytes"], rows: [] };
  for (const b of builds) {
    const budget = boardBudget(b.board);
    for (const o of [...outputs]) {
      const bytes = b.sizes.outputs[o]?.bytes ?? null;
      const max = o === "camnet.js" ? budget.camnet : o === "firmware.js" ? budget.firmware : undefined;
      boards.rows.push({ label: `${b.board.id}/${o}`, cells: [bytes], max, note: max === undefined ? "board sets no budget" : undefined });
    }
  }
  return [modules, boards];
}
