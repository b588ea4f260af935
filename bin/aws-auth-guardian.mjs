#!/usr/bin/env node
// Runs the TypeScript CLI directly (through tsx) so that `npx aws-auth-guardian` works from a fresh
// `npm ci` without a build step.
import { register } from "tsx/esm/api";

// The CLI runs on the Node the operator has; the SDK's notice about future Node versions is not
// about anything the operator asked for, and would sit in the middle of a restore's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { main } = await import("./cli.ts");
const { endQuietlyOnBrokenPipe } = await import("./commands/io.ts");
endQuietlyOnBrokenPipe();
process.exitCode = await main(process.argv.slice(2));
