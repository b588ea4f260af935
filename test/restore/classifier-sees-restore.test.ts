import { describe, expect, it } from "vitest";
import { triageAuditEvent } from "../../lambda/core/audit-event.js";
import { processWrite } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { executeRestore } from "../../lambda/restore/restore.js";
import { asRole, CLUSTER_ACCOUNT, IDENTITY, updateEvent } from "../support/events.js";
import { awsAuth, CLUSTER, CollectingNotifier, ESCALATED_DATA, GOOD_DATA, type Rig } from "./fixtures.js";
import { rigForEachTest } from "./rig-hooks.js";

const GUARDIAN_ROLE = "aws-auth-guardian-cluster-access";

describe("the guardian's own restore, as the classifier sees its audit event", () => {
  let rig: Rig;
  rigForEachTest((started) => {
    rig = started;
  });

  it("is routine (restores-last-good, guardian-write) and sends no alert", async () => {
    // Prepare: good baseline, a dangerous change, then the guardian's restore over it.
    rig.server.seed(awsAuth(GOOD_DATA));
    const good = await rig.capture("baseline");
    rig.server.seed(awsAuth(ESCALATED_DATA));
    await rig.capture("drift");
    const restored = await executeRestore(
      { client: rig.client, store: rig.store, notifier: rig.notifier, now: () => new Date() },
      { cluster: CLUSTER },
    );
    const written = rig.server.object();
    const event = updateEvent({
      auditID: "7f0c2a9e-1111-4c5d-9e8f-000000000001",
      data: written?.data ?? {},
      resourceVersion: restored.resourceVersionWritten ?? "",
      identity: asRole(IDENTITY.terraform(), GUARDIAN_ROLE, CLUSTER_ACCOUNT, "aws-auth-guardian"),
    });
    const triaged = triageAuditEvent(event);
    if (triaged.kind !== "write") throw new Error(`not a write: ${JSON.stringify(triaged)}`);
    const notifier = new CollectingNotifier();
    const policy = makePolicy({
      clusterAccount: CLUSTER_ACCOUNT,
      guardianWriters: [`arn:aws:iam::${CLUSTER_ACCOUNT}:role/${GUARDIAN_ROLE}`],
    });

    // Act
    const outcome = await processWrite({ ...rig.pipeline, notifier, policy }, CLUSTER, triaged.write);

    // Assess
    expect(restored.outcome).toBe("restored");
    expect(outcome).toMatchObject({ class: "routine", alerted: false });
    const record = await rig.store.getRecord(CLUSTER, outcome.recordId ?? "");
    expect(record?.findings.map((f) => f.id)).toEqual(["guardian-write", "restores-last-good"]);
    expect(record?.findings.find((f) => f.id === "restores-last-good")?.entries).toEqual([good.id]);
    expect(notifier.alerts).toEqual([]);
    expect((await rig.store.getPointer(CLUSTER, "last-good"))?.id).toBe(outcome.recordId);
  });
});
