/**
 * A version that is not dangerous against its predecessor can still carry an earlier dangerous
 * change: EKS's node-manager rewriting aws-auth right after an escalation keeps the escalated role.
 * Such a version must never be offered, or accepted, as the "last good" one.
 */
import { describe, expect, it } from "vitest";
import { triageAuditEvent } from "../../lambda/core/audit-event.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { planRestore } from "../../lambda/core/restore-plan.js";
import { Timeline } from "../../lambda/core/timeline.js";
import {
  CLUSTER_ACCOUNT,
  IDENTITY,
  LAB_FILES,
  labEvent,
  roleEntry,
  updateEvent,
  withRoles,
} from "../support/events.js";

function write(event: unknown) {
  const triage = triageAuditEvent(event);
  if (triage.kind !== "write") throw new Error(`not a write: ${triage.kind}`);
  return triage.write;
}

function escalatedTimeline() {
  const timeline = new Timeline("demo", makePolicy({ clusterAccount: CLUSTER_ACCOUNT }));
  const developer = labEvent(LAB_FILES.ssoEditPatch, "patch");
  const escalation = labEvent(LAB_FILES.escalationPatch, "patch");
  const good = timeline.process(write(developer));
  const bad = timeline.process(write(escalation));
  // eks:node-manager rewrites the escalated content (rv 209), touching nothing but quoting.
  const rewrite = timeline.process(
    write(
      updateEvent({
        auditID: "rewrite-209",
        identity: IDENTITY.nodeManager(),
        data: (escalation.responseObject as { data: Record<string, string> }).data,
        resourceVersion: "209",
      }),
    ),
  );
  return { timeline, good, bad, rewrite };
}

describe("versions that carry an earlier dangerous change", () => {
  it("an EKS rewrite after an escalation is aws-internal but not good", () => {
    // Prepare / Act
    const { rewrite } = escalatedTimeline();

    // Assess
    expect(rewrite.classification.class).toBe("aws-internal");
    expect(rewrite.record?.good).toBe(false);
    const carried = rewrite.classification.findings.find((f) => f.id === "carries-dangerous-change");
    expect(carried?.message).toContain("contractor-debug");
    expect(carried?.severity).toBe("low");
  });

  it("a deletion after it points the restore at the version before the escalation", () => {
    // Prepare
    const { timeline, good } = escalatedTimeline();

    // Act
    const deletion = timeline.process(write(labEvent(LAB_FILES.delete, "delete")));

    // Assess
    expect(deletion.classification.class).toBe("dangerous");
    expect(deletion.history.lastGood?.id).toBe(good.record?.id);
    expect(timeline.lastGood()?.id).toBe(good.record?.id);
  });

  it("the restore planner refuses such a version unless forced", () => {
    // Prepare
    const { rewrite, good } = escalatedTimeline();
    const target = rewrite.record;
    if (!target?.configMap || !good.record?.configMap) throw new Error("fixture");

    // Act
    const refused = planRestore(target, good.record.configMap, { force: false, dryRun: true });
    const forced = planRestore(target, good.record.configMap, { force: true, dryRun: true });

    // Assess
    expect(refused.reasons.map((r) => r.id)).toContain("target-carries-dangerous-change");
    expect(refused.refusal?.join(" ")).toContain("still carries a dangerous change");
    expect(forced.refusal).toBeUndefined();
    expect(forced.overridden.join(" ")).toContain("still carries a dangerous change");
  });

  it("undoing the damage makes the next version good again", () => {
    // Prepare
    const { timeline, good } = escalatedTimeline();
    const data = good.record?.configMap?.data ?? {};

    // Act
    const undo = timeline.process(
      write(
        updateEvent({ auditID: "undo-210", identity: IDENTITY.ssoAdmin(), data, resourceVersion: "210" }),
      ),
    );

    // Assess
    expect(undo.classification.class).toBe("routine");
    expect(undo.classification.findings.map((f) => f.id)).toContain("restores-last-good");
    expect(undo.record?.good).toBeUndefined();
    expect(timeline.lastGood()?.id).toBe(undo.record?.id);
  });

  it("a write that puts the last good mappings back but adds a dead entry is still judged on it", () => {
    // Prepare
    const { timeline, good } = escalatedTimeline();
    const pathRole =
      "arn:aws:iam::012345678901:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Dev_0123";
    const data = withRoles(good.record?.configMap?.data ?? {}, roleEntry(pathRole, "dev", ["view-only"]));

    // Act
    const undo = timeline.process(
      write(
        updateEvent({
          auditID: "undo-dead-210",
          identity: IDENTITY.ssoAdmin(),
          data,
          resourceVersion: "210",
        }),
      ),
    );

    // Assess
    expect(undo.classification.class).toBe("dangerous");
    expect(undo.classification.findings.map((f) => f.id)).toEqual(
      expect.arrayContaining(["restores-last-good", "dead-entry-added"]),
    );
  });

  it("a write that arrives after a later one was filed takes its place; the later one is judged again", () => {
    // Prepare: the escalation arrives first, with nothing known before it.
    const timeline = new Timeline("demo", makePolicy({ clusterAccount: CLUSTER_ACCOUNT }));
    const early = timeline.process(write(labEvent(LAB_FILES.escalationPatch, "patch")));

    // Act
    const late = timeline.process(write(labEvent(LAB_FILES.ssoEditPatch, "patch")));

    // Assess
    const [first, second] = timeline.all();
    expect(first?.id).toBe(late.record?.id);
    expect(second?.id).toBe(early.record?.id);
    expect(second?.predecessorId).toBe(first?.id);
    expect(second?.class).toBe("dangerous");
    expect(timeline.lastGood()?.id).toBe(first?.id);
  });
});
