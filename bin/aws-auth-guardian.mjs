#!/usr/bin/env node
// Runs the TypeScript CLI directly (through tsx) so that `npx aws-auth-guardian` works from a fresh
// `npm ci` without a build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
