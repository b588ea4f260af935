/**
 * Classification of every write to aws-auth into exactly one class, with findings, on realistic events
 * derived from the lab recordings (test/support/events.ts). Histories are built with the Timeline, the
 * one place that decides a write's predecessor, comparison base and last good version.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { triageTruncatedMessage } from "../../lambda/core/audit-event.js";
import { classifyWrite, overallSeverity, shouldAlert } from "../../lambda/core/classify.js";
import { type GuardianPolicy, makePolicy, WRITE_CLASSES } from "../../lambda/core/policy.js";
import type { Finding } from "../../lambda/core/records.js";
import { type ProcessedWrite, Timeline } from "../../lambda/core/timeline.js";
import {
  ARN,
  type AuditEventJson,
  actingAs,
  applyEvent,
  asConfigMapObject,
  asRole,
  backendTruncated,
  CLUSTER_ACCOUNT,
  configMapWith,
  createEvent,
  cutOff,
  deleteCollectionEvent,
  deleteEvent,
  derivedAuditID,
  dryRun,
  editEvent,
  goodData,
  IDENTITY,
  jsonPatchEvent,
  LAB_FILES,
  labEvent,
  mergePatchEvent,
  nodeManagerData,
  refused,
  roleEntry,
  strategicMergeEvent,
  updateEvent,
  withoutRoles,
  withRoles,
  writeOf,
} from "../support/events.js";

const POLICY = makePolicy({ clusterAccount: CLUSTER_ACCOUNT });
const REPLACE_URI =
  "/api/v1/namespaces/kube-system/configmaps/aws-auth?fieldManager=kubectl-replace&fieldValidation=Strict";
const CAPTURED = new URL("../fixtures/demo/captured-after-create.json", import.meta.url);

let nextId = 300;
const id = () => derivedAuditID(nextId++);

/** A timeline that knows aws-auth at resourceVersion `rv` with `data` (a capture, as after a create). */
function timelineWith(
  data: Record<string, string> = goodData(),
  rv = "204",
  policy: GuardianPolicy = POLICY,
): Timeline {
  const timeline = new Timeline("prod-eu", policy);
  timeline.capture(asConfigMapObject(configMapWith(data, rv)), "baseline", "2026-11-22T13:59:00Z");
  return timeline;
}

function process(timeline: Timeline, event: AuditEventJson | string): ProcessedWrite {
  const processed = timeline.process(writeOf(event));
  expect(processed.duplicate).toBe(false);
  return processed;
}

function ids(findings: Finding[]): string[] {
  return findings.map((f) => f.id);
}

function findingOf(processed: ProcessedWrite, findingId: string): Finding {
  const found = processed.classification.findings.find((f) => f.id === findingId);
  if (!found) throw new Error(`no ${findingId} in ${ids(processed.classification.findings).join(", ")}`);
  return found;
}

const developer = roleEntry(ARN.developer, "developer:{{SessionName}}", ["view-only"]);

