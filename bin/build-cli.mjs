#!/usr/bin/env node
/**
 * Compiles the CLI (bin/cli.ts and every command it loads) to JavaScript in dist/cli/, so that
 * `aws-auth-guardian` starts without transpiling TypeScript. Run by `npm run build`, and by `npm ci`
 * (the `prepare` script). The commands stay separate chunks, loaded on use.
 *
 * dist/cli/ sits two folders below the package root, as bin/commands/ does, so that paths the sources
 * build from `import.meta.url` (the demo's recorded events) hold in the bundle too.
 *
 * Small pure-JavaScript dependencies (zod, commander, js-yaml, escape-html, strip-ansi…) are bundled:
 * zod alone is ~95 ES modules, and resolving and linking them was most of `analyze`'s start-up. The
 * AWS SDK, the Kubernetes client and the CDK stay in node_modules, loaded only by the commands that
 * reach AWS or a cluster.
 *
 * dist/cli/inputs.json lists the sources it was built from and when: the launcher
 * (bin/aws-auth-guardian.mjs) runs the sources through tsx instead when one of them is newer.
 */
import { rm, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const OUT = "dist/cli";
/** Large dependencies, or ones that read their own files: imported from node_modules at run time. */
const RUNTIME_PACKAGES = [
  "@aws-sdk/*",
  "@smithy/*",
  "@aws-crypto/*",
  "@aws-lambda-powertools/*",
  "@kubernetes/client-node",
  "aws-cdk-lib",
  "aws-cdk-lib/*",
  "constructs",
  "cdk-nag",
  "esbuild",
  "tsx",
  "playwright-core",
];

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
    external: RUNTIME_PACKAGES,
    // Bundled CommonJS (commander, js-yaml) requires Node's built-ins: give ESM chunks a `require`.
    banner: {
      js: 'import { createRequire as __guardianRequire } from "node:module"; const require = __guardianRequire(import.meta.url);',
    },
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
