/**
 * Vitest global setup: compiles the CLI (bin/build-cli.mjs) before any test runs, so that the tests
 * that start `bin/aws-auth-guardian.mjs` as a process exercise the JavaScript an operator runs, built
 * from the sources under test (never a stale build, never the tsx fallback).
 */
import { buildCli } from "../../bin/build-cli.mjs";

export default async function setup(): Promise<void> {
  await buildCli({ quiet: true });
}