describe("every verb and patch type", () => {
  it("update (kubectl replace) adding a role: routine, the diff names it", () => {
    const p = process(
      timelineWith(),
      updateEvent({
        auditID: id(),
        identity: IDENTITY.ssoAdmin(),
        requestURI: REPLACE_URI,
        data: withRoles(goodData(), developer),
        resourceVersion: "205",
      }),
    );
    expect(p.classification.class).toBe("routine");
    expect(p.classification.findings).toEqual([]);
    expect(p.classification.diff?.roles.added.map((r) => r.rolearn)).toEqual([ARN.developer]);
    expect(p.record?.kind).toBe("version");
  });

  it("patch as a JSON patch (array) adding a role: routine", () => {
    const before = goodData();
    const event = jsonPatchEvent({
      auditID: id(),
      data: withRoles(before, developer),
      before,
      resourceVersion: "205",
    });
    expect(Array.isArray(event.requestObject)).toBe(true);
    const p = process(timelineWith(), event);
    expect(p.write.patchKind).toBe("json-patch");
    expect(p.classification.class).toBe("routine");
  });

  it("patch as a merge patch deleting mapUsers (null): routine while another system:masters remains", () => {
    const before = goodData();
    const { mapUsers: _removed, ...after } = before;
    const event = mergePatchEvent({
      auditID: id(),
      identity: IDENTITY.ssoAdmin(),
      data: after,
      before,
      resourceVersion: "205",
    });
    expect(event.requestObject).toEqual({ data: { mapUsers: null } });
    const p = process(timelineWith(), event);
    expect(p.classification.class).toBe("routine");
    expect(p.classification.diff?.users.removed.map((u) => u.userarn)).toEqual([ARN.breakglass]);
  });

  it("patch as a strategic merge patch granting system:masters (the recorded escalation): dangerous", () => {
    // The recorded s06 patch after its recorded predecessor (s05's response, rv 206).
    const s05 = labEvent(LAB_FILES.ssoEditPatch, "patch");
    const timeline = timelineWith((s05.responseObject as { data: Record<string, string> }).data, "206");
    const p = process(timeline, labEvent(LAB_FILES.escalationPatch, "patch"));
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["masters-granted"]);
    expect(findingOf(p, "masters-granted").entries).toEqual([
      `arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug`,
    ]);
  });

  it("patch as server-side apply adding a role: routine", () => {
    const p = process(
      timelineWith(),
      applyEvent({ auditID: id(), data: withRoles(goodData(), developer), resourceVersion: "205" }),
    );
    expect(p.write.patchKind).toBe("apply");
    expect(p.classification.class).toBe("routine");
  });

  it("create logged at Metadata (no body): unverified, and it says why", () => {
    const p = process(new Timeline("prod-eu", POLICY), createEvent({ auditID: id() }));
    expect(p.classification.class).toBe("unverified");
    expect(p.record?.kind).toBe("unverified");
    expect(findingOf(p, "content-unknown").message).toContain(
      "EKS logs creates of aws-auth at Metadata level",
    );
  });

  it("delete: dangerous, a tombstone, the diff lists every mapping lost", () => {
    const p = process(timelineWith(), deleteEvent({ auditID: id() }));
    expect(p.classification.class).toBe("dangerous");
    expect(p.record?.kind).toBe("tombstone");
    expect(ids(p.classification.findings)).toEqual(["aws-auth-deleted"]);
    expect(findingOf(p, "aws-auth-deleted").message).toContain("with a direct delete");
    expect(p.classification.diff?.roles.removed).toHaveLength(3);
    expect(p.classification.diff?.users.removed).toHaveLength(1);
  });

  it("deletecollection of configmaps in kube-system: dangerous, and a selector is not called 'every ConfigMap'", () => {
    const all = process(timelineWith(), deleteCollectionEvent({ auditID: id() }));
    expect(all.classification.class).toBe("dangerous");
    expect(all.record?.kind).toBe("tombstone");
    expect(findingOf(all, "aws-auth-deleted").message).toContain(
      "by deleting every ConfigMap in kube-system",
    );
    const selected = process(
      timelineWith(),
      deleteCollectionEvent({ auditID: id(), query: "labelSelector=app%3Ddemo" }),
    );
    expect(selected.classification.class).toBe("dangerous");
    const message = findingOf(selected, "aws-auth-deleted").message;
    expect(message).toContain("if it matched labelSelector=app=demo");
    expect(message).not.toContain("every ConfigMap");
  });
});

