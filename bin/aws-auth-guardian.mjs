#!/usr/bin/env node
// Runs the CLI compiled to JavaScript (dist/cli, built by `npm ci` or `npm run build`, see
// bin/build-cli.mjs). Without it, or when a source is newer than it, runs the TypeScript sources
// through tsx instead (slower to start) and says so in one line on stderr.
import { readFileSync, statSync } from "node:fs";

// The CLI runs on the Node the operator has; the SDK's notice about future Node versions is not
// about anything the operator asked for, and would sit in the middle of a restore's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const ROOT = new URL("../", import.meta.url);

/** Why the compiled CLI cannot be used, or undefined when it is up to date with its sources. */
function staleness() {
  let built;
  try {
    built = JSON.parse(readFileSync(new URL("dist/cli/inputs.json", ROOT), "utf8"));
  } catch {
    return "dist/cli is missing";
  }
  for (const input of built.inputs) {
    let modified;
    try {
      modified = statSync(new URL(input, ROOT)).mtimeMs;
    } catch {
      return `${input} is gone since dist/cli was built`;
    }
    if (modified > built.builtAt) return `${input} is newer than dist/cli`;
  }
  return undefined;
}

const why = staleness();
let cli;
if (why === undefined) {
  cli = await import("../dist/cli/cli.js");
  if (process.env.AWS_AUTH_GUARDIAN_DEBUG)
    process.stderr.write("aws-auth-guardian: running dist/cli/cli.js\n");
} else {
  process.stderr.write(
    `aws-auth-guardian: ${why}; running the TypeScript sources through tsx (npm run build makes it start faster)\n`,
  );
  const { register } = await import("tsx/esm/api");
  register();
  cli = await import("./cli.ts");
}
cli.endQuietlyOnBrokenPipe();
process.exitCode = await cli.main(process.argv.slice(2));
