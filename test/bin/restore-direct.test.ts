import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import type { ConfigMapObject } from "../../lambda/core/ports.js";
import { ACCOUNT, awsAuth, CONTRACTOR_ROLE, ESCALATED_DATA, GOOD_DATA } from "../restore/fixtures.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { recordingIo, runCli } from "./io.js";

const TOKEN = "operator-token";

/** As `kubectl get cm aws-auth -n kube-system -o yaml` prints it, managedFields and all. */
const KUBECTL_YAML = `apiVersion: v1
data:
  mapRoles: |
    - groups:
      - system:bootstrappers
      - system:nodes
      rolearn: arn:aws:iam::${ACCOUNT}:role/eks-node
      username: system:node:{{EC2PrivateDNSName}}
    - groups:
      - system:masters
      rolearn: arn:aws:iam::${ACCOUNT}:role/platform-admin
      username: admin
  mapUsers: |
    []
kind: ConfigMap
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"}}
  creationTimestamp: "2025-06-01T10:00:00Z"
  managedFields:
  - apiVersion: v1
    fieldsType: FieldsV1
    fieldsV1:
      f:data:
        .: {}
        f:mapRoles: {}
    manager: kubectl-edit
    operation: Update
    time: "2025-06-01T10:00:00Z"
  name: aws-auth
  namespace: kube-system
  resourceVersion: "4242"
  uid: 0b5d4c1e-7a4e-4f7e-9d1e-1f2e3d4c5b6a
`;

const KUBECTL_YAML_DATA = {
  mapRoles: [
    "- groups:",
    "  - system:bootstrappers",
    "  - system:nodes",
    `  rolearn: arn:aws:iam::${ACCOUNT}:role/eks-node`,
    "  username: system:node:{{EC2PrivateDNSName}}",
    "- groups:",
    "  - system:masters",
    `  rolearn: arn:aws:iam::${ACCOUNT}:role/platform-admin`,
    "  username: admin",
    "",
  ].join("\n"),
  mapUsers: "[]\n",
};

