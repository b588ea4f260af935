#!/usr/bin/env node
/**
 * Compiles the CLI (bin/cli.ts and every command it loads) to JavaScript in dist/cli/, so that
 * `aws-auth-guardian` starts without transpiling TypeScript. Run by `npm run build`, and by `npm ci`
 * (the `prepare` script). Dependencies stay in node_modules (imported at run time, each command
 * loading only what it needs); the commands stay separate chunks, loaded on use.
 *
 * dist/cli/ sits two folders below the package root, as bin/commands/ does, so that paths the sources
 * build from `import.meta.url` (the demo's recorded events) hold in the bundle too.
 *
 * dist/cli/inputs.json lists the sources it was built from and when: the launcher
 * (bin/aws-auth-guardian.mjs) runs the sources through tsx instead when one of them is newer.
 */
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT = "dist/cli";

export async function buildCli({ quiet = false } = {}) {
  const startedAt = Date.now();
  await rm(new URL(`../${OUT}/`, import.meta.url), { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { cli: "bin/cli.ts" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: OUT,
    chunkNames: "[name]-[hash]",
    packages: "external",
    metafile: true,
    logLevel: quiet ? "error" : "warning",
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes("node_modules/"));
  await writeFile(
    new URL(`../${OUT}/inputs.json`, import.meta.url),
    `${JSON.stringify({ builtAt: startedAt, inputs }, null, 1)}\n`,
  );
  return { inputs: inputs.length, outputs: Object.keys(result.metafile.outputs).length };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { inputs, outputs } = await buildCli();
  process.stdout.write(`built ${OUT}/cli.js: ${inputs} sources, ${outputs} files\n`);
}
