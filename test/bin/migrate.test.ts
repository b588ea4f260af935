/**
 * `migrate plan` and `migrate apply` end to end, in-process: the real `@aws-sdk/client-iam` and
 * `client-cloudwatch-logs` against moto, the real `@aws-sdk/client-eks` against the in-test EKS
 * access-entry fake (moto has no access entries).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { CreateRoleCommand, CreateUserCommand, IAMClient } from "@aws-sdk/client-iam";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import type { MigrateAws, MigrateDeps } from "../../bin/commands/migrate.js";
import { applyPlan } from "../../bin/commands/migrate-apply.js";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { LocalBlobStore } from "../../lambda/adapters/local-blob-store.js";
import { planMigration } from "../../lambda/core/migrate-plan.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { FAKE_ACCOUNT, FakeEks } from "../support/fake-eks.js";
import { clientConfig, type MotoServer, startMoto } from "../support/moto.js";
import { recordingIo } from "./io.js";

const A = `arn:aws:iam::${FAKE_ACCOUNT}`;
const ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const SNAPSHOT = new URL("../fixtures/migrate/every-reason.yaml", import.meta.url);
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
/**
 * CloudWatch Logs (and moto) refuse events older than 14 days, so the recorded logins sit a few days
 * before the real clock, and the command's `now` is that clock.
 */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const daysBefore = (days: number) => new Date(NOW.getTime() - days * 86_400_000);
const LOGIN_AT = daysBefore(9);
const DENIED_AT = daysBefore(8);
const logTime = (at: Date) => at.toISOString().replace(/\.\d{3}Z$/, "Z");
/** The shape aws-iam-authenticator logs a login in (terraform-aws-eks#2415), for role `dev`. */
const GRANTED = (arn: string, username: string) =>
  `time="${logTime(LOGIN_AT)}" level=info msg="access granted" arn="${arn}" client="127.0.0.1:51358" groups="[view-only]" method=POST path=/authenticate uid="aws-iam-authenticator:${FAKE_ACCOUNT}:AROAEXAMPLE" username="${username}"`;

let moto: MotoServer;

/** IAM in moto's account for the fake cluster's account (moto serves one account per header value). */
function iamClient(): IAMClient {
  const iam = new IAMClient(clientConfig(moto.env));
  iam.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers["x-moto-account-id"] = FAKE_ACCOUNT;
      return next(args);
    },
    { step: "build", name: "motoAccount" },
  );
  return iam;
}
let eks: FakeEks;
let dir: string;
let cluster: string;
let n = 0;

function deps(overrides: Partial<MigrateAws> = {}): { migrate: MigrateDeps } {
  const aws: MigrateAws = {
    iam: iamClient(),
    logs: new CloudWatchLogsClient(clientConfig(moto.env)),
    eks: new EksAccessEntryApi(eks.client()),
    clusterAccount: async () => FAKE_ACCOUNT,
    ...overrides,
  };
  return {
    migrate: {
      aws: () => aws,
      now: () => NOW,
      applyTiming: { pollMs: 1, sleep: async () => undefined },
    },
  };
}

beforeAll(async () => {
  moto = await startMoto();
  const iam = iamClient();
  // Roles aws-auth names without a path; platform-admin really lives under /teams/.
  for (const [name, path] of [
    ["nodes-linux", "/"],
    ["nodes-windows", "/"],
    ["fargate-pods", "/"],
    ["platform-admin", "/teams/"],
    ["dev", "/"],
  ]) {
    await iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: TRUST }));
  }
  await iam.send(new CreateUserCommand({ UserName: "breakglass" }));
  // role/ci is gone from IAM: a warning, never a failed run.
  const logs = new CloudWatchLogsClient(clientConfig(moto.env));
  await logs.send(new CreateLogGroupCommand({ logGroupName: "/aws/eks/prod/cluster" }));
  await logs.send(
    new CreateLogStreamCommand({
      logGroupName: "/aws/eks/prod/cluster",
      logStreamName: "authenticator-0a1b2c",
    }),
  );
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: "/aws/eks/prod/cluster",
      logStreamName: "authenticator-0a1b2c",
      logEvents: [
        { timestamp: LOGIN_AT.getTime(), message: GRANTED(`${A}:role/dev`, "dev:alice") },
        {
          timestamp: DENIED_AT.getTime(),
          message: `time="${logTime(DENIED_AT)}" level=warning msg="access denied" arn="${A}:role/ci" client="127.0.0.1:1" error="identity is not mapped" method=POST path=/authenticate`,
        },
      ],
    }),
  );
  eks = await FakeEks.start();
  eks.addCluster({ name: "prod", authenticationMode: "CONFIG_MAP", nodeRoleArns: [`${A}:role/nodes-linux`] });
  dir = await mkdtemp(join(tmpdir(), "migrate-cli-"));
}, 120_000);

afterAll(async () => {
  await eks?.stop();
  await moto?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  // A fresh CONFIG_MAP cluster per test ("prod", whose log group holds the logins, is only read).
  n += 1;
  cluster = `prod-${n}`;
  eks.addCluster({
    name: cluster,
    authenticationMode: "CONFIG_MAP",
    nodeRoleArns: [`${A}:role/nodes-linux`],
  });
});

