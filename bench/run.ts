/**
 * `npm run bench`: every benchmark of the project, figures only. Timing targets live here, never in
 * the test suite.
 */

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { benchAnalyze } from "./analyze.js";
import { benchClassifier } from "./classifier.js";
import { benchCli } from "./cli.js";
import { printTable } from "./report.js";

printTable("analyze (issue 2)", await benchAnalyze());
printTable("classifier (issue 3)", await benchClassifier());
printTable("command line (issue 12)", await benchCli());

const restore = fileURLToPath(new URL("./restore.ts", import.meta.url));
if (existsSync(restore)) {
  const child = spawnSync(process.execPath, ["--import", "tsx", restore], { stdio: "inherit" });
  process.exitCode = child.status ?? 1;
}
