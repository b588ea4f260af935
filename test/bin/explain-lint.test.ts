/**
 * `explain ARN` and `lint FILE`: run in-process through the CLI's dispatcher, on manifests as
 * `kubectl get cm aws-auth -o yaml` prints them and on a stored version.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { runCli } from "./io.js";

const A = "111122223333";
const NODE = `- rolearn: arn:aws:iam::${A}:role/NodeInstanceRole\n  username: system:node:{{EC2PrivateDNSName}}\n  groups: [system:bootstrappers, system:nodes]\n`;
const ADMIN = `- rolearn: arn:aws:iam::${A}:role/Admin\n  username: admin\n  groups: [system:masters]\n`;

function manifest(data: Record<string, string>): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system" },
    data,
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "explain-lint-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, data: Record<string, string>): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, manifest(data));
  return path;
}

const run = (argv: string[]) => runCli(argv);

describe("explain", () => {
  it("a path ARN: denied, and the entry with the path is named with the ARN to write instead", async () => {
    // Prepare
    const path = await file("path.json", {
      mapRoles: `${NODE}- rolearn: arn:aws:iam::${A}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Admin_0123\n  username: admin\n  groups: [system:masters]\n`,
    });
    // Act
    const { code, out } = await run([
      "explain",
      `arn:aws:sts::${A}:assumed-role/AWSReservedSSO_Admin_0123/jane`,
      "--configmap",
      path,
    ]);
    // Assess
    expect(code).toBe(2);
    expect(out).toContain("Answer:  DENIED");
    expect(out).toContain("mapRoles entry #2 (line 4 of mapRoles)");
    expect(out).toContain(`Write arn:aws:iam::${A}:role/AWSReservedSSO_Admin_0123 instead`);
  });

  it("a tab on a comment line drops mapRoles: the line and go-yaml's message are given", async () => {
    const path = await file("tab.json", { mapRoles: `${NODE}\t# admins below\n${ADMIN}` });
    const { code, out } = await run([
      "explain",
      `arn:aws:sts::${A}:assumed-role/Admin/jane`,
      "--configmap",
      path,
    ]);
    expect(code).toBe(2);
    expect(out).toContain("mapRoles is dropped as a whole at line 4");
    expect(out).toContain("tab character");
    expect(out).toContain("including the one that names Admin");
  });

  it("a shadowed duplicate: the last entry wins, and the earlier one is shown as overridden", async () => {
    const path = await file("dup.json", {
      mapRoles: `${ADMIN}${NODE}- rolearn: arn:aws:iam::${A}:role/admin\n  username: readonly\n  groups: [view]\n`,
    });
    const { code, out } = await run([
      "explain",
      `arn:aws:sts::${A}:assumed-role/Admin/jane`,
      "--configmap",
      path,
      "--format",
      "json",
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out);
    expect(json.resolution).toMatchObject({
      decision: "mapped",
      username: "readonly",
      entry: { section: "mapRoles", index: 2 },
    });
    expect(json.notes.map((n: { kind: string }) => n.kind)).toEqual(["matched", "shadowed"]);
  });

  it("reads a stored version (--store, --cluster, --version)", async () => {
    // Prepare
    const storeDir = join(dir, "store");
    await new SnapshotStore(new LocalBlobStore(storeDir)).putRecord({
      kind: "version",
      id: "00000000000000000207-abc",
      cluster: "prod",
      time: "2026-11-22T13:04:04Z",
      configMap: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "aws-auth", namespace: "kube-system" },
        data: { mapRoles: ADMIN },
      },
      class: "routine",
      findings: [],
    });
    // Act
    const { code, out } = await run([
      "explain",
      `arn:aws:sts::${A}:assumed-role/Admin/jane`,
      "--store",
      storeDir,
      "--cluster",
      "prod",
      "--version",
      "00000000000000000207-abc",
    ]);
    // Assess
    expect(code).toBe(0);
    expect(out).toContain('gets in as "admin" with groups [system:masters]');
    expect(out).toContain("version 00000000000000000207-abc of prod");
  });

  it("fails with exit 1 on unusable input or no source", async () => {
    expect((await run(["explain", `arn:aws:iam::${A}:user/x`])).code).toBe(1);
    const bad = join(dir, "bad.yaml");
    await writeFile(bad, "kind: Secret\nmetadata: {}\n");
    const { code, err } = await run(["explain", `arn:aws:iam::${A}:user/x`, "--configmap", bad]);
    expect(code).toBe(1);
    expect(err).toContain("not a ConfigMap");
  });
});

describe("lint", () => {
  it("exit 0 on a clean aws-auth, 2 on a tab that drops mapRoles, 2 on a YAML 1.1 username", async () => {
    const clean = await file("clean.json", { mapRoles: NODE + ADMIN });
    expect((await run(["lint", clean])).code).toBe(0);
    const tab = await file("tab.json", { mapRoles: `${NODE}\t\n${ADMIN}` });
    const broken = await run(["lint", tab]);
    expect(broken.code).toBe(2);
    expect(broken.out).toContain("[critical] section-unparseable");
    const yes = await file("yes.json", {
      mapRoles: `${NODE}- rolearn: arn:aws:iam::${A}:role/ops\n  username: yes\n`,
    });
    const parseError = await run(["lint", yes, "--format", "json"]);
    expect(parseError.code).toBe(2);
    expect(JSON.parse(parseError.out).findings.map((f: { id: string }) => f.id)).toContain(
      "authenticator-parse-error",
    );
  });

  it("--baseline adds the grant rules; --fail-severity sets the bar", async () => {
    const before = await file("before.json", { mapRoles: NODE });
    const after = await file("after.json", { mapRoles: NODE + ADMIN });
    expect((await run(["lint", after])).code).toBe(0);
    const judged = await run(["lint", after, "--baseline", before]);
    expect(judged.code).toBe(2);
    expect(judged.out).toContain("masters-granted");
    const shadow = await file("shadow.json", {
      mapRoles: NODE + ADMIN + ADMIN.replace("admin\n", "other\n"),
    });
    expect((await run(["lint", shadow])).code).toBe(0);
    expect((await run(["lint", shadow, "--fail-severity", "medium"])).code).toBe(2);
  });

  it("exit 1 when the input is not a ConfigMap", async () => {
    const bad = join(dir, "bad.json");
    await writeFile(bad, "[1, 2]");
    expect((await run(["lint", bad])).code).toBe(1);
  });
});
