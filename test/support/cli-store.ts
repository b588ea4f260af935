/**
 * What the CLI's local-store tests share: a fresh folder for each test (the store, a kubeconfig), removed
 * after it, and a kubeconfig for an in-test API server (test/bin/io.ts runs the CLI in-process).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach } from "vitest";
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

/** Writes `dir/kubeconfig` for `server`, authenticating with `token`; returns its path. */
export async function writeKubeconfig(dir: string, server: FakeApiServer, token: string): Promise<string> {
  const kubeconfig = join(dir, "kubeconfig");
  await writeFile(kubeconfig, server.kubeconfig(token));
  return kubeconfig;
}