const snapshotPath = () => SNAPSHOT.pathname;

describe("migrate plan", () => {
  it("with a snapshot, asks AWS nothing and prints the documented JSON", async () => {
    // Prepare
    const io = recordingIo();
    const offline: MigrateDeps = {
      aws: () => {
        throw new Error("plan asked AWS");
      },
    };
    // Act
    const status = await main(
      ["migrate", "plan", "--cluster", cluster, "--snapshot", snapshotPath(), "--format", "json"],
      io.io,
      { migrate: offline },
    );
    // Assess
    expect(io.err()).toBe("");
    expect(status).toBe(0);
    const plan = JSON.parse(io.out()) as {
      authenticationMode: unknown;
      entries: Array<{ principalArn: string }>;
    };
    expect(plan.authenticationMode).toBeNull();
    expect(plan.entries.map((e) => e.principalArn)).toContain(`${A}:role/platform-admin`);
  });

  it("with AWS: real ARNs with their path, missing principals as warnings, mode, and who logged in", async () => {
    const io = recordingIo();
    const status = await main(
      [
        "migrate",
        "plan",
        "--cluster",
        "prod",
        "--snapshot",
        snapshotPath(),
        "--usage-days",
        "30",
        "--format",
        "json",
      ],
      io.io,
      deps(),
    );
    expect(io.err()).toBe("");
    expect(status).toBe(0);
    const plan = JSON.parse(io.out()) as {
      warnings: string[];
      authenticationMode: string;
      entries: Array<{ principalArn: string; notes: string[] }>;
      cannotMigrate: Array<{ principal?: string; reason: string }>;
    };
    expect(plan.authenticationMode).toBe("CONFIG_MAP");
    // Every lookup answered (the one warning left: the fixture, judged on its own, is dangerous).
    expect(plan.warnings.filter((w) => /IAM lookup|could not read/.test(w))).toEqual([]);
    expect(plan.warnings.join(" ")).toMatch(/judged this aws-auth version dangerous/);
    const admin = plan.entries.find((e) => e.principalArn === `${A}:role/teams/platform-admin`);
    expect(admin?.notes.join(" ")).toMatch(/real ARN from IAM/);
    expect(plan.cannotMigrate).toContainEqual(
      expect.objectContaining({ principal: `${A}:role/ci`, reason: "principal-missing" }),
    );
    const dev = plan.entries.find((e) => e.principalArn === `${A}:role/dev`);
    expect(dev?.notes.join(" ")).not.toMatch(/nobody used it/);
    const breakglass = plan.entries.find((e) => e.principalArn === `${A}:user/breakglass`);
    expect(breakglass?.notes.join(" ")).toMatch(/nobody used it in the last 30 days/);
  });

  it("reads the latest version from a snapshot store", async () => {
    // Prepare: a folder store holding one version, filed as capture files it.
    const storeDir = join(dir, `store-${n}`);
    const store = new SnapshotStore(new LocalBlobStore(storeDir));
    const { readSnapshotFile } = await import("../../bin/commands/restore.js");
    const record = { ...(await readSnapshotFile(snapshotPath(), cluster)), id: "00000000000000000042-test" };
    await store.putRecord(record);
    await store.advancePointer("latest", record);
    const io = recordingIo();
    // Act
    const status = await main(["migrate", "plan", "--store", storeDir, "--offline"], io.io, deps());
    // Assess
    expect(io.err()).toBe("");
    expect(status).toBe(0);
    expect(io.out()).toContain(`version 00000000000000000042-test`);
    expect(io.out()).toMatch(
      /\| \d+ \| arn:aws:iam::111122223333:role\/dev \| STANDARD \| dev:\{\{SessionName\}\}/,
    );
  });

  it("fails clearly without a source or with two", async () => {
    const io = recordingIo();
    expect(await main(["migrate", "plan", "--cluster", cluster], io.io, deps())).toBe(1);
    expect(io.err()).toMatch(/give one source/);
    const two = recordingIo();
    const args = [
      "migrate",
      "plan",
      "--cluster",
      cluster,
      "--snapshot",
      snapshotPath(),
      "--direct",
      "--kubeconfig",
      "k",
    ];
    expect(await main(args, two.io, deps())).toBe(1);
    expect(two.err()).toMatch(/give one source/);
  });
});

