import { describe, expect, it } from "vitest";
import { forEksCluster } from "../../lambda/cluster/kube-aws-auth-client.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { executeRestore, type RestoreDeps } from "../../lambda/restore/restore.js";
import {
  ADMIN_TOKEN,
  awsAuth,
  BROKEN_DATA,
  CLUSTER,
  CONTRACTOR_ROLE,
  ESCALATED_DATA,
  GOOD_DATA,
  GOOD_REWRITTEN,
  type Rig,
} from "./fixtures.js";
import { rigForEachTest } from "./rig-hooks.js";

describe("executeRestore against an in-test API server (TLS, own CA)", () => {
  let rig: Rig;
  rigForEachTest((started) => {
    rig = started;
  });

  function deps(overrides: Partial<RestoreDeps> = {}): RestoreDeps {
    return {
      client: rig.client,
      store: rig.store,
      notifier: rig.notifier,
      now: () => new Date(),
      ...overrides,
    };
  }

  /** A good baseline, then `data` stored as the next version; the live aws-auth is good again. */
  async function storeAfterBaseline(data: Record<string, string>): Promise<VersionRecord> {
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(data));
    const stored = await rig.capture("drift");
    rig.server.seed(awsAuth(GOOD_DATA));
    return stored;
  }

  it("re-creates a deleted aws-auth from the last good version and verifies it", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    const good = await rig.capture("baseline");
    rig.server.remove();

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, reason: "deleted by CI" });

    // Assess
    expect(result).toMatchObject({
      outcome: "restored",
      target: good.id,
      action: "create",
      verification: { ok: true },
      attempts: 1,
      notified: true,
    });
    const stored = rig.server.object();
    expect(stored?.data).toStrictEqual(GOOD_DATA);
    expect(result.resourceVersionWritten).toBe(stored?.metadata.resourceVersion);
    expect(rig.writes()).toEqual([{ method: "POST", status: 201 }]);
    expect(result.diffLines.some((l) => l.startsWith("+ role"))).toBe(true);
    expect(rig.notifier.alerts.map((a) => a.subject)).toEqual([
      `[aws-auth RESTORED] ${CLUSTER}: ${good.id} put back (create, rv ${result.resourceVersionWritten})`,
    ]);
    const [record] = await rig.store.listRestores(CLUSTER);
    expect(record).toMatchObject({
      outcome: "restored",
      target: good.id,
      reason: "deleted by CI",
      dryRun: false,
    });
  });

  it("replaces a dangerous change with the last good version's exact strings", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    const good = await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    const bad = await rig.capture("drift");
    const liveVersion = rig.server.object()?.metadata.resourceVersion;

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, to: "last-good" });

    // Assess
    expect(bad.class).toBe("dangerous");
    expect(result).toMatchObject({
      outcome: "restored",
      target: good.id,
      action: "replace",
      liveResourceVersion: liveVersion,
    });
    expect(result.diffLines).toEqual([`- role ${CONTRACTOR_ROLE} (was "contractor" in system:masters)`]);
    expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
    expect(rig.writes()).toEqual([{ method: "PUT", status: 200 }]);
  });

  it("re-reads, re-plans and retries when a concurrent writer wins the first PUT (409)", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    rig.server.beforeNextPut(() => {
      rig.server.seed(awsAuth({ ...ESCALATED_DATA, mapAccounts: '- "999988887777"\n' }));
    });

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(rig.writes()).toEqual([
      { method: "PUT", status: 409 },
      { method: "PUT", status: 200 },
    ]);
    expect(result).toMatchObject({ outcome: "restored", attempts: 2, verification: { ok: true } });
    expect(result.diffLines).toContain("- account 999988887777 (mapAccounts)");
    expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("fails after a bounded number of conflicts, saying so, without writing anything", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    let round = 0;
    const hostile = () => {
      round += 1;
      rig.server.seed(
        awsAuth({ ...ESCALATED_DATA, mapAccounts: `- "${String(round).padStart(12, "0")}"\n` }),
      );
      rig.server.beforeNextPut(hostile);
    };
    rig.server.beforeNextPut(hostile);

    // Act
    const result = await executeRestore(deps({ conflictRetries: 2 }), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("failed");
    expect(result.attempts).toBe(3);
    expect(result.error).toMatch(/^gave up after 3 attempts: every write met a concurrent change/);
    expect(result.resourceVersionWritten).toBeUndefined();
    expect(rig.writes().map((w) => w.status)).toEqual([409, 409, 409]);
  });

  it("refuses a version classified dangerous, explains why, records and announces the refusal", async () => {
    // Prepare
    const bad = await storeAfterBaseline(ESCALATED_DATA);

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, to: bad.id });

    // Assess
    expect(result.outcome).toBe("refused");
    expect(result.refusal?.[0]).toMatch(
      new RegExp(
        `^version ${bad.id} was classified dangerous \\(.*masters-granted.*\\); restoring it would bring that back\\.$`,
      ),
    );
    expect(rig.writes()).toEqual([]);
    const [alert] = rig.notifier.alerts;
    expect(alert?.subject).toMatch(/^\[aws-auth RESTORE REFUSED\] prod: version /);
    expect(alert?.email).toContain(`Refused because\n  - version ${bad.id} was classified dangerous`);
    expect(rig.notifier.alerts).toHaveLength(1);
    const records = await rig.store.listRestores(CLUSTER);
    expect(records.map((r) => r.outcome)).toEqual(["refused"]);
  });

  it("refuses an unparseable version (here also classified dangerous) with the parser's reason", async () => {
    // Prepare
    const broken = await storeAfterBaseline(BROKEN_DATA);

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, to: broken.id });

    // Assess
    expect(result.outcome).toBe("refused");
    expect(result.refusal).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^mapRoles in version .* does not parse \(.+\); the authenticator would drop every entry in it\.$/,
        ),
      ]),
    );
    expect(rig.writes()).toEqual([]);
  });

  it("writes nothing when the live aws-auth already equals the version", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result).toMatchObject({ outcome: "already-equal", action: "none", verification: { ok: true } });
    expect(rig.writes()).toEqual([]);
    expect(rig.notifier.alerts).toEqual([]);
    expect((await rig.store.listRestores(CLUSTER)).map((r) => r.outcome)).toEqual(["already-equal"]);
  });

  it("rewrites an effectively equal but textually different aws-auth to the snapshot's strings", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(GOOD_REWRITTEN));

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result).toMatchObject({
      outcome: "restored",
      diffLines: [],
      dataKeysChanged: ["mapRoles", "mapUsers"],
    });
    expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("reports a read-back that does not match what was written as a failed verification", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    rig.server.beforeNextPut(() => {
      // The GET after our PUT answers with different content (e.g. a mutating webhook or a racing writer).
      rig.server.alterNextGet((object) => ({
        ...object,
        data: { ...object.data, mapRoles: ESCALATED_DATA.mapRoles ?? "" },
      }));
    });

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("failed");
    expect(result.resourceVersionWritten).toBeDefined();
    expect(result.verification.ok).toBe(false);
    expect(result.verification.detail).toContain("the mappings differ from version");
    expect(result.verification.detail).toContain(`+ role ${CONTRACTOR_ROLE}`);
    expect(result.verification.detail).toContain('data "mapRoles" differ from the snapshot');
    expect(rig.notifier.alerts.at(-1)?.subject).toMatch(
      /^\[aws-auth RESTORE UNVERIFIED\] prod: verification failed/,
    );
    expect((await rig.store.listRestores(CLUSTER))[0]).toMatchObject({
      outcome: "failed",
      verification: { ok: false },
    });
  });

  it("dry-runs: returns the exact body it would write, writes nothing, records the dry run", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    const live = rig.server.seed(awsAuth(ESCALATED_DATA));

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, dryRun: true });

    // Assess
    expect(result.outcome).toBe("dry-run");
    expect(result.body).toStrictEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "aws-auth",
        namespace: "kube-system",
        resourceVersion: live.metadata.resourceVersion,
      },
      data: GOOD_DATA,
    });
    expect(rig.writes()).toEqual([]);
    expect(rig.notifier.alerts).toEqual([]);
    expect((await rig.store.listRestores(CLUSTER)).map((r) => r.dryRun)).toEqual([true]);
  });

  it("still reports a verified write when the notification cannot be published", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.remove();
    const broken = {
      publish: async () => {
        throw new Error("SNS is down");
      },
    };

    // Act
    const result = await executeRestore(deps({ notifier: broken }), { cluster: CLUSTER });

    // Assess
    expect(result).toMatchObject({ outcome: "restored", notified: false, verification: { ok: true } });
    expect(result.warnings).toEqual(["The restore notification could not be published: SNS is down"]);
    expect(rig.server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("records a refused dry run without announcing it", async () => {
    // Prepare
    const bad = await storeAfterBaseline(ESCALATED_DATA);

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, to: bad.id, dryRun: true });

    // Assess
    expect(result).toMatchObject({ outcome: "refused", dryRun: true, notified: false });
    expect(rig.notifier.alerts).toEqual([]);
    expect((await rig.store.listRestores(CLUSTER)).map((r) => [r.outcome, r.dryRun])).toEqual([
      ["refused", true],
    ]);
  });

  it("refuses to write when aws-auth changed after the dry run that was confirmed", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    const preview = await executeRestore(deps(), { cluster: CLUSTER, dryRun: true });
    rig.server.seed(awsAuth(BROKEN_DATA));

    // Act
    const result = await executeRestore(deps(), {
      cluster: CLUSTER,
      to: preview.target,
      expectLiveResourceVersion: preview.liveResourceVersion ?? "",
    });

    // Assess
    expect(result.outcome).toBe("refused");
    expect(result.refusal?.[0]).toMatch(
      /^aws-auth changed after the dry run you confirmed \(it was at resourceVersion \d+, it is now at resourceVersion \d+\)/,
    );
    expect(rig.writes()).toEqual([]);
  });

  it("refuses a version the store does not hold, pointing at history", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");

    // Act
    const result = await executeRestore(deps(), { cluster: CLUSTER, to: "00000000000000000999-nope" });

    // Assess
    expect(result.outcome).toBe("refused");
    expect(result.refusal?.[0]).toContain('No version "00000000000000000999-nope" of cluster prod in');
    expect(result.refusal?.[0]).toContain("aws-auth-guardian history --cluster prod");
  });

  it("fails, saying why, when the identity cannot read aws-auth (403)", async () => {
    // Prepare
    rig.server.seed(awsAuth(GOOD_DATA));
    await rig.capture("baseline");
    rig.server.addToken("viewer", { user: "viewer", allowed: false });
    const viewer = forEksCluster({
      endpoint: rig.server.url,
      caData: rig.server.caData,
      token: "viewer",
      clusterName: CLUSTER,
    });

    // Act
    const result = await executeRestore(deps({ client: viewer }), { cluster: CLUSTER });

    // Assess
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain("cannot read aws-auth from");
    expect(result.error).toContain("403");
    expect(rig.server.requests.every((r) => r.token !== ADMIN_TOKEN)).toBe(true);
  });
});
