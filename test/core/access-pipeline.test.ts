/**
 * The access pipeline's "what changed" when several calls land before their events are processed: the
 * picture an earlier event's record read already holds the later calls' effects, so a call's "(was …)" must
 * come from a picture read before the call, never from one read after it. In memory, with controlled clocks.
 */
import { describe, expect, it } from "vitest";
import type { AccessEvent } from "../../lambda/core/access-event.js";
import {
  type AccessOutcome,
  captureAccessPicture,
  processAccessEvent,
} from "../../lambda/core/access-pipeline.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { makePolicy } from "../../lambda/core/policy.js";
import type { AccessScope } from "../../lambda/core/ports.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import { MemoryBlobStore, RecordingNotifier } from "../support/memory-store.js";
import { PictureApi } from "../support/picture-api.js";

const ACCOUNT = "111122223333";
const OUTSIDER = "arn:aws:iam::444455556666:role/outsider";
const ADMIN = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy";
const CLUSTER_SCOPE: AccessScope = { type: "cluster", namespaces: [] };

function call(eventID: string, eventTime: string, overrides: Partial<AccessEvent>): AccessEvent {
  return {
    eventID,
    eventName: "AssociateAccessPolicy",
    eventTime,
    region: "us-east-1",
    account: ACCOUNT,
    cluster: "prod",
    actor: { type: "AssumedRole", principalArn: `arn:aws:iam::${ACCOUNT}:role/ci-deployer` },
    principalArn: OUTSIDER,
    ...overrides,
  };
}

function rig() {
  const blobs = new MemoryBlobStore();
  const store = new AccessStore(blobs);
  const notifier = new RecordingNotifier();
  const api = new PictureApi();
  let clock = Date.parse("2026-12-05T09:00:00.000Z");
  const deps = {
    store,
    markers: new SnapshotStore(blobs),
    notifier,
    api,
    policy: makePolicy({ clusterAccount: ACCOUNT }),
    now: () => new Date(clock),
  };
  return {
    deps,
    api,
    notifier,
    at: (iso: string) => {
      clock = Date.parse(iso);
    },
  };
}

const adminLine = (email: string) =>
  email.split("\n").find((l) => l.includes("AmazonEKSClusterAdminPolicy for"));

describe("what an access-entry call changed, when calls land together", () => {
  it("says no '(was …)' for an association whose earlier record was read after it", async () => {
    // Prepare: a baseline, then create + associate within two seconds; both are processed afterwards,
    // and every picture read shows both calls' effect.
    const { deps, api, notifier, at } = rig();
    at("2026-12-05T09:00:00.000Z");
    await captureAccessPicture(deps, "prod", "baseline");
    api.set(OUTSIDER, [{ policyArn: ADMIN, accessScope: CLUSTER_SCOPE }]);
    const create = call("e1", "2026-12-05T09:10:00Z", {
      eventName: "CreateAccessEntry",
      type: "STANDARD",
      kubernetesGroups: [],
    });
    const associate = call("e2", "2026-12-05T09:10:01Z", { policyArn: ADMIN, accessScope: CLUSTER_SCOPE });

    // Act
    at("2026-12-05T09:10:05.000Z");
    const outcomes: AccessOutcome[] = [];
    for (const event of [create, associate]) outcomes.push(await processAccessEvent(deps, event));

    // Assess
    expect(outcomes.map((o) => o.class)).toEqual(["dangerous", "dangerous"]);
    const email = notifier.sent[1]?.email ?? "";
    expect(adminLine(email)?.trim()).toBe(`+ AmazonEKSClusterAdminPolicy for ${OUTSIDER} at cluster scope`);
    const chatbot = JSON.parse(notifier.sent[1]?.chatbot ?? "{}") as { content: { description: string } };
    expect(chatbot.content.description).not.toContain("(was");
  });

  it("still says what the scope was when a picture read before the call shows it", async () => {
    // Prepare: the outsider held admin in one namespace when the baseline was read; then cluster scope.
    const { deps, api, notifier, at } = rig();
    api.set(OUTSIDER, [{ policyArn: ADMIN, accessScope: { type: "namespace", namespaces: ["dev"] } }]);
    at("2026-12-05T09:00:00.000Z");
    await captureAccessPicture(deps, "prod", "baseline");
    api.set(OUTSIDER, [{ policyArn: ADMIN, accessScope: CLUSTER_SCOPE }]);

    // Act
    at("2026-12-05T09:10:03.000Z");
    await processAccessEvent(
      deps,
      call("e3", "2026-12-05T09:10:00Z", { policyArn: ADMIN, accessScope: CLUSTER_SCOPE }),
    );

    // Assess
    expect(adminLine(notifier.sent[0]?.email ?? "")?.trim()).toBe(
      `+ AmazonEKSClusterAdminPolicy for ${OUTSIDER} at cluster scope (was namespaces dev)`,
    );
  });

  it("does not take the scope from a record read in the same second as the call", async () => {
    // Prepare: CloudTrail's time has whole seconds; a picture read at 09:10:00.400 may follow the call.
    const { deps, api, notifier, at } = rig();
    api.set(OUTSIDER, [{ policyArn: ADMIN, accessScope: { type: "namespace", namespaces: ["dev"] } }]);
    at("2026-12-05T09:10:00.400Z");
    await captureAccessPicture(deps, "prod", "baseline");

    // Act
    at("2026-12-05T09:10:03.000Z");
    await processAccessEvent(
      deps,
      call("e4", "2026-12-05T09:10:00Z", { policyArn: ADMIN, accessScope: CLUSTER_SCOPE }),
    );

    // Assess
    expect(adminLine(notifier.sent[0]?.email ?? "")?.trim()).toBe(
      `+ AmazonEKSClusterAdminPolicy for ${OUTSIDER} at cluster scope`,
    );
  });
});