describe("migrate apply", () => {
  it("does nothing when the switch is not confirmed", async () => {
    const io = recordingIo(false);
    const status = await main(
      ["migrate", "apply", "--cluster", cluster, "--snapshot", snapshotPath()],
      io.io,
      deps(),
    );
    expect(status).toBe(1);
    expect(io.questions[0]).toMatch(/CONFIG_MAP to API_AND_CONFIG_MAP \(one-way/);
    expect(eks.snapshot(cluster)?.authenticationMode).toBe("CONFIG_MAP");
    expect(
      eks.calls.filter(
        (c) =>
          c.operation === "CreateAccessEntry" &&
          (c.event.detail.requestParameters as { name?: string } | undefined)?.name === cluster,
      ),
    ).toEqual([]);
  });

  it("switches the mode, creates every planned entry, reads each back, records it, leaves aws-auth alone", async () => {
    // Prepare
    const before = await readFile(SNAPSHOT, "utf8");
    const storeDir = join(dir, `apply-${n}`);
    const io = recordingIo(true);
    // Act
    const status = await main(
      ["migrate", "apply", "--cluster", cluster, "--snapshot", snapshotPath(), "--store", storeDir],
      io.io,
      deps(),
    );
    // Assess
    expect(io.err()).not.toMatch(/^error/m);
    expect(io.out()).toContain("### Apply: applied");
    expect(status).toBe(0);
    const state = eks.snapshot(cluster);
    expect(state?.authenticationMode).toBe("API_AND_CONFIG_MAP");
    const byArn = new Map(state?.entries.map((e) => [e.principalArn, e]));
    expect(byArn.get(`${A}:role/teams/platform-admin`)).toMatchObject({
      type: "STANDARD",
      username: "platform-admin:{{SessionName}}",
      kubernetesGroups: ["ops-oncall"],
      policies: [
        expect.objectContaining({
          policyArn: ADMIN_POLICY,
          accessScope: expect.objectContaining({ type: "cluster" }),
        }),
      ],
    });
    expect(byArn.get(`${A}:role/nodes-windows`)?.type).toBe("EC2_WINDOWS");
    expect(byArn.get(`${A}:role/fargate-pods`)?.type).toBe("FARGATE_LINUX");
    // EKS made the managed node group's entry on the switch: apply found it and did not fail.
    expect(io.out()).toMatch(/already-there, verified: arn:aws:iam::111122223333:role\/nodes-linux/);
    // Nothing dead, shadowed or missing became an entry.
    for (const arn of [`${A}:role/teams/dead-path`, `${A}:role/CI`, `${A}:role/ci`, `${A}:role/monitor`]) {
      expect(byArn.has(arn)).toBe(false);
    }
    const records = await new SnapshotStore(new LocalBlobStore(storeDir)).listMigrations(cluster);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: "applied", switched: true, modeBefore: "CONFIG_MAP" });
    expect(await readFile(SNAPSHOT, "utf8")).toBe(before);
    expect(io.out()).toMatch(
      /Mappings that aws-auth must keep serving, because they were not migrated: .*mapRoles#6 \(system-group\)/,
    );
  });

  it("is idempotent: a second run finds every entry in place", async () => {
    await main(
      ["migrate", "apply", "--cluster", cluster, "--snapshot", snapshotPath(), "--yes"],
      recordingIo().io,
      deps(),
    );
    const io = recordingIo();
    const status = await main(
      ["migrate", "apply", "--cluster", cluster, "--snapshot", snapshotPath(), "--yes"],
      io.io,
      deps(),
    );
    expect(io.out()).toContain("### Apply: applied");
    expect(io.out()).not.toMatch(/- created/);
    expect(status).toBe(0);
  });

  it("treats a 409 for an identical entry as done, and reports a different one without touching it", async () => {
    // Prepare: the cluster already allows access entries; the plan is made, then two entries appear.
    const api = new EksAccessEntryApi(eks.client());
    await api.updateAuthenticationMode(cluster, "API_AND_CONFIG_MAP");
    const plan = planMigration(
      {
        mapRoles: `- rolearn: ${A}:role/dev\n  username: dev:{{SessionName}}\n  groups: [view-only]\n- rolearn: ${A}:role/nodes-windows\n  username: dev2\n  groups: [editors]`,
      },
      { cluster, source: "test", authenticationMode: "API_AND_CONFIG_MAP", existingEntries: [] },
    );
    await api.createAccessEntry(cluster, {
      principalArn: `${A}:role/dev`,
      username: "dev:{{SessionName}}",
      kubernetesGroups: ["view-only"],
    });
    await api.createAccessEntry(cluster, {
      principalArn: `${A}:role/nodes-windows`,
      username: "someone-else",
    });
    // Act
    const result = await applyPlan(api, plan, {
      cluster,
      yes: true,
      replan: async () => plan,
      log: () => undefined,
    });
    // Assess
    expect(result.entries).toEqual([
      expect.objectContaining({ principalArn: `${A}:role/dev`, outcome: "already-there", verified: true }),
      expect.objectContaining({
        principalArn: `${A}:role/nodes-windows`,
        outcome: "differs",
        verified: false,
      }),
    ]);
    expect(result.outcome).toBe("incomplete");
    const untouched = eks
      .snapshot(cluster)
      ?.entries.find((e) => e.principalArn === `${A}:role/nodes-windows`);
    expect(untouched?.username).toBe("someone-else");
  });

  it("refuses without a terminal and without --yes, before changing anything", async () => {
    const io = recordingIo();
    const status = await main(
      ["migrate", "apply", "--cluster", cluster, "--snapshot", snapshotPath()],
      io.io,
      deps(),
    );
    expect(status).toBe(1);
    expect(io.out()).toMatch(/Apply: refused \(no terminal to ask on/);
    expect(eks.snapshot(cluster)?.authenticationMode).toBe("CONFIG_MAP");
  });
});
