/**
 * A local store for everything: `demo` and `analyze --store DIR --cluster NAME` file every write they
 * judge through the classifier's own pipeline into a folder with the S3 layout; history, show, diff
 * and restore --direct then work on it with no AWS at all.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { awsAuth, ESCALATED_DATA } from "../restore/fixtures.js";
import { tempDirForEachTest, writeKubeconfig } from "../support/cli-store.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { runCli as run } from "./io.js";

const CLASSIFY = fileURLToPath(new URL("../fixtures/audit/derived/classify/", import.meta.url));
const SEQUENCE = join(CLASSIFY, "done-when.jsonl");
const BASELINE_YAML = join(CLASSIFY, "baseline-rv204.yaml");

let dir: string;
tempDirForEachTest("guardian-store-", (created) => {
  dir = created;
});

describe("demo --store DIR", () => {
  it("prints the ids the store holds: every record it says it kept is a file of the store", async () => {
    const store = join(dir, "demo-store");
    const demo = await run(["demo", "--store", store]);
    const kept = demo.out
      .slice(demo.out.indexOf("What the guardian kept"))
      .split("\n")
      .flatMap((line) => /^ {2}(\d{20}[-~]\S+) /.exec(line)?.[1] ?? []);
    const captured = /captured version (\S+):/.exec(demo.out)?.[1];
    const files = (await readdir(join(store, "clusters", "demo", "versions"))).map((f) =>
      f.replace(/\.json$/, ""),
    );
    expect(kept).toHaveLength(8);
    expect(files.sort()).toEqual([...kept].sort());
    expect(files).toContain(captured);
  });

  it("leaves its store where it says; history, show and diff read it, and the restore command's version is in it", async () => {
    // Prepare
    const store = join(dir, "demo-store");

    // Act
    const demo = await run(["demo", "--store", store]);
    const history = await run(["history", "--store", store]);
    const restoreTo = /restore --cluster demo --to (\S+)\n$/.exec(demo.out)?.[1] ?? "";
    const show = await run(["show", restoreTo, "--store", store]);
    const diff = await run(["diff", restoreTo, "latest", "--store", store]);

    // Assess
    expect(demo.code).toBe(0);
    expect(demo.out).toContain(`Its snapshot store, as the deployed guardian keeps it in S3: ${store}\n`);
    expect(demo.out).toContain(`  aws-auth-guardian history --store ${store}\n`);
    expect(history.code).toBe(0);
    expect(history.out).toMatch(/^Cluster demo in .*: 8 records\n/);
    expect(history.out).toMatch(new RegExp(`^${restoreTo} .*\\[last-good\\]$`, "m"));
    expect(history.out).toMatch(/~deleted-\S+ .* tombstone +dangerous .*\[latest\]$/m);
    expect(show.code).toBe(0);
    expect(show.out).toContain(`Version ${restoreTo} of demo (version, routine)`);
    expect(diff.code).toBe(0);
    expect(diff.out).toContain("- role arn:aws:iam::012345678901:role/developer");
  });

  it("without --store files into a new temporary folder and says which", async () => {
    const demo = await run(["demo"]);
    const store = /as the deployed guardian keeps it in S3: (\S+)\n/.exec(demo.out)?.[1] ?? "";
    expect(store).toMatch(/aws-auth-guardian-demo-/);
    expect((await run(["history", "--store", store])).code).toBe(0);
    await rm(store, { recursive: true, force: true });
  });
});

describe("analyze --store DIR --cluster NAME", () => {
  it("files every judged write and the baseline; the undo command's version is in the store", async () => {
    // Prepare
    const store = join(dir, "analyzed");

    // Act
    const analyzed = await run([
      "analyze",
      SEQUENCE,
      "--baseline",
      BASELINE_YAML,
      "--cluster",
      "prod",
      "--store",
      store,
    ]);
    const history = await run(["history", "--store", store, "--json"]);
    const undo = /undo: aws-auth-guardian restore --cluster prod --to (\S+)/.exec(analyzed.out)?.[1] ?? "";
    const show = await run(["show", undo, "--store", store]);

    // Assess
    expect(analyzed.code).toBe(0);
    expect(analyzed.err).toMatch(
      new RegExp(`filed \\d+ records of cluster prod in ${store}; \\d+ alerts not sent`),
    );
    const versions = (JSON.parse(history.out) as { versions: Array<{ id: string; actor: string }> }).versions;
    expect(versions[0]?.id).toMatch(/^\d{20}-file-\d+$/);
    expect(versions[0]?.actor).toBe(`captured: baseline read from ${BASELINE_YAML}`);
    expect(versions.map((v) => v.id)).toContain(undo);
    expect(show.code).toBe(0);
  });

  it("is refused without --cluster", async () => {
    const result = await run(["analyze", SEQUENCE, "--store", join(dir, "x")]);
    expect(result.code).toBe(1);
    expect(result.err).toBe("error: --store needs --cluster NAME: the cluster the writes are filed under\n");
  });
});

describe("restore --direct --store DIR from the demo's store", () => {
  let server: FakeApiServer;

  beforeEach(async () => {
    server = await FakeApiServer.start({ tokens: { operator: { user: "operator", allowed: true } } });
  });

  afterEach(async () => {
    await server.close();
  });

  it("puts the demo's last good version back on a cluster, offline", async () => {
    // Prepare
    const store = join(dir, "demo-store");
    const kubeconfig = await writeKubeconfig(dir, server, "operator");
    await run(["demo", "--store", store]);
    server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const restored = await run([
      "restore",
      "--direct",
      "--kubeconfig",
      kubeconfig,
      "--store",
      store,
      "--yes",
    ]);

    // Assess
    expect(restored.code).toBe(0);
    expect(restored.out).toMatch(/Restored version \d{20}-\S+: replace/);
    expect(server.object()?.data?.mapRoles).toContain("role/developer");
  });
});