describe("restore --direct, capture, verify, history, show, diff (in-process CLI, in-test API server)", () => {
  let server: FakeApiServer;
  let dir: string;
  let kubeconfig: string;
  let store: string;

  beforeEach(async () => {
    server = await FakeApiServer.start({ tokens: { [TOKEN]: { user: "operator", allowed: true } } });
    dir = await mkdtemp(join(tmpdir(), "cli-direct-"));
    kubeconfig = join(dir, "kubeconfig");
    store = join(dir, "store");
    await writeFile(kubeconfig, server.kubeconfig(TOKEN));
  });

  afterEach(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const writes = () => server.requests.filter((r) => r.method === "PUT" || r.method === "POST");

  const run = (argv: string[], answer?: boolean) => runCli(argv, { answer });

  /** `COMMAND --direct --kubeconfig <this test's kubeconfig> ARGS…` */
  const direct = (command: string, args: string[], answer?: boolean) =>
    run([command, "--direct", "--kubeconfig", kubeconfig, ...args], answer);

  /** The same, with `--store <this test's store folder>` first. */
  const directWithStore = (command: string, args: string[] = [], answer?: boolean) =>
    direct(command, ["--store", store, ...args], answer);

  async function baseline(data: Record<string, string> = GOOD_DATA): Promise<void> {
    server.seed(awsAuth(data));
    const captured = await directWithStore("capture", ["--cluster", "prod"]);
    expect(captured.code).toBe(0);
  }

  it("brings back a damaged aws-auth from --store DIR and verifies it (cluster taken from the store)", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const result = await directWithStore("restore", ["--yes", "--reason", "undo"]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toContain(`- role ${CONTRACTOR_ROLE} (was "contractor" in system:masters)`);
    expect(result.out).toMatch(/Restored version \S+: replace, resourceVersion \d+ written\./);
    expect(result.out).toContain("Verified: read back resourceVersion");
    expect(result.out).toContain(`Recorded: ${store}/clusters/prod/restores/`);
    expect(result.out).toMatch(/\/restores\/\d{17}-restored-[0-9a-z]*\.json\n/);
    expect(result.err).toContain("notification not published (no --topic-arn): [aws-auth RESTORED] prod:");
    // Offline, nobody can check the guardian's record MACs: the command says so instead of implying it.
    expect(result.err).toContain(
      `warning: Record integrity is not verified with --direct: the version is read from ${store} as it is, without checking the guardian's MAC (only the cluster-access function can).`,
    );
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
    expect((await readdir(join(store, "clusters/prod/restores"))).length).toBe(2);
    // history ends with the restores filed: the dry run, then the write with the resourceVersion it made.
    const history = (await run(["history", "--store", store])).out.split("\n");
    expect(history[1]).toMatch(/^ID {46}TIME {22}KIND {8}CLASS {9}ACTOR$/);
    expect(history.slice(-4)).toEqual([
      "Restores:",
      expect.stringMatching(
        /^ {2}\S+Z {2}dry-run {8}version \d{20}-capture-\d+ by .+ \(direct, kubeconfig .+\): undo$/,
      ),
      expect.stringMatching(
        /^ {2}\S+Z {2}restored {7}version \d{20}-capture-\d+, resourceVersion 3 by .+ \(direct, kubeconfig .+\): undo$/,
      ),
      "",
    ]);
  });

  it("brings back a deleted aws-auth (create)", async () => {
    // Prepare
    await baseline();
    server.remove();

    // Act
    const result = await directWithStore("restore", ["--cluster", "prod", "--yes"]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toContain("create over nothing: aws-auth does not exist and will be created");
    expect(result.out).toMatch(/Restored version \S+: create/);
    expect(writes().map((w) => [w.method, w.status])).toEqual([["POST", 201]]);
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("restores a kubectl -o yaml manifest given with --snapshot, data strings exactly as in the file", async () => {
    // Prepare
    server.seed(awsAuth(ESCALATED_DATA));
    const file = join(dir, "aws-auth.yaml");
    await writeFile(file, KUBECTL_YAML);

    // Act
    const result = await direct("restore", ["--snapshot", file, "--cluster", "prod", "--yes"]);

    // Assess
    expect(result.code).toBe(0);
    const restored = server.object() as ConfigMapObject;
    expect(restored.data).toStrictEqual(KUBECTL_YAML_DATA);
    expect(restored.metadata.annotations).toEqual({
      "kubectl.kubernetes.io/last-applied-configuration":
        '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"aws-auth","namespace":"kube-system"}}\n',
    });
    expect(restored.metadata.uid).not.toBe("0b5d4c1e-7a4e-4f7e-9d1e-1f2e3d4c5b6a");
    expect(result.err).toContain("This restore is not recorded: no snapshot store was given.");
  });

  it("restores a kubectl -o json manifest given with --snapshot", async () => {
    // Prepare
    server.remove();
    const file = join(dir, "aws-auth.json");
    await writeFile(
      file,
      JSON.stringify(
        {
          ...awsAuth(GOOD_DATA, { resourceVersion: "9", uid: "x" }),
          metadata: { ...awsAuth(GOOD_DATA).metadata, managedFields: [{ manager: "kubectl" }] },
        },
        null,
        4,
      ),
    );

    // Act
    const result = await direct("restore", ["--snapshot", file, "--yes"]);

    // Assess
    expect(result.code).toBe(0);
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("restores a version record saved with show --json, through a context that is not the current one", async () => {
    // Prepare
    await baseline();
    const shown = await run(["show", "last-good", "--store", store, "--json"]);
    const file = join(dir, "record.json");
    await writeFile(file, shown.out);
    await writeFile(kubeconfig, server.kubeconfig(TOKEN, { decoyCurrentContext: true }));
    server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const result = await direct("restore", [
      "--context",
      "fake-apiserver",
      "--snapshot",
      file,
      "--cluster",
      "prod",
      "--yes",
    ]);

    // Assess
    expect(result.code).toBe(0);
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("fails to restore without --yes when there is no terminal to ask, and writes nothing", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const result = await directWithStore("restore");

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toContain(`- role ${CONTRACTOR_ROLE}`);
    expect(result.err).toContain(
      "not restoring without confirmation: there is no terminal to ask on; pass --yes",
    );
    expect(writes()).toEqual([]);
  });

  it("asks before writing, and writes nothing when the answer is no", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const declined = await directWithStore("restore", [], false);
    const accepted = await directWithStore("restore", [], true);

    // Assess
    expect(declined.questions).toEqual(["Write this to aws-auth of prod? [y/N] "]);
    expect(declined.code).toBe(1);
    expect(declined.err).toContain("aborted: nothing written");
    expect(accepted.code).toBe(0);
    expect(writes().map((w) => w.method)).toEqual(["PUT"]);
  });

  it("--dry-run prints the diff and the exact object, and writes nothing", async () => {
    // Prepare
    await baseline();
    const live = server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const result = await directWithStore("restore", ["--dry-run"]);

    // Assess
    expect(result.code).toBe(0);
    expect(result.out).toContain(
      `replace over the live aws-auth (resourceVersion ${live.metadata.resourceVersion})`,
    );
    const body = JSON.parse(
      result.out.slice(result.out.indexOf("Object that would be written:\n") + 30),
    ) as ConfigMapObject;
    expect(body.data).toStrictEqual(GOOD_DATA);
    expect(body.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
    expect(writes()).toEqual([]);
  });

  it("fails with exit 1 and the reason when the version is classified dangerous", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    await directWithStore("capture");
    server.seed(awsAuth(GOOD_DATA));

    // Act
    const result = await directWithStore("restore", ["--to", "latest", "--yes"]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /Refused:\n {2}- version \S+ was classified dangerous \(.*masters-granted.*\); restoring it would bring that back\./,
    );
    expect(writes()).toEqual([]);
  });

  it("exits 2 when the object read back is not the version written", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    server.beforeNextPut(() => {
      server.alterNextGet((object) => ({ ...object, data: { ...object.data, mapUsers: "[]\n" } }));
    });

    // Act
    const result = await directWithStore("restore", ["--yes"]);

    // Assess
    expect(result.code).toBe(2);
    expect(result.out).toMatch(
      /Written \(resourceVersion \d+\) but NOT verified: read back after the write: the mappings differ/,
    );
  });

  it("fails with exit 1 and says the identity may be locked out when the API server answers 403", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    server.addToken("locked-out", { user: "operator", allowed: false });
    await writeFile(kubeconfig, server.kubeconfig("locked-out"));

    // Act
    const result = await directWithStore("restore", ["--yes"]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      /Failed, nothing written: cannot read aws-auth from https:\/\/127\.0\.0\.1:\d+: .*HTTP 403/,
    );
    expect(result.out).toContain("it may be locked out like everyone else");
    expect(writes()).toEqual([]);
  });

  it("verify right after restore --direct: the restored object is the guardian's own write, not the attacker's version, and no notification", async () => {
    // Prepare: a baseline, an escalation found by verify, then the restore.
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    expect((await directWithStore("verify")).code).toBe(2);
    expect((await directWithStore("restore", ["--yes"])).code).toBe(0);

    // Act
    const verified = await directWithStore("verify");
    const again = await directWithStore("verify");

    // Assess
    expect(verified.code).toBe(0);
    expect(verified.out).toMatch(
      /^Cluster prod: in-sync: the live aws-auth \(resourceVersion 3\) is what the guardian's restore wrote \(version \d{20}-capture-\d+ put back at /,
    );
    expect(verified.out).not.toContain("grants what the latest record");
    expect(verified.err).toBe("");
    expect(again.code).toBe(0);
    expect(again.err).toBe("");
  });

  it("verify calls a return to the last good version that nobody recorded a blind spot", async () => {
    // Prepare: the escalation is recorded; then someone puts the good content back outside the guardian.
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    await directWithStore("verify");
    server.seed(awsAuth(GOOD_DATA));

    // Act
    const verified = await directWithStore("verify");

    // Assess
    expect(verified.code).toBe(2);
    expect(verified.out).toMatch(
      /^Cluster prod: drift: BLIND SPOT: the live aws-auth \(resourceVersion 3\) differs from the latest record/,
    );
    expect(verified.err).toMatch(
      /notification not published \(no --topic-arn\): \[aws-auth DANGEROUS\] prod:/,
    );
  });

  it("verify exits 0 in sync and 2 on a blind spot", async () => {
    // Prepare
    await baseline();

    // Act
    const inSync = await directWithStore("verify");
    server.seed(awsAuth(ESCALATED_DATA));
    const drift = await directWithStore("verify");

    // Assess
    expect(inSync.code).toBe(0);
    expect(inSync.out).toMatch(/^Cluster prod: in-sync: /);
    expect(drift.code).toBe(2);
    expect(drift.out).toMatch(/^Cluster prod: drift: BLIND SPOT: the live aws-auth/);
    expect(drift.err).toMatch(/notification not published \(no --topic-arn\): \[aws-auth DANGEROUS\] prod:/);
  });

  it("history lists the versions with actor and class; show prints the data; diff the semantic change", async () => {
    // Prepare
    await baseline();
    server.seed(awsAuth(ESCALATED_DATA));
    await directWithStore("verify");

    // Act
    const history = await run(["history", "--store", store]);
    const show = await run(["show", "last-good", "--store", store, "--cluster", "prod"]);
    const diff = await run(["diff", "last-good", "latest", "--store", store]);

    // Assess
    expect(history.code).toBe(0);
    const lines = history.out.trim().split("\n");
    expect(lines[0]).toBe(`Cluster prod in ${store}: 2 records`);
    expect(lines[2]).toMatch(
      /^\d{20}-capture-\d+\s+\S+\s+version\s+routine\s+captured: capture requested from the command line\s+\[last-good\]$/,
    );
    expect(lines[3]).toMatch(
      /^\d{20}-capture-\d+\s+\S+\s+version\s+dangerous\s+captured: verify\s+\[latest\]$/,
    );
    expect(show.code).toBe(0);
    expect(show.out).toContain(
      `--- mapRoles (${GOOD_DATA.mapRoles?.length} characters)\n${GOOD_DATA.mapRoles}`,
    );
    expect(diff.code).toBe(0);
    expect(diff.out.split("\n")[1]).toBe(`  + role ${CONTRACTOR_ROLE} as "contractor" in system:masters`);
  });

  it("fails with a usage error for a store folder that does not exist", async () => {
    // Act
    const result = await run(["history", "--store", join(dir, "nope"), "--cluster", "prod"]);

    // Assess
    expect(result.code).toBe(1);
    expect(result.err).toContain("no such folder");
  });
});

describe("restore, capture and verify usage errors (before anything is read or invoked)", () => {
  it.each([
    [
      "restore --direct without --kubeconfig",
      ["restore", "--direct"],
      "--direct needs --kubeconfig FILE (your own access to the cluster)",
    ],
    [
      "restore --direct without a version source",
      ["restore", "--direct", "--kubeconfig", "kc", "--region", "eu-west-1"],
      "--direct needs the version to restore: --store s3://BUCKET|DIR, or --snapshot FILE",
    ],
    [
      "restore --direct --snapshot with --to",
      ["restore", "--direct", "--kubeconfig", "kc", "--snapshot", "cm.yaml", "--to", "latest"],
      "--to picks a version in --store; it cannot be combined with --snapshot",
    ],
    [
      "restore --direct with --function",
      ["restore", "--direct", "--kubeconfig", "kc", "--store", "dir", "--function", "fn"],
      "--function and --stack are for the function path, not --direct",
    ],
    [
      "restore --snapshot without --direct",
      ["restore", "--snapshot", "cm.yaml"],
      "--snapshot is only for --direct",
    ],
    ["restore without --cluster", ["restore"], "--cluster NAME is required (or use --direct)"],
    [
      "capture --direct without --kubeconfig",
      ["capture", "--direct", "--function", "fn"],
      "--direct needs --kubeconfig FILE (your own access to the cluster)",
    ],
    [
      "capture --direct without --store",
      ["capture", "--direct", "--kubeconfig", "kc", "--region", "eu-west-1"],
      "--direct needs --store s3://BUCKET[/prefix] or --store DIR",
    ],
    [
      "verify --direct with --stack",
      ["verify", "--direct", "--kubeconfig", "kc", "--store", "dir", "--stack", "Guardian"],
      "--function and --stack are for the function path, not --direct",
    ],
    [
      "restore --topic-arn without --direct",
      ["restore", "--cluster", "prod", "--topic-arn", "arn:aws:sns:us-east-1:012345678901:t"],
      "--topic-arn is only for --direct",
    ],
    [
      "verify --kubeconfig without --direct",
      ["verify", "--kubeconfig", "kc"],
      "--kubeconfig is only for --direct",
    ],
    ["capture without --cluster", ["capture"], "--cluster NAME is required (or use --direct)"],
  ])("%s", async (_label, argv, message) => {
    // Prepare
    const recorded = recordingIo();

    // Act
    const code = await main(argv, recorded.io);

    // Assess
    expect(code).toBe(1);
    expect(recorded.err()).toBe(`error: ${message}\n`);
  });
});
