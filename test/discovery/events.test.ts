/**
 * The discovery function's triggers: custom resource, schedules, queued and direct CloudTrail events.
 */
import type { SQSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import type { DiscoveryConfig } from "../../lambda/discovery/config.js";
import {
  type CloudTrailEksEvent,
  clusterNameOf,
  createHandler,
  DISCOVERY_RESOURCE_ID,
  type DiscoveryEvent,
} from "../../lambda/discovery/events.js";
import { ACCOUNT, FakeAws, REGION } from "./fake-aws.js";

const CONFIG: DiscoveryConfig = {
  clusters: "*",
  classifierArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:guardian-classifier`,
  filterName: "aws-auth-guardian",
  accessEntries: "create",
  clusterAccessRoleArn: `arn:aws:iam::${ACCOUNT}:role/guardian-cluster-access`,
  accessPolicyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSEditPolicy",
  clusterAccessFunctionName: "guardian-cluster-access",
  topicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:guardian-alerts`,
  maxEventAttempts: 3,
};

const silent = { info: () => {}, warn: () => {} };

/** An EventBridge "AWS API Call via CloudTrail" event as EKS emits it (fields discovery does not read omitted). */
function cloudTrail(
  eventName: string,
  name: string,
  extra: Record<string, unknown> = {},
): CloudTrailEksEvent {
  return {
    "detail-type": "AWS API Call via CloudTrail",
    source: "aws.eks",
    detail: {
      eventName,
      requestParameters: { name },
      ...(eventName === "CreateCluster" ? { responseElements: { cluster: { name } } } : {}),
      ...extra,
    },
  };
}

function queued(event: unknown, receiveCount: number, messageId = "m-1"): SQSEvent {
  return {
    Records: [
      {
        messageId,
        receiptHandle: "r",
        body: JSON.stringify(event),
        attributes: {
          ApproximateReceiveCount: String(receiveCount),
          SentTimestamp: "0",
          SenderId: "events",
          ApproximateFirstReceiveTimestamp: "0",
        },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:cluster-events`,
        awsRegion: REGION,
      },
    ],
  };
}

describe("custom resource", () => {
  it("discovers at Create with a constant physical id, so that updates never replace (delete) it", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod").addCluster("legacy", { mode: "CONFIG_MAP" });
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const created = await handler({ RequestType: "Create", ResourceProperties: {} });
    const updated = await handler({ RequestType: "Update", PhysicalResourceId: DISCOVERY_RESOURCE_ID });

    // Assess
    expect(created).toEqual({
      PhysicalResourceId: "aws-auth-guardian-discovery",
      Data: { Guarded: 2, Unguarded: 0, Alerted: 1 },
    });
    expect(updated).toMatchObject({ PhysicalResourceId: "aws-auth-guardian-discovery" });
    // Deploy runs take a baseline of every guarded cluster, each time.
    expect(aws.invocations().map((i) => i.payload)).toEqual(
      expect.arrayContaining([
        { action: "capture", cluster: "prod", reason: "baseline" },
        { action: "capture", cluster: "legacy", reason: "baseline" },
      ]),
    );
    expect(aws.invocations()).toHaveLength(4);
  });

  it("removes the guardian's filters and access entries at Delete", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    const handler = createHandler(CONFIG, aws.clients(), silent);
    await handler({ RequestType: "Create" });

    // Act
    const deleted = await handler({ RequestType: "Delete", PhysicalResourceId: DISCOVERY_RESOURCE_ID });

    // Assess
    expect(deleted).toEqual({ PhysicalResourceId: DISCOVERY_RESOURCE_ID, Data: { CleanupErrors: 0 } });
    expect(aws.logGroups.get("/aws/eks/prod/cluster")).toEqual([]);
    expect(aws.accessEntries.size).toBe(0);
  });
});

describe("schedules", () => {
  it('discovers on {"action":"discover"}', async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod");
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const result = await handler({ action: "discover" });

    // Assess
    expect(result).toEqual({ action: "discover", guarded: ["prod"], unguarded: [], pending: [], alerted: 0 });
  });

  it('fans out one verify per guarded cluster on {"action":"verify"}', async () => {
    // Prepare
    const aws = new FakeAws().addCluster("prod").addCluster("other");
    const handler = createHandler(CONFIG, aws.clients(), silent);
    await handler({ action: "discover" });
    aws.calls.length = 0;

    // Act
    const result = await handler({ action: "verify" });

    // Assess
    expect(result).toEqual({ action: "verify", verified: ["other", "prod"] });
    expect(aws.invocations().map((i) => i.payload)).toEqual([
      { action: "verify", cluster: "other" },
      { action: "verify", cluster: "prod" },
    ]);
  });
});

describe("queued CloudTrail events", () => {
  it("asks the queue to redeliver while the new cluster is not ready", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("new", { status: "CREATING" }, { logGroup: false });
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const response = await handler(queued(cloudTrail("CreateCluster", "new"), 1));

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }] });
    expect(aws.published()).toHaveLength(0);
  });

  it("guards the cluster once it is ready", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("new");
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const response = await handler(queued(cloudTrail("CreateCluster", "new"), 2));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.logGroups.get("/aws/eks/new/cluster")?.map((f) => f.filterName)).toEqual([
      "aws-auth-guardian",
    ]);
    expect(aws.invocations().map((i) => i.payload)).toEqual([
      { action: "capture", cluster: "new", reason: "baseline" },
    ]);
  });

  it("reports the cluster as it stands on the last attempt instead of waiting forever", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("new", {}, { logGroup: false });
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const response = await handler(queued(cloudTrail("UpdateClusterConfig", "new"), CONFIG.maxEventAttempts));

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(aws.published().map((p) => p.Subject)).toEqual([
      "[aws-auth UNGUARDED] new: audit log group missing",
    ]);
  });

  it("redelivers a record whose processing failed and drops one that is not JSON", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("boom", { denied: true });
    aws.failures.set("PublishCommand", () => new Error("SNS down"));
    const handler = createHandler(CONFIG, aws.clients(), silent);
    const failing = queued(cloudTrail("CreateCluster", "boom"), 1, "m-fail");
    const garbage = queued("x", 1, "m-garbage");
    garbage.Records[0] = { ...(garbage.Records[0] as SQSEvent["Records"][number]), body: "{not json" };

    // Act
    const response = await handler({ Records: [...failing.Records, ...garbage.Records] });

    // Assess
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-fail" }] });
  });
});

describe("a CloudTrail event delivered directly", () => {
  it("is evaluated at once", async () => {
    // Prepare
    const aws = new FakeAws().addCluster("new", {}, { logGroup: false });
    const handler = createHandler(CONFIG, aws.clients(), silent);

    // Act
    const result = await handler(cloudTrail("CreateCluster", "new"));

    // Assess
    expect(result).toMatchObject({ action: "event", unguarded: ["new"], alerted: 1 });
  });
});

describe("clusterNameOf", () => {
  it.each([
    ["CreateCluster", cloudTrail("CreateCluster", "a"), "a"],
    ["UpdateClusterConfig", cloudTrail("UpdateClusterConfig", "b"), "b"],
    ["a refused call", cloudTrail("CreateCluster", "c", { errorCode: "AccessDeniedException" }), undefined],
    ["another API call", cloudTrail("DeleteCluster", "d"), undefined],
    [
      "a name only in the response",
      {
        ...cloudTrail("CreateCluster", "e"),
        detail: { eventName: "CreateCluster", responseElements: { cluster: { name: "e" } } },
      },
      "e",
    ],
  ])("%s", (_label, event, expected) => {
    // Act
    const name = clusterNameOf(event);

    // Assess
    expect(name).toBe(expected);
  });
});

it("fails on an unrecognised event instead of guessing", async () => {
  // Prepare
  const handler = createHandler(CONFIG, new FakeAws().clients(), silent);

  // Act
  const run = handler({ hello: "world" } as unknown as DiscoveryEvent);

  // Assess
  await expect(run).rejects.toThrow('unrecognised event: {"hello":"world"}');
});
