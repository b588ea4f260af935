import { describe, expect, it } from "vitest";
import { planRestore } from "../../lambda/core/restore-plan.js";
import {
  ADMIN_ROLE,
  awsAuth,
  BROKEN_DATA,
  CONTRACTOR_ROLE,
  ESCALATED_DATA,
  GOOD_DATA,
  GOOD_REWRITTEN,
  GUTTED_DATA,
  NODE_ROLE,
  versionRecord,
} from "./fixtures.js";

function live(data: Record<string, string>, resourceVersion = "77") {
  return awsAuth(data, { uid: "live-uid", resourceVersion, creationTimestamp: "2026-02-02T00:00:00Z" });
}

describe("planRestore", () => {
  it("creates aws-auth from the snapshot's exact data when it is gone, without server-owned fields", () => {
    // Prepare
    const target = versionRecord("00000000000000000042-good", GOOD_DATA);

    // Act
    const plan = planRestore(target, undefined);

    // Assess
    expect(plan.action).toBe("create");
    expect(plan.refusal).toBeUndefined();
    expect(plan.body).toStrictEqual({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "aws-auth",
        namespace: "kube-system",
        labels: { "app.kubernetes.io/managed-by": "Terraform" },
      },
      data: GOOD_DATA,
    });
    expect(plan.body?.data?.mapRoles).toBe(GOOD_DATA.mapRoles);
    expect(plan.diff.roles.added.map((r) => r.rolearn).sort()).toEqual([NODE_ROLE, ADMIN_ROLE].sort());
    expect(plan.liveResourceVersion).toBeUndefined();
  });

  it("replaces a damaged aws-auth carrying the live resourceVersion as precondition", () => {
    // Prepare
    const target = versionRecord("00000000000000000042-good", GOOD_DATA);

    // Act
    const plan = planRestore(target, live(ESCALATED_DATA, "99"));

    // Assess
    expect(plan.action).toBe("replace");
    expect(plan.refusal).toBeUndefined();
    expect(plan.body?.metadata).toStrictEqual({
      name: "aws-auth",
      namespace: "kube-system",
      labels: { "app.kubernetes.io/managed-by": "Terraform" },
      resourceVersion: "99",
    });
    expect(plan.body?.data).toStrictEqual(GOOD_DATA);
    expect(plan.diff.roles.removed.map((r) => r.rolearn)).toEqual([CONTRACTOR_ROLE]);
    expect(plan.liveResourceVersion).toBe("99");
  });

  it("writes nothing when the live object already holds exactly the snapshot's data", () => {
    // Prepare
    const target = versionRecord("00000000000000000042-good", GOOD_DATA);

    // Act
    const plan = planRestore(target, live({ ...GOOD_DATA }));

    // Assess
    expect(plan.action).toBe("none");
    expect(plan.body).toBeUndefined();
    expect(plan.refusal).toBeUndefined();
    expect(plan.note).toContain("already holds exactly the data");
  });

  it("still rewrites a live object that grants the same access in different text, to the snapshot's strings", () => {
    // Prepare
    const target = versionRecord("00000000000000000042-good", GOOD_DATA);

    // Act
    const plan = planRestore(target, live(GOOD_REWRITTEN));

    // Assess
    expect(plan.diff.effectiveEqual).toBe(true);
    expect(plan.action).toBe("replace");
    expect(plan.body?.data).toStrictEqual(GOOD_DATA);
  });

  it("fails to go ahead with a target classified dangerous, naming its findings, unless forced", () => {
    // Prepare
    const target = versionRecord("00000000000000000050-escalation", ESCALATED_DATA, {
      class: "dangerous",
      findings: [{ id: "masters-granted", severity: "critical", message: "contractor gets system:masters" }],
    });

    // Act
    const refused = planRestore(target, live(GOOD_DATA));
    const forced = planRestore(target, live(GOOD_DATA), { force: true });

    // Assess
    expect(refused.action).toBe("replace");
    expect(refused.refusal).toEqual([
      "version 00000000000000000050-escalation was classified dangerous (masters-granted); restoring it would bring that back.",
    ]);
    expect(refused.reasons.map((r) => r.id)).toEqual(["target-dangerous"]);
    expect(forced.refusal).toBeUndefined();
    expect(forced.overridden).toEqual(refused.refusal);
    expect(forced.body?.data).toStrictEqual(ESCALATED_DATA);
  });

  it("fails to go ahead with a target whose mapRoles does not parse, with the parser's reason", () => {
    // Prepare: a record that was (wrongly) classified routine must still be refused on content.
    const target = versionRecord("00000000000000000051-broken", BROKEN_DATA);

    // Act
    const plan = planRestore(target, live(GOOD_DATA));

    // Assess
    expect(plan.reasons.map((r) => r.id)).toEqual(expect.arrayContaining(["target-unparseable"]));
    expect(plan.refusal?.[0]).toMatch(
      /^mapRoles in version 00000000000000000051-broken does not parse \(.+\); the authenticator would drop every entry in it\.$/,
    );
  });

  it("fails to go ahead with a target that would remove every system:masters and every node mapping", () => {
    // Prepare
    const target = versionRecord("00000000000000000052-gutted", GUTTED_DATA);

    // Act
    const plan = planRestore(target, live(GOOD_DATA));

    // Assess
    expect(plan.reasons.map((r) => r.id)).toEqual([
      "removes-every-masters-mapping",
      "removes-every-node-mapping",
    ]);
    expect(plan.refusal?.[0]).toContain(`while the live aws-auth maps ${ADMIN_ROLE}`);
    expect(plan.refusal?.[0]).toContain("would remove every cluster admin");
    expect(plan.refusal?.[1]).toContain(`while the live aws-auth maps ${NODE_ROLE}`);
    expect(plan.refusal?.[1]).toContain("would stop every node from joining");
  });

  it("allows a target without admins or nodes when the live aws-auth has none either", () => {
    // Prepare
    const target = versionRecord("00000000000000000052-gutted", GUTTED_DATA);

    // Act
    const plan = planRestore(target, live({ mapRoles: "[]\n" }));

    // Assess
    expect(plan.refusal).toBeUndefined();
    expect(plan.action).toBe("replace");
  });

  it("fails to restore a tombstone even when forced", () => {
    // Prepare
    const target = versionRecord("00000000000000000053~deleted-abc", undefined, {
      kind: "tombstone",
      class: "dangerous",
    });

    // Act
    const plan = planRestore(target, live(GOOD_DATA), { force: true });

    // Assess
    expect(plan.action).toBe("none");
    expect(plan.body).toBeUndefined();
    expect(plan.refusal).toEqual([
      "version 00000000000000000053~deleted-abc records the deletion of aws-auth, so there is nothing to restore from it; pick a version with content (aws-auth-guardian history).",
    ]);
    expect(plan.overridden).toEqual([]);
  });

  it("fails to restore an unverified record even when forced", () => {
    // Prepare
    const target = versionRecord("00000000000000000053~unverified-abc", undefined, {
      kind: "unverified",
      class: "unverified",
    });

    // Act
    const plan = planRestore(target, undefined, { force: true });

    // Assess
    expect(plan.refusal?.[0]).toContain("records a write whose content the guardian never saw");
  });

  it("fails to write another ConfigMap over aws-auth, even when forced", () => {
    // Prepare
    const target = versionRecord("file-coredns", GOOD_DATA);
    if (target.configMap) target.configMap.metadata.name = "coredns";

    // Act
    const plan = planRestore(target, live(GOOD_DATA), { force: true });

    // Assess
    expect(plan.action).toBe("none");
    expect(plan.refusal?.[0]).toContain("is ConfigMap kube-system/coredns, not kube-system/aws-auth");
  });
});
