// Shared by the UI's unit tests: the UI's modules, and the real tracklog (oracle.py) to check
// them against.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The URL of the web UI's module `name` ("series.js", "pages/charts.js"). */
export const ui = (name) => new URL(`../../../src/tracklog/server/ui/static/${name}`,
  import.meta.url).href;

/** What oracle.py answers for `command` given `input` (JSON on its stdin); the Python is
 * $PYTHON or python3, which must import tracklog (scripts/test.sh runs these tests after
 * installing it). */
export function oracle(command, input = null) {
  const script = fileURLToPath(new URL("oracle.py", import.meta.url));
  const done = spawnSync(process.env.PYTHON || "python3", [script, command], {
    input: input === null ? "" : JSON.stringify(input), encoding: "utf8",
  });
  if (done.error) throw done.error;
  if (done.status !== 0) throw new Error(`oracle.py ${command} failed:\n${done.stderr}`);
  return done.stdout;
}