describe("the recorded incident, step by step", () => {
  const captured = () => JSON.parse(readFileSync(CAPTURED, "utf8"));

  it("eks:node-manager drops the Fargate mapping: aws-internal, with a finding to expect it back", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    timeline.capture(captured(), "after create", "2026-11-22T13:03:50Z");
    const p = process(timeline, labEvent(LAB_FILES.nodeManagerUpdate, "update"));
    expect(p.classification.class).toBe("aws-internal");
    expect(ids(p.classification.findings)).toEqual(["aws-internal-node-mapping-dropped"]);
    const finding = findingOf(p, "aws-internal-node-mapping-dropped");
    expect(finding.message).toMatch(/Fargate pod-execution role .*re-adds it on its own/);
    expect(finding.entries).toEqual([ARN.fargate]);
    expect(shouldAlert(p.classification.class, p.classification.findings, POLICY)).toBe(false);

    const back = process(timeline, labEvent(LAB_FILES.fargateManagerUpdate, "update"));
    expect(back.classification.class).toBe("aws-internal");
    expect(ids(back.classification.findings)).toEqual(["aws-internal-node-mapping-added"]);

    const terraform = process(timeline, labEvent(LAB_FILES.terraformJsonPatch, "patch"));
    expect(terraform.classification.class).toBe("cosmetic");
    expect(terraform.classification.findings).toEqual([]);
  });

  it("eks:fargate-manager dropping the Fargate mapping is aws-internal as well", () => {
    const timeline = timelineWith();
    const p = process(
      timeline,
      updateEvent({
        auditID: id(),
        identity: IDENTITY.fargateManager(),
        data: nodeManagerData(),
        resourceVersion: "205",
      }),
    );
    expect(p.classification.class).toBe("aws-internal");
    expect(ids(p.classification.findings)).toEqual(["aws-internal-node-mapping-dropped"]);
  });

  it("the same drop by a human is dangerous: node-role-lost", () => {
    const event = actingAs(labEvent(LAB_FILES.nodeManagerUpdate, "update"), IDENTITY.ssoAdmin());
    const timeline = new Timeline("prod-eu", POLICY);
    timeline.capture(captured(), "after create", "2026-11-22T13:03:50Z");
    const p = process(timeline, event);
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["node-role-lost"]);
    expect(findingOf(p, "node-role-lost").message).toContain(
      `Fargate pod-execution role ${ARN.fargate}: its mapping is gone`,
    );
  });

  it("the EKS manager touching more than node mappings is judged like anyone", () => {
    // eks:node-manager removing the SSO administrator role (not a node mapping), breakglass remains.
    const after = withoutRoles(goodData(), "AWSReservedSSO");
    const p = process(
      timelineWith(),
      updateEvent({ auditID: id(), identity: IDENTITY.nodeManager(), data: after, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("routine");
    expect(p.classification.diff?.roles.removed.map((r) => r.rolearn)).toEqual([ARN.ssoAdmin]);
  });

  it("a genuine EKS manager with the cluster's account unknown: still aws-internal, says it could not check", () => {
    const timeline = timelineWith(goodData(), "204", makePolicy());
    const p = process(
      timeline,
      updateEvent({
        auditID: id(),
        identity: IDENTITY.nodeManager(),
        data: nodeManagerData(),
        resourceVersion: "205",
      }),
    );
    expect(p.classification.class).toBe("aws-internal");
    expect(ids(p.classification.findings)).toEqual([
      "aws-internal-account-unverified",
      "aws-internal-node-mapping-dropped",
    ]);
  });
});

describe("EKS identities", () => {
  it("eks:node-manager on a role of the cluster's own account writing aws-auth: dangerous, eks-identity-impersonation", () => {
    const impostor = asRole(IDENTITY.nodeManager(), "cluster-automation", CLUSTER_ACCOUNT);
    const p = process(
      timelineWith(),
      updateEvent({ auditID: id(), identity: impostor, data: nodeManagerData(), resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["eks-identity-impersonation", "node-role-lost"]);
    expect(findingOf(p, "eks-identity-impersonation")).toMatchObject({
      severity: "critical",
      entries: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/cluster-automation`],
    });
  });

  it("even a role named like EKS's manager role is an impostor in the cluster's own account", () => {
    const lookalike = asRole(
      IDENTITY.nodeManager(),
      "AWSWesleyClusterManagerLambda-NodeManagerRole-1W15HHFYBJTFL",
      CLUSTER_ACCOUNT,
    );
    const p = process(
      timelineWith(),
      updateEvent({ auditID: id(), identity: lookalike, data: goodData(), resourceVersion: "205" }),
    );
    // Even a write that changes nothing is dangerous when the writer is an impostor.
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["eks-identity-impersonation"]);
  });

  it("mapping a role of the cluster's account to eks:node-manager: dangerous, eks-username-mapped", () => {
    const before = goodData();
    const after = withRoles(before, roleEntry(ARN.automation, "eks:node-manager", []));
    const p = process(
      timelineWith(),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["eks-username-mapped"]);
    expect(findingOf(p, "eks-username-mapped").entries).toEqual([ARN.automation]);
  });
});

describe("system:masters", () => {
  it("a duplicate ARN (other case) that shadows an entry and grants masters: dangerous, masters-granted", () => {
    const before = withRoles(goodData(), developer);
    const after = withRoles(
      before,
      roleEntry(ARN.developerOtherCase, "developer:{{SessionName}}", ["system:masters"]),
    );
    const p = process(
      timelineWith(before),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["masters-granted", "duplicate-entry"]);
    expect(findingOf(p, "duplicate-entry").severity).toBe("medium");
  });

  it("a duplicate ARN that shadows the last system:masters entry with other groups: dangerous, last-masters-removed", () => {
    const { mapUsers: _gone, ...onlySso } = goodData();
    const shadow = roleEntry(
      ARN.ssoAdmin.replace("AWSReserved", "awsreserved"),
      "sso-admin:{{SessionName}}",
      ["view-only"],
    );
    const after = withRoles(onlySso, shadow);
    const p = process(
      timelineWith(onlySso),
      editEvent({ auditID: id(), data: after, before: onlySso, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["last-masters-removed", "duplicate-entry"]);
    expect(findingOf(p, "last-masters-removed").entries).toEqual([ARN.ssoAdmin]);
  });

  it("changing an existing mapping's groups to include masters: dangerous", () => {
    const before = withRoles(goodData(), developer);
    const after = {
      ...before,
      mapRoles: (before.mapRoles ?? "").replace("- view-only", "- view-only\n    - system:masters"),
    };
    const p = process(
      timelineWith(before),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["masters-granted"]);
  });

  it("removing a masters mapping while another remains is routine", () => {
    const before = goodData();
    const { mapUsers: _gone, ...after } = before;
    const p = process(
      timelineWith(),
      mergePatchEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("routine");
  });
});

describe("content that breaks access", () => {
  it("a role ARN with a path: dangerous, dead-entry-added", () => {
    const before = goodData();
    const after = withRoles(before, roleEntry(ARN.pathRole, "platform-admin", ["system:masters"]));
    const p = process(
      timelineWith(),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["dead-entry-added"]);
    expect(findingOf(p, "dead-entry-added")).toMatchObject({ severity: "high", entries: [ARN.pathRole] });
    expect(findingOf(p, "dead-entry-added").message).toContain("role ARN has a path");
    // The dead entry grants nothing: no masters-granted.
    expect(p.classification.diff?.roles.added).toEqual([]);
  });

  it("malformed YAML in mapRoles: dangerous, section-unparseable counting the node roles in it", () => {
    const before = goodData();
    const after = withRoles(
      before,
      "- rolearn: arn:aws:iam::012345678901:role/ops\n  username: {{SessionName}}\n",
    );
    const p = process(
      timelineWith(),
      updateEvent({ auditID: id(), identity: IDENTITY.terraform(), data: after, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual([
      "section-unparseable",
      "node-role-lost",
      "node-role-lost",
    ]);
    expect(findingOf(p, "section-unparseable").message).toContain(
      "all 3 mappings in it, node roles included",
    );
    expect(p.classification.diff?.sections).toEqual([
      expect.objectContaining({ name: "mapRoles", before: "parsed", after: "unparseable" }),
    ]);
  });

  it("a tab-indented mapRoles (a YAML syntax error) is unparseable too", () => {
    const before = goodData();
    const after = {
      ...before,
      mapRoles: (before.mapRoles ?? "").replace('  - "system:nodes"', '\t- "system:nodes"'),
    };
    const p = process(
      timelineWith(),
      jsonPatchEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)[0]).toBe("section-unparseable");
  });

  it("a node role losing system:nodes: dangerous, node-role-lost", () => {
    const before = goodData();
    const after = {
      ...before,
      mapRoles: (before.mapRoles ?? "").replace(
        '  - "system:nodes"\n  "rolearn": "arn:aws:iam::012345678901:role/my-node-role"',
        '  "rolearn": "arn:aws:iam::012345678901:role/my-node-role"',
      ),
    };
    const p = process(
      timelineWith(),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["node-role-lost"]);
    expect(findingOf(p, "node-role-lost").message).toBe(
      `node role ${ARN.node}: it lost system:nodes; its nodes cannot join or renew their credentials.`,
    );
  });

  it("a node role losing its username template: dangerous, node-role-lost", () => {
    const before = goodData();
    const after = {
      ...before,
      mapRoles: (before.mapRoles ?? "").replace("system:node:{{EC2PrivateDNSName}}", "system:node:worker"),
    };
    const p = process(
      timelineWith(),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(findingOf(p, "node-role-lost").message).toContain(
      "its username changed from system:node:{{EC2PrivateDNSName}} to system:node:worker",
    );
  });

  it("an extra node role named in the policy is protected even without node groups", () => {
    const before = withRoles(
      goodData(),
      roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/Karpenter-Node`, "karpenter", ["karpenter:nodes"]),
    );
    const policy = makePolicy({
      clusterAccount: CLUSTER_ACCOUNT,
      extraNodeRoleArns: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/Karpenter-Node`],
    });
    const p = process(
      timelineWith(before, "204", policy),
      editEvent({ auditID: id(), data: goodData(), before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["node-role-lost"]);
  });

  it("mapAccounts added: dangerous, map-accounts-added", () => {
    const before = goodData();
    const after = { ...before, mapAccounts: '- "111122223333"\n' };
    const p = process(
      timelineWith(),
      jsonPatchEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["map-accounts-added"]);
    expect(findingOf(p, "map-accounts-added").entries).toEqual(["111122223333"]);
  });

  it("a principal of a foreign account: dangerous, foreign-account-access", () => {
    const before = goodData();
    const partner = "arn:aws:iam::999988887777:role/partner-support";
    const after = withRoles(before, roleEntry(partner, "partner", ["view-only"]));
    const p = process(
      timelineWith(),
      editEvent({ auditID: id(), data: after, before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["foreign-account-access"]);
    expect(findingOf(p, "foreign-account-access").message).toContain(
      "belongs to account 999988887777, not the cluster's 012345678901",
    );
  });
});

describe("writers", () => {
  const trusted = makePolicy({
    clusterAccount: CLUSTER_ACCOUNT,
    trustedWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/terraform-*`],
    guardianWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/aws-auth-guardian-*`],
  });

  it("an untrusted writer when trusted writers are configured: dangerous, untrusted-writer", () => {
    const before = goodData();
    const p = process(
      timelineWith(before, "204", trusted),
      editEvent({ auditID: id(), data: withRoles(before, developer), before, resourceVersion: "205" }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["untrusted-writer"]);
  });

  it("a trusted writer and EKS's own managers are not untrusted", () => {
    const before = goodData();
    const timeline = timelineWith(before, "204", trusted);
    const tf = process(
      timeline,
      jsonPatchEvent({ auditID: id(), data: withRoles(before, developer), before, resourceVersion: "205" }),
    );
    expect(tf.classification.class).toBe("routine");
    const eks = process(
      timeline,
      updateEvent({
        auditID: id(),
        identity: IDENTITY.nodeManager(),
        data: withRoles(nodeManagerData(), developer),
        resourceVersion: "206",
      }),
    );
    expect(eks.classification.class).toBe("aws-internal");
  });

  it("the guardian's own role restoring the last good version: routine, and no alert", () => {
    const timeline = timelineWith(goodData(), "204", trusted);
    const damage = process(timeline, deleteEvent({ auditID: id() }));
    expect(damage.classification.class).toBe("dangerous");
    const guardian = asRole(
      IDENTITY.terraform(),
      "aws-auth-guardian-restorer",
      CLUSTER_ACCOUNT,
      "aws-auth-guardian",
    );
    const restore = process(
      timeline,
      applyEvent({
        auditID: id(),
        identity: guardian,
        data: goodData(),
        resourceVersion: "301",
        creates: true,
      }),
    );
    expect(restore.classification.class).toBe("routine");
    expect(ids(restore.classification.findings)).toEqual(["guardian-write", "restores-last-good"]);
    expect(shouldAlert(restore.classification.class, restore.classification.findings, trusted)).toBe(false);
  });

  it("a create by an untrusted writer is dangerous even without content", () => {
    const p = process(
      new Timeline("prod-eu", trusted),
      createEvent({ auditID: id(), identity: IDENTITY.ciRunner() }),
    );
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["untrusted-writer", "content-unknown"]);
  });
});

describe("writes that change nothing stored", () => {
  it("403: rejected with forbidden-attempt; nothing recorded", () => {
    const timeline = timelineWith();
    const p = process(timeline, labEvent(LAB_FILES.forbiddenPatch, "patch"));
    expect(p.classification.class).toBe("rejected");
    expect(p.classification.recordKind).toBe("none");
    expect(p.record).toBeUndefined();
    expect(findingOf(p, "forbidden-attempt")).toMatchObject({
      severity: "medium",
      entries: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/eks-readonly`],
    });
    expect(timeline.all()).toHaveLength(1);
  });

  it("409: rejected with write-rejected; nothing recorded", () => {
    const timeline = timelineWith();
    const event = refused(
      updateEvent({
        auditID: id(),
        identity: IDENTITY.terraform(),
        data: withRoles(goodData(), developer),
        resourceVersion: "205",
      }),
      409,
      'Operation cannot be fulfilled on configmaps "aws-auth": the object has been modified',
    );
    const p = process(timeline, event);
    expect(p.classification.class).toBe("rejected");
    expect(ids(p.classification.findings)).toEqual(["write-rejected"]);
    expect(p.classification.findings[0]?.message).toContain(
      "refused this update with 409 (Operation cannot be fulfilled",
    );
    expect(timeline.all()).toHaveLength(1);
  });

  it("a dry run granting masters: dry-run, nothing stored, later writes compare with the real version", () => {
    const timeline = timelineWith();
    const before = goodData();
    const escalation = withRoles(
      before,
      roleEntry(`arn:aws:iam::${CLUSTER_ACCOUNT}:role/contractor-debug`, "contractor-debug", [
        "system:masters",
      ]),
    );
    const p = process(
      timeline,
      dryRun(strategicMergeEvent({ auditID: id(), data: escalation, before, resourceVersion: "204" })),
    );
    expect(p.classification.class).toBe("dry-run");
    expect(ids(p.classification.findings)).toEqual(["dry-run"]);
    expect(p.record).toBeUndefined();
    expect(timeline.all()).toHaveLength(1);
    const real = process(
      timeline,
      strategicMergeEvent({ auditID: id(), data: escalation, before, resourceVersion: "205" }),
    );
    expect(real.classification.class).toBe("dangerous");
  });

  it("an identical PUT that leaves the resourceVersion unchanged: cosmetic, compared with that version", () => {
    const timeline = timelineWith();
    const p = process(
      timeline,
      updateEvent({
        auditID: id(),
        identity: IDENTITY.terraform(),
        data: goodData(),
        resourceVersion: "204",
        basedOn: "204",
      }),
    );
    expect(p.classification.class).toBe("cosmetic");
    expect(p.history.base?.resourceVersion).toBe("204");
    expect(p.history.base?.capture).toBeDefined();
  });

  it("a no-op write after damage is cosmetic, not a restore", () => {
    const timeline = timelineWith();
    const before = goodData();
    const escalation = withRoles(before, roleEntry(ARN.developer, "dev", ["system:masters"]));
    process(timeline, editEvent({ auditID: id(), data: escalation, before, resourceVersion: "205" }));
    const p = process(
      timeline,
      updateEvent({
        auditID: id(),
        identity: IDENTITY.terraform(),
        data: escalation,
        resourceVersion: "205",
        basedOn: "205",
      }),
    );
    expect(p.classification.class).toBe("cosmetic");
  });
});

describe("content the event does not carry", () => {
  it("a message CloudWatch cut off: unverified, and it says it was truncated", () => {
    const event = updateEvent({
      auditID: id(),
      identity: IDENTITY.terraform(),
      data: goodData(),
      resourceVersion: "205",
    });
    const triage = triageTruncatedMessage(cutOff(event, 2048));
    if (triage.kind !== "write") throw new Error(JSON.stringify(triage));
    const p = timelineWith().process(triage.write);
    expect(p.classification.class).toBe("unverified");
    expect(findingOf(p, "content-unknown").message).toContain("the event was truncated");
  });

  it("an event the backend truncated: unverified", () => {
    const p = process(
      timelineWith(),
      backendTruncated(
        updateEvent({
          auditID: id(),
          identity: IDENTITY.terraform(),
          data: goodData(),
          resourceVersion: "205",
        }),
      ),
    );
    expect(p.classification.class).toBe("unverified");
    expect(p.record?.kind).toBe("unverified");
  });

  it("an event flagged truncated is not trusted even if a response body is present", () => {
    const event = updateEvent({
      auditID: id(),
      identity: IDENTITY.terraform(),
      data: goodData(),
      resourceVersion: "205",
    });
    event.annotations = { ...event.annotations, "audit.k8s.io/truncated": "true" };
    const p = process(timelineWith(), event);
    expect(p.write.stored).toBeDefined();
    expect(p.classification.class).toBe("unverified");
  });

  it("a capture after an unverified create says which write it explains", () => {
    const timeline = new Timeline("prod-eu", POLICY);
    process(timeline, createEvent({ auditID: id() }));
    const { classification } = timeline.capture(
      asConfigMapObject(configMapWith(goodData(), "201")),
      "content of the create",
      "2026-11-22T13:03:50Z",
    );
    expect(classification.class).toBe("routine");
    expect(ids(classification.findings)).toEqual(["baseline", "captures-unverified-write"]);
  });

  it("a capture that differs from the last version with no write to explain it: dangerous, unrecorded-change", () => {
    const timeline = timelineWith();
    const { classification } = timeline.capture(
      asConfigMapObject(configMapWith(withRoles(goodData(), developer), "250")),
      "scheduled verify",
      "2026-11-22T15:00:00Z",
    );
    expect(classification.class).toBe("dangerous");
    expect(ids(classification.findings)).toEqual(["unrecorded-change"]);
  });
});

describe("history: deletion, re-creation, restores", () => {
  it("a re-creation after a deletion is compared with the last version before the deletion", () => {
    const timeline = timelineWith();
    process(timeline, deleteEvent({ auditID: id() }));
    const escalated = withRoles(goodData(), roleEntry(ARN.developer, "dev", ["system:masters"]));
    const p = process(
      timeline,
      applyEvent({ auditID: id(), data: escalated, resourceVersion: "301", creates: true }),
    );
    expect(p.history.previous?.kind).toBe("tombstone");
    expect(p.history.base?.resourceVersion).toBe("204");
    expect(p.classification.class).toBe("dangerous");
    expect(ids(p.classification.findings)).toEqual(["masters-granted", "compared-with-last-known"]);
  });

  it("re-creating exactly what was deleted is a restore of the last good version: routine", () => {
    const timeline = timelineWith();
    process(timeline, deleteCollectionEvent({ auditID: id(), at: "2026-11-22T14:00:00" }));
    const p = process(
      timeline,
      applyEvent({
        auditID: id(),
        data: goodData(),
        resourceVersion: "301",
        creates: true,
        at: "2026-11-22T14:01:00",
      }),
    );
    expect(p.classification.class).toBe("routine");
    expect(ids(p.classification.findings)).toEqual(["restores-last-good"]);
    expect(findingOf(p, "restores-last-good").entries).toEqual([timeline.all()[0]?.id]);
  });

  it("restoring the last good version after damage is routine, whatever it re-grants", () => {
    const timeline = timelineWith();
    const good = goodData();
    const { mapUsers: _u, ...noUsers } = good;
    const damaged = {
      ...noUsers,
      mapRoles: (good.mapRoles ?? "").replace('- "system:masters"', '- "view-only"'),
    };
    const damage = process(
      timeline,
      editEvent({ auditID: id(), data: damaged, before: good, resourceVersion: "205" }),
    );
    expect(damage.classification.class).toBe("dangerous");
    expect(ids(damage.classification.findings)).toEqual(["last-masters-removed"]);
    const restore = process(
      timeline,
      jsonPatchEvent({ auditID: id(), data: good, before: damaged, resourceVersion: "206" }),
    );
    expect(restore.classification.class).toBe("routine");
    expect(ids(restore.classification.findings)).toEqual(["restores-last-good"]);
    // It re-grants system:masters to two principals, and says which version it restored.
    expect(restore.classification.diff?.users.added).toHaveLength(1);
    expect(restore.classification.diff?.roles.changed).toHaveLength(1);
    expect(findingOf(restore, "restores-last-good").message).toContain(timeline.all()[0]?.id);
  });

  it("re-granting masters that an earlier routine change removed is dangerous", () => {
    const timeline = timelineWith();
    const good = goodData();
    const { mapUsers: _u, ...noUsers } = good;
    const removal = process(
      timeline,
      mergePatchEvent({ auditID: id(), data: noUsers, before: good, resourceVersion: "205" }),
    );
    expect(removal.classification.class).toBe("routine");
    const regrant = process(
      timeline,
      mergePatchEvent({ auditID: id(), data: good, before: noUsers, resourceVersion: "206" }),
    );
    expect(regrant.classification.class).toBe("dangerous");
    expect(ids(regrant.classification.findings)).toEqual(["masters-granted"]);
  });
});

describe("exactly one class", () => {
  it("classifyWrite is total: every class comes out, each write gets one", () => {
    const seen = new Set<string>();
    const timeline = new Timeline("prod-eu", POLICY);
    const events: Array<AuditEventJson | string> = [
      createEvent({ auditID: id() }),
      ...[LAB_FILES.nodeManagerUpdate, LAB_FILES.fargateManagerUpdate].map((f) => labEvent(f, "update")),
      labEvent(LAB_FILES.terraformJsonPatch, "patch"),
      labEvent(LAB_FILES.ssoEditPatch, "patch"),
      labEvent(LAB_FILES.escalationPatch, "patch"),
      labEvent(LAB_FILES.forbiddenPatch, "patch"),
      dryRun(labEvent(LAB_FILES.escalationPatch, "patch")),
    ];
    timeline.capture(JSON.parse(readFileSync(CAPTURED, "utf8")), "after create", "2026-11-22T13:03:50Z");
    for (const [i, event] of events.entries()) {
      if (typeof event !== "string") event.auditID = derivedAuditID(900 + i);
      seen.add(process(timeline, event).classification.class);
    }
    expect([...seen].sort()).toEqual([...WRITE_CLASSES].sort());
  });

  it("overallSeverity is the worst finding's, info when there is none", () => {
    const write = writeOf(labEvent(LAB_FILES.delete, "delete"));
    expect(overallSeverity(classifyWrite(write, {}, POLICY).findings)).toBe("critical");
    expect(overallSeverity([])).toBe("info");
  });

  it("alerts by default on dangerous, routine and unverified; not on cosmetic, aws-internal, rejected, dry-run", () => {
    const alerting = WRITE_CLASSES.filter((c) => shouldAlert(c, [], POLICY));
    expect(alerting).toEqual(["routine", "dangerous", "unverified"]);
    const loud = makePolicy({ alertMinSeverity: "medium" });
    expect(
      shouldAlert("rejected", [{ id: "forbidden-attempt", severity: "medium", message: "x" }], loud),
    ).toBe(true);
  });
});
