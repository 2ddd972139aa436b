// Runs before `npm start` and `npm test` so that a fresh clone needs no other command:
// installs the npm packages when they are missing or older than the lock file.
// Plain Node, no dependencies: it runs before anything is installed.
import { existsSync, statSync } from "node:fs";
import { execSync } from "node:child_process";

const marker = "node_modules/.package-lock.json";
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync("package-lock.json").mtimeMs;
if (stale) {
  console.log("camnet: installing npm packages (first run)...");
  execSync("npm ci --no-audit --no-fund", { stdio: "inherit" });
}
