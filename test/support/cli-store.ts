/**
 * What the CLI's local-store tests share: a fresh folder for each test (the store, a kubeconfig), removed
 * after it, and the CLI run in-process with its output recorded.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
import { main } from "../../bin/cli.js";
import { recordingIo } from "../bin/io.js";
import type { FakeApiServer } from "./fake-apiserver.js";

/** Hands every test of the calling file or suite a new temporary folder through `use`; removes it after. */
export function tempDirForEachTest(prefix: string, use: (dir: string) => void): void {
  let dir: string | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
    use(dir);
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
}

/** `aws-auth-guardian ARGV`, in-process: its exit code and everything it wrote. */
export async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const recorded = recordingIo();
  const code = await main(argv, recorded.io);
  return { code, out: recorded.out(), err: recorded.err() };
}

/** Writes `dir/kubeconfig` for `server`, authenticating with `token`; returns its path. */
export async function writeKubeconfig(dir: string, server: FakeApiServer, token: string): Promise<string> {
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, server.kubeconfig(token));
  return kubeconfig;
}
