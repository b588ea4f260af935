import { GetObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadClusterAccessConfig } from "../../lambda/restore/config.js";
import { type ClusterAccessResult, InvalidEventError } from "../../lambda/restore/create-handler.js";
import { FakeApiServer } from "../support/fake-apiserver.js";
import { createVersionedBucket, drainQueue } from "../support/moto.js";
import {
  type ClusterAccessAws,
  clusterAccessHandler,
  provenInvoke,
  startClusterAccessAws,
} from "./cluster-access.js";
import { awsAuth, CLUSTER, CONTRACTOR_ROLE, ESCALATED_DATA, GOOD_DATA } from "./fixtures.js";

const BUCKET = "guardian-snapshots";
const GUARDIAN = "arn:aws:sts::111122223333:assumed-role/aws-auth-guardian-cluster-access/fn";

/** What the in-test API server learnt from the EKS tokens it was shown. */
interface SeenToken {
  url: string;
}

function decodeEksToken(token: string): SeenToken | undefined {
  if (!token.startsWith("k8s-aws-v1.")) return undefined;
  return { url: Buffer.from(token.slice("k8s-aws-v1.".length), "base64url").toString("utf8") };
}

describe("cluster-access function (moto S3/SNS/EKS + in-test API server)", () => {
  let aws: ClusterAccessAws;
  let server: FakeApiServer;
  let tokens: SeenToken[];
  let invoke: (event: unknown) => Promise<ClusterAccessResult>;
  let verifyMetrics: Array<[string, boolean]>;
  let prefixRun = 0;

  beforeAll(async () => {
    aws = await startClusterAccessAws("guardian-alerts");
  });

  afterAll(async () => {
    await aws?.stop();
  });

  beforeEach(async () => {
    // A fresh bucket per test: the store's layout is per cluster and tests must not see each other.
    prefixRun += 1;
    const bucket = `${BUCKET}-${prefixRun}`;
    await createVersionedBucket(aws.s3, bucket);
    await drainQueue(aws.sqs, aws.queueUrl);
    tokens = [];
    verifyMetrics = [];
    server = await FakeApiServer.start({
      authenticate: (token) => {
        const seen = decodeEksToken(token);
        if (!seen) return undefined;
        tokens.push(seen);
        return { user: GUARDIAN, allowed: true };
      },
    });
    const config = loadClusterAccessConfig({
      SNAPSHOT_BUCKET: bucket,
      ALERT_TOPIC_ARN: aws.topicArn,
      AWS_REGION: aws.moto.env.AWS_REGION,
      INTEGRITY_KEY_ID: aws.integrityKeyId,
      GUARDIAN_WRITERS: "arn:aws:iam::111122223333:role/aws-auth-guardian-cluster-access",
    });
    invoke = provenInvoke(
      clusterAccessHandler(config, aws, server, {
        recordVerify: (cluster, blindSpot) => verifyMetrics.push([cluster, blindSpot]),
      }),
      aws.sts,
    );
  });

  afterEach(async () => {
    await server.close();
  });

  async function keys(bucket: string): Promise<string[]> {
    const listed = await aws.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    return (listed.Contents ?? []).map((o) => o.Key ?? "");
  }

  it("captures the baseline into S3 through describeCluster, an EKS token and the cluster's own CA", async () => {
    // Prepare
    server.seed(awsAuth(GOOD_DATA));

    // Act
    const result = await invoke({ action: "capture", cluster: CLUSTER, reason: "baseline" });

    // Assess
    expect(result).toMatchObject({ operation: "capture", outcome: "stored", class: "routine" });
    expect(result.access).toEqual({
      endpoint: server.url,
      authenticationMode: "CONFIG_MAP",
      auditLoggingEnabled: false,
    });
    const stored = await keys(`${BUCKET}-${prefixRun}`);
    expect(stored).toEqual(
      expect.arrayContaining([`clusters/${CLUSTER}/latest.json`, `clusters/${CLUSTER}/last-good.json`]),
    );
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens[0]?.url).toMatch(
      /^https:\/\/sts\.us-east-1\.amazonaws\.com\/\?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDGUARDIAN%2F/,
    );
    expect(tokens[0]?.url).toContain("X-Amz-SignedHeaders=host%3Bx-k8s-aws-id");
  });

  it("warns that CONFIG_MAP mode gives no lockout-proof access and that audit logging is off", async () => {
    // Prepare
    server.seed(awsAuth(GOOD_DATA));

    // Act
    const result = await invoke({ action: "verify", cluster: CLUSTER });

    // Assess
    expect(verifyMetrics).toEqual([[CLUSTER, false]]);
    expect(result.warnings).toEqual([
      expect.stringContaining(
        "authenticationMode CONFIG_MAP: this function authenticates through aws-auth itself",
      ),
      expect.stringContaining("does not send audit logs to CloudWatch"),
    ]);
  });

  it("checks the access entries in verify and capture, counts their blind spot as drift, and survives their failure", async () => {
    // Prepare
    server.seed(awsAuth(GOOD_DATA));
    const asked: string[] = [];
    const blind = {
      cluster: CLUSTER,
      facts: { cluster: CLUSTER, at: "2026-12-05T12:00:00.000Z", trail: "none" as const },
      problems: ["No CloudTrail trail records management events in this region"],
      blindSpot: true,
      alerted: false,
    };
    const withAccess = provenInvoke(
      clusterAccessHandler(
        loadClusterAccessConfig({
          SNAPSHOT_BUCKET: `${BUCKET}-${prefixRun}`,
          ALERT_TOPIC_ARN: aws.topicArn,
          AWS_REGION: aws.moto.env.AWS_REGION,
          INTEGRITY_KEY_ID: aws.integrityKeyId,
        }),
        aws,
        server,
        {
          recordVerify: (cluster, blindSpot) => verifyMetrics.push([cluster, blindSpot]),
          verifyAccessEntries: async (cluster) => {
            asked.push(cluster);
            if (asked.length === 3) throw new Error("EKS unreachable");
            return blind;
          },
        },
      ),
      aws.sts,
    );

    // Act
    const captured = await withAccess({ action: "capture", cluster: CLUSTER, reason: "baseline" });
    const verified = await withAccess({ action: "verify", cluster: CLUSTER });
    const failed = await withAccess({ action: "verify", cluster: CLUSTER });

    // Assess
    expect(asked).toEqual([CLUSTER, CLUSTER, CLUSTER]);
    expect(captured).toMatchObject({ operation: "capture", accessEntries: blind });
    expect(verified).toMatchObject({ operation: "verify", outcome: "in-sync", accessEntries: blind });
    expect(failed).toMatchObject({ operation: "verify", outcome: "in-sync" });
    expect(failed).not.toHaveProperty("accessEntries");
    expect(verifyMetrics).toEqual([
      [CLUSTER, true],
      [CLUSTER, false],
    ]);
  });

  it("restores the last good version after a dangerous change, announces it on SNS, and records it in S3", async () => {
    // Prepare
    server.seed(awsAuth(GOOD_DATA));
    await invoke({ action: "capture", cluster: CLUSTER, reason: "baseline" });
    server.seed(awsAuth(ESCALATED_DATA));
    const verify = await invoke({ action: "verify", cluster: CLUSTER });
    await drainQueue(aws.sqs, aws.queueUrl);

    // Act
    const preview = await invoke({ action: "restore", cluster: CLUSTER, dryRun: true });
    const result = await invoke({
      action: "restore",
      cluster: CLUSTER,
      to: preview.operation === "restore" ? preview.target : "",
      reason: "undo escalation",
      requestedBy: "oncall@laptop",
      expectLiveResourceVersion: preview.operation === "restore" ? (preview.liveResourceVersion ?? "") : "",
    });
    const messages = await drainQueue(aws.sqs, aws.queueUrl);

    // Assess
    expect(verify).toMatchObject({ operation: "verify", outcome: "drift", blindSpot: true });
    expect(verifyMetrics).toEqual([[CLUSTER, true]]);
    expect(preview).toMatchObject({ operation: "restore", outcome: "dry-run", action: "replace" });
    expect(result).toMatchObject({
      operation: "restore",
      outcome: "restored",
      action: "replace",
      verification: { ok: true },
    });
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.Subject).toMatch(/^\[aws-auth RESTORED\] prod: /);
    expect(messages[0]?.MessageAttributes?.class?.Value).toBe("restore");
    const chatbot = JSON.parse(messages[0]?.Message ?? "{}") as { content?: { description?: string } };
    expect(chatbot.content?.description).toContain(`- role ${CONTRACTOR_ROLE}`);
    const restoreKeys = (await keys(`${BUCKET}-${prefixRun}`)).filter((k) => k.includes("/restores/"));
    // One record per attempt, the dry run's too: clusters/<cluster>/restores/<time>-<outcome>-<random>.json
    expect(restoreKeys).toEqual([
      expect.stringMatching(/^clusters\/prod\/restores\/\d{17}-dry-run-[0-9a-z]*\.json$/),
      expect.stringMatching(/^clusters\/prod\/restores\/\d{17}-restored-[0-9a-z]*\.json$/),
    ]);
    const body = await aws.s3.send(
      new GetObjectCommand({ Bucket: `${BUCKET}-${prefixRun}`, Key: restoreKeys[1] }),
    );
    const record = JSON.parse((await body.Body?.transformToString()) ?? "{}") as Record<string, unknown>;
    // The record names the caller STS proved (the rig's on-call admin), not what requestedBy claimed.
    expect(record).toMatchObject({ outcome: "restored", reason: "undo escalation" });
    expect(record?.by).toMatch(
      /^arn:aws:sts::111122223333:assumed-role\/platform-admin\/oncall \(holds system:masters/,
    );
  });

  it("re-creates aws-auth after a deletion, and verify first reports the deletion as a blind spot", async () => {
    // Prepare
    server.seed(awsAuth(GOOD_DATA));
    await invoke({ action: "capture", cluster: CLUSTER, reason: "baseline" });
    await drainQueue(aws.sqs, aws.queueUrl);
    server.remove();

    // Act
    const verify = await invoke({ action: "verify", cluster: CLUSTER });
    const alerts = await drainQueue(aws.sqs, aws.queueUrl);
    const result = await invoke({ action: "restore", cluster: CLUSTER, to: "last-good" });

    // Assess
    expect(verify).toMatchObject({ outcome: "missing", blindSpot: true, alerted: true });
    expect(alerts.map((a) => a.Subject)).toEqual([
      expect.stringMatching(/^\[aws-auth DANGEROUS\] prod: aws-auth does not exist/),
    ]);
    expect(result).toMatchObject({ outcome: "restored", action: "create", verification: { ok: true } });
    expect(server.object()?.data).toStrictEqual(GOOD_DATA);
  });

  it("fails on an event without a cluster, naming what is missing", async () => {
    // Act
    const attempt = invoke({ action: "restore" });

    // Assess
    await expect(attempt).rejects.toThrow(InvalidEventError);
    await expect(attempt).rejects.toThrow("event.cluster (the EKS cluster name) is required");
  });

  it("fails on an unknown action", async () => {
    // Act
    const attempt = invoke({ action: "delete", cluster: CLUSTER });

    // Assess
    await expect(attempt).rejects.toThrow(
      'event.action must be one of restore, capture, verify, restore-access-entries, not "delete"',
    );
  });
});

describe("cluster-access function cold start", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it("fails at import, naming the missing variable", async () => {
    // Prepare
    vi.stubEnv("SNAPSHOT_BUCKET", "bucket");
    vi.stubEnv("ALERT_TOPIC_ARN", undefined);
    vi.stubEnv("AWS_REGION", "eu-west-1");

    // Act
    const loading = import("../../lambda/restore/handler.js");

    // Assess
    await expect(loading).rejects.toThrow("missing required environment variable ALERT_TOPIC_ARN");
  });

  it("exports a handler when the environment is complete", async () => {
    // Prepare
    vi.stubEnv("SNAPSHOT_BUCKET", "bucket");
    vi.stubEnv("ALERT_TOPIC_ARN", "arn:aws:sns:eu-west-1:111122223333:alerts");
    vi.stubEnv("AWS_REGION", "eu-west-1");
    vi.stubEnv("INTEGRITY_KEY_ID", "alias/aws-auth-guardian-integrity");

    // Act
    const module = await import("../../lambda/restore/handler.js");

    // Assess
    expect(typeof module.handler).toBe("function");
  });
});
