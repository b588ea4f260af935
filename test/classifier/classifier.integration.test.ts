/**
 * The classifier Lambda end to end against moto (S3 with versioning and conditional writes, SNS
 * delivering to SQS): recorded audit events in, snapshots, pointers and alerts out.
 */
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { ListObjectVersionsCommand, S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { IntegrityBlobStore } from "../../lambda/adapters/integrity-blob-store.js";
import { KmsMac } from "../../lambda/adapters/kms-mac.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import { SnsNotifier } from "../../lambda/adapters/sns-notifier.js";
import { loadClassifierConfig } from "../../lambda/classifier/config.js";
import { createHandler } from "../../lambda/classifier/create-handler.js";
import { type AwsAuthWrite, triageAuditEvent } from "../../lambda/core/audit-event.js";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { processCapture } from "../../lambda/core/pipeline.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { contentVersionId, eventKeyOf, followerId } from "../../lambda/core/records.js";
import { SnapshotStore } from "../../lambda/core/snapshot-store.js";
import {
  clientConfig,
  createIntegrityKey,
  createTopicWithQueue,
  createVersionedBucket,
  drainQueue,
  type MotoServer,
  type SnsEnvelope,
  startMoto,
} from "../support/moto.js";

const LAB = new URL("../fixtures/audit/lab/", import.meta.url);
const ACCOUNT = "012345678901";
const CLUSTER = "demo";

function labLines(name: string): string[] {
  return readFileSync(new URL(`${name}.jsonl`, LAB), "utf8")
    .split("\n")
    .filter(Boolean);
}

/** The Lambda event CloudWatch Logs sends for these log lines. */
function awslogsEvent(messages: string[], messageType = "DATA_MESSAGE"): { awslogs: { data: string } } {
  const payload = {
    messageType,
    owner: ACCOUNT,
    logGroup: `/aws/eks/${CLUSTER}/cluster`,
    logStream: "kube-apiserver-audit-0123456789abcdef",
    subscriptionFilters: ["aws-auth-guardian"],
    logEvents: messages.map((message, i) => ({
      id: `3798465316518495736017896534${String(i).padStart(28, "0")}`,
      timestamp: 1_795_000_000_000 + i,
      message,
    })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(payload))).toString("base64") } };
}

/** The (single) aws-auth write in a recording. */
function writeOf(name: string): AwsAuthWrite {
  const writes = labLines(name)
    .map((line) => triageAuditEvent(JSON.parse(line)))
    .flatMap((t) => (t.kind === "write" ? [t.write] : []));
  if (writes.length !== 1 || !writes[0]) throw new Error(`${name}: expected one aws-auth write`);
  return writes[0];
}

/** The digest of the (single) aws-auth write in a recording: its identity in the store. */
function keyOf(name: string): string {
  return eventKeyOf(writeOf(name));
}

/**
 * The id of the record a recording leaves: a version's id is its resourceVersion and the digest of
 * its content; a deletion's is the id of the version it follows, its time and the event's digest.
 * Never the auditID.
 */
function idOf(name: string, anchor?: string): string {
  const write = writeOf(name);
  if (write.stored) return contentVersionId(write.stored);
  return followerId("tombstone", anchor, write.time, eventKeyOf(write));
}

const SEED = [
  "s02-node-manager-update-unquoted-drop-fargate",
  "s03-fargate-manager-update-readd-fargate",
  "s04-terraform-reapply-quoted-jsonpatch",
  "s05-sso-admin-kubectl-edit-add-developer",
  "s06-escalation-smp-contractor-masters",
  "s10-intruder-delete",
  "s14-readonly-patch-forbidden",
];

const captured = (() => {
  const parsed = parseConfigMapManifest(
    readFileSync(new URL("../fixtures/demo/captured-after-create.json", import.meta.url), "utf8"),
  );
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.configMap;
})();

describe("classifier Lambda against moto", () => {
  let moto: MotoServer;
  let s3: S3Client;
  let sns: SNSClient;
  let sqs: SQSClient;
  let bucket: string;
  let topicArn: string;
  let queueUrl: string;
  let run = 0;

  beforeAll(async () => {
    moto = await startMoto();
    s3 = new S3Client({ ...clientConfig(moto.env), forcePathStyle: true });
    sns = new SNSClient(clientConfig(moto.env));
    sqs = new SQSClient(clientConfig(moto.env));
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    run++;
    bucket = `guardian-snapshots-${run}`;
    await createVersionedBucket(s3, bucket);
    ({ topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, `guardian-alerts-${run}`));
  });

  function config(extra: Record<string, string> = {}) {
    return loadClassifierConfig({
      SNAPSHOT_BUCKET: bucket,
      ALERT_TOPIC_ARN: topicArn,
      AWS_REGION: "us-east-1",
      ...extra,
    });
  }
  function handler(
    clients: Partial<{ s3: S3Client; sns: SNSClient }> = {},
    extra: Record<string, string> = {},
  ) {
    return createHandler(config(extra), {
      s3: clients.s3 ?? s3,
      sns: clients.sns ?? sns,
      lambda: new LambdaClient(clientConfig(moto.env)),
    });
  }
  function store() {
    return new SnapshotStore(new S3BlobStore(s3, bucket));
  }
  /** The guardian's baseline capture, as the cluster-access function files it at deploy time. */
  async function seedBaseline() {
    await processCapture(
      {
        store: store(),
        notifier: new SnsNotifier(sns, topicArn),
        policy: makePolicy({ clusterAccount: ACCOUNT }),
        now: () => new Date("2026-11-22T13:03:50Z"),
      },
      CLUSTER,
      captured,
      "baseline",
    );
    await drainQueue(sqs, queueUrl);
  }
  async function alerts(): Promise<SnsEnvelope[]> {
    return drainQueue(sqs, queueUrl);
  }

  it("turns the seed incident into snapshots, pointers and exactly the expected alerts", async () => {
    // Prepare
    await seedBaseline();
    const invoke = handler();

    // Act
    for (const name of SEED) await invoke(awslogsEvent(labLines(name)));

    // Assess
    const ids = await store().listIds(CLUSTER);
    // Ids are the resourceVersion and the digest of the audit event, never its auditID.
    expect(ids).toEqual([
      "00000000000000000201-capture-20261122130350000",
      idOf("s02-node-manager-update-unquoted-drop-fargate"),
      idOf("s03-fargate-manager-update-readd-fargate"),
      idOf("s04-terraform-reapply-quoted-jsonpatch"),
      idOf("s05-sso-admin-kubectl-edit-add-developer"),
      idOf("s06-escalation-smp-contractor-masters"),
      idOf("s10-intruder-delete", idOf("s06-escalation-smp-contractor-masters")),
    ]);
    for (const id of ids) expect(id).toMatch(/^\d{20}[-~][a-z0-9~-]+$/);
    const classes = await Promise.all(ids.map(async (id) => (await store().getRecord(CLUSTER, id))?.class));
    expect(classes).toEqual([
      "routine",
      "aws-internal",
      "aws-internal",
      "cosmetic",
      "routine",
      "dangerous",
      "dangerous",
    ]);
    expect((await store().getPointer(CLUSTER, "latest"))?.id).toBe(ids[6]);
    expect((await store().getPointer(CLUSTER, "last-good"))?.id).toBe(ids[4]);
    const attempt = await s3Json(
      `clusters/${CLUSTER}/attempts/${keyOf("s14-readonly-patch-forbidden")}.json`,
    );
    expect(attempt).toMatchObject({ class: "rejected", findings: [{ id: "forbidden-attempt" }] });

    const sent = await alerts();
    expect(sent.map((a) => a.MessageAttributes?.class?.Value)).toEqual(["routine", "dangerous", "dangerous"]);
    const [, escalation, deletion] = sent;
    expect(escalation?.Subject).toMatch(
      /^\[aws-auth DANGEROUS\] demo: role\/contractor-debug now gets system:masters/,
    );
    expect(escalation?.Subject?.length).toBeLessThan(100);
    expect(escalation?.MessageAttributes).toMatchObject({
      severity: { Value: "critical" },
      class: { Value: "dangerous" },
      cluster: { Value: "demo" },
    });
    const chatbot = JSON.parse(deletion?.Message ?? "{}");
    expect(chatbot).toMatchObject({
      version: "1.0",
      source: "custom",
      id: "2f278804-b428-46ea-97c4-572dfef9c42e",
      metadata: {
        threadId: "aws-auth-guardian/demo",
        additionalContext: { auditID: "2f278804-b428-46ea-97c4-572dfef9c42e" },
      },
    });
    expect(chatbot.content.nextSteps[0]).toContain(`aws-auth-guardian restore --cluster demo --to ${ids[4]}`);
  });

  it("files every record with the guardian's MAC when INTEGRITY_KEY_ID is set, so the restore path accepts it", async () => {
    // Prepare
    const kms = new KMSClient(clientConfig(moto.env));
    const keyId = await createIntegrityKey(kms);
    const invoke = createHandler(config({ INTEGRITY_KEY_ID: keyId }), {
      s3,
      sns,
      lambda: new LambdaClient(clientConfig(moto.env)),
      kms,
    });
    const verifying = new SnapshotStore(
      new IntegrityBlobStore(new S3BlobStore(s3, bucket), { verifier: new KmsMac(kms, keyId) }),
    );

    // Act
    for (const name of SEED.slice(0, 4)) await invoke(awslogsEvent(labLines(name)));

    // Assess: each record the classifier filed verifies; one it did not sign would throw.
    const ids = await store().listIds(CLUSTER);
    expect(ids.length).toBeGreaterThanOrEqual(4);
    for (const id of ids) expect((await verifying.getRecord(CLUSTER, id))?.id).toBe(id);
    expect((await verifying.resolve(CLUSTER, "latest"))?.id).toBe(ids.at(-1));
    const unsigned = createHandler(config(), { s3, sns, lambda: new LambdaClient(clientConfig(moto.env)) });
    await unsigned(awslogsEvent(labLines(SEED[4] as string)));
    const newest = (await store().listIds(CLUSTER)).filter((id) => !ids.includes(id));
    expect(newest).toHaveLength(1);
    await expect(verifying.getRecord(CLUSTER, newest[0] as string)).rejects.toThrow(
      "no guardian MAC exists for its content",
    );
    kms.destroy();
  });

  it("keeps the ConfigMap exactly as stored, with the audit summary, class and findings", async () => {
    // Prepare
    await seedBaseline();
    const [, update] = labLines("s02-node-manager-update-unquoted-drop-fargate");
    const event = JSON.parse(update ?? "{}");

    // Act
    await handler()(awslogsEvent(labLines("s02-node-manager-update-unquoted-drop-fargate")));

    // Assess
    const record = await store().getRecord(CLUSTER, idOf("s02-node-manager-update-unquoted-drop-fargate"));
    expect(record?.configMap?.data).toEqual(event.responseObject.data);
    expect(record?.configMap?.metadata).toEqual({
      name: "aws-auth",
      namespace: "kube-system",
      uid: "fa8784fd-2f69-4405-bfa5-68eba918cf26",
      resourceVersion: "202",
      creationTimestamp: "2026-11-22T13:03:49Z",
      labels: event.responseObject.metadata.labels,
    });
    expect(record?.audit).toMatchObject({
      auditID: "f280e579-b421-4ae0-ab83-7de6e8ae7866",
      verb: "update",
      actor: {
        username: "eks:node-manager",
        sourceIPs: ["127.0.0.1"],
        userAgent: expect.stringContaining("bootstrap"),
      },
    });
    expect(record?.class).toBe("aws-internal");
    expect(record?.findings.map((f) => f.id)).toEqual(["aws-internal-node-mapping-dropped"]);
  });

  it("does nothing twice when the same payload is delivered twice", async () => {
    // Prepare
    await seedBaseline();
    const invoke = handler();
    const payload = awslogsEvent([
      ...labLines("s05-sso-admin-kubectl-edit-add-developer"),
      ...labLines("s06-escalation-smp-contractor-masters"),
    ]);
    await invoke(payload);
    const firstAlerts = await alerts();
    const versionsBefore = await objectVersionCount();

    // Act
    const again = await invoke(payload);

    // Assess
    expect(firstAlerts).toHaveLength(2);
    expect(await alerts()).toHaveLength(0);
    expect(again.processed.every((o) => o.duplicate)).toBe(true);
    expect(await objectVersionCount()).toBe(versionsBefore);
  });

  it("orders by resourceVersion, not arrival: node-manager's rewrite after Terraform's later write", async () => {
    // Prepare
    await seedBaseline();
    const invoke = handler();

    // Act
    await invoke(awslogsEvent(labLines("s04-terraform-reapply-quoted-jsonpatch")));
    await invoke(awslogsEvent(labLines("s03-fargate-manager-update-readd-fargate")));
    const late = await invoke(awslogsEvent(labLines("s02-node-manager-update-unquoted-drop-fargate")));

    // Assess
    const s02 = await store().getRecord(CLUSTER, idOf("s02-node-manager-update-unquoted-drop-fargate"));
    expect(s02?.predecessorId).toBe("00000000000000000201-capture-20261122130350000");
    expect(s02?.class).toBe("aws-internal");
    expect(late.processed[0]?.late).toBe(true);
    const s03 = await store().getRecord(CLUSTER, idOf("s03-fargate-manager-update-readd-fargate"));
    expect(s03?.predecessorId).toBe(s02?.id);
    expect(s03?.class).toBe("aws-internal");
    expect((await store().getPointer(CLUSTER, "latest"))?.id).toBe(
      idOf("s04-terraform-reapply-quoted-jsonpatch"),
    );
    expect(await alerts()).toHaveLength(0);
  });

  it("out of order in S3: an escalation delivered before the edit it follows, then the deletion, ends as in order", async () => {
    // Prepare: the same incident filed in order into another bucket, for comparison.
    const invoke = handler();
    const inOrderBucket = bucket;
    for (const name of SEED) await invoke(awslogsEvent(labLines(name)));
    const expected = await store().readRecords(CLUSTER, await store().listIds(CLUSTER));
    const expectedPointers = [
      await store().getPointer(CLUSTER, "latest"),
      await store().getPointer(CLUSTER, "last-good"),
    ];
    await alerts();
    run++;
    bucket = `guardian-snapshots-${run}`;
    await createVersionedBucket(s3, bucket);
    expect(bucket).not.toBe(inOrderBucket);
    const shuffled = handler();

    // Act: s06 (rv 208) first, then everything before it, then the deletion; s05 twice.
    const order = [
      "s06-escalation-smp-contractor-masters",
      "s02-node-manager-update-unquoted-drop-fargate",
      "s05-sso-admin-kubectl-edit-add-developer",
      "s04-terraform-reapply-quoted-jsonpatch",
      "s03-fargate-manager-update-readd-fargate",
      "s05-sso-admin-kubectl-edit-add-developer",
      "s10-intruder-delete",
      "s14-readonly-patch-forbidden",
    ];
    for (const name of order) await shuffled(awslogsEvent(labLines(name)));

    // Assess: the same records (facts and verdicts), pointers and restore target.
    const ids = await store().listIds(CLUSTER);
    const got = await store().readRecords(CLUSTER, ids);
    expect(got.map((r) => r.record)).toEqual(expected.map((r) => r.record));
    expect([
      await store().getPointer(CLUSTER, "latest"),
      await store().getPointer(CLUSTER, "last-good"),
    ]).toEqual(expectedPointers);
    const sent = await alerts();
    const deletion = sent.find(
      (a) => a.MessageAttributes?.class?.Value === "dangerous" && /deleted/i.test(a.Subject ?? ""),
    );
    const s05 = idOf("s05-sso-admin-kubectl-edit-add-developer");
    expect(JSON.parse(deletion?.Message ?? "{}").content.nextSteps[0]).toContain(`--to ${s05}`);
    // The escalation, first judged with nothing before it (routine, the first version known), was
    // found dangerous when the first write before it arrived, and said so once, with the restore
    // target known then.
    const foundLate = sent.filter((a) => (a.Message ?? "").includes("Found late"));
    expect(foundLate).toHaveLength(1);
    expect(foundLate[0]?.Subject).toMatch(/contractor-debug now gets system:masters/);
    expect(JSON.parse(foundLate[0]?.Message ?? "{}").content.nextSteps[0]).toContain(
      `--to ${idOf("s02-node-manager-update-unquoted-drop-fargate")}`,
    );
  });

  it("out of order in S3: a deletion delivered before the version it deleted moves after it (a delete marker, the data kept)", async () => {
    // Prepare
    await seedBaseline();
    const invoke = handler();
    for (const name of SEED.slice(0, 4)) await invoke(awslogsEvent(labLines(name)));
    await alerts();

    // Act: the deletion, then the escalation (rv 208) it deleted.
    await invoke(awslogsEvent(labLines("s10-intruder-delete")));
    const filedFirst = (await store().listIds(CLUSTER)).find((id) => id.includes("~deleted-"));
    await invoke(awslogsEvent(labLines("s06-escalation-smp-contractor-masters")));

    // Assess
    const escalationId = idOf("s06-escalation-smp-contractor-masters");
    const tombstone = idOf("s10-intruder-delete", escalationId);
    expect(filedFirst).toBe(idOf("s10-intruder-delete", idOf("s05-sso-admin-kubectl-edit-add-developer")));
    const ids = await store().listIds(CLUSTER);
    expect(ids.slice(-2)).toEqual([escalationId, tombstone]);
    expect(ids).not.toContain(filedFirst);
    expect((await store().getRecord(CLUSTER, tombstone))?.predecessorId).toBe(escalationId);
    expect((await store().getPointer(CLUSTER, "latest"))?.id).toBe(tombstone);
    expect((await store().getPointer(CLUSTER, "last-good"))?.id).toBe(
      idOf("s05-sso-admin-kubectl-edit-add-developer"),
    );
    const listed = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `clusters/${CLUSTER}/versions/${filedFirst}` }),
    );
    expect(listed.DeleteMarkers ?? []).toHaveLength(1);
    expect(listed.Versions ?? []).toHaveLength(1);
  });
  it("skips a malformed event and files the rest of the batch", async () => {
    // Prepare
    await seedBaseline();
    const lines = [
      "this is not an audit event",
      '{"kind":"Event","auditID":"cut-off","verb":"patch","requestURI":"/api/v1/namespaces/kube-system/configmaps/aws-auth","user":{"username":"x"… [Truncated...]',
      ...labLines("s05-sso-admin-kubectl-edit-add-developer"),
    ];

    // Act
    const result = await handler()(awslogsEvent(lines));

    // Assess
    expect(result.malformed).toBe(1);
    expect(result.processed.map((o) => [o.auditID, o.class])).toEqual([
      ["cut-off", "unverified"],
      ["87691861-29d8-445f-8ad0-dfa1466ae69d", "routine"],
    ]);
    const sent = await alerts();
    expect(sent.map((a) => a.MessageAttributes?.class?.Value).sort()).toEqual(["routine", "unverified"]);
    expect(sent.find((a) => a.MessageAttributes?.class?.Value === "unverified")?.Message).toContain(
      "cut-off",
    );
  });

  it("ignores control messages", async () => {
    const result = await handler()(awslogsEvent([], "CONTROL_MESSAGE"));
    expect(result).toMatchObject({ controlMessages: 1, processed: [], malformed: 0 });
  });

  it("fails the invocation when S3 is unreachable, and the retry completes with no duplicate", async () => {
    // Prepare
    await seedBaseline();
    const brokenS3 = new S3Client({
      ...clientConfig(moto.env),
      endpoint: "http://127.0.0.1:9",
      forcePathStyle: true,
      maxAttempts: 1,
    });
    const payload = awslogsEvent(labLines("s06-escalation-smp-contractor-masters"));

    // Act
    const failed = handler({ s3: brokenS3 })(payload);

    // Assess
    await expect(failed).rejects.toThrow(/failed/);
    expect(await alerts()).toHaveLength(0);
    const retried = await handler()(payload);
    expect(retried.processed.map((o) => [o.class, o.duplicate, o.alerted])).toEqual([
      ["dangerous", false, true],
    ]);
    expect(await alerts()).toHaveLength(1);
  });

  it("fails the invocation when SNS fails after the snapshot was stored; the retry alerts once and stores nothing twice", async () => {
    // Prepare
    await seedBaseline();
    const brokenSns = new SNSClient({
      ...clientConfig(moto.env),
      endpoint: "http://127.0.0.1:9",
      maxAttempts: 1,
    });
    const payload = awslogsEvent(labLines("s10-intruder-delete"));

    // Act
    await expect(handler({ sns: brokenSns })(payload)).rejects.toThrow(/publish alert failed/);
    const versionsAfterFailure = await objectVersionCount();
    const retried = await handler()(payload);
    const again = await handler()(payload);

    // Assess
    expect(retried.processed[0]).toMatchObject({ class: "dangerous", duplicate: true, alerted: true });
    expect(again.processed[0]).toMatchObject({ duplicate: true, alerted: false });
    expect(await alerts()).toHaveLength(1);
    // Only the alert marker was added by the retries; the tombstone and pointers were not rewritten.
    expect(await objectVersionCount()).toBe(versionsAfterFailure + 1);
  });

  it("asks the capture function for content an event does not carry, when one is configured", async () => {
    // Prepare
    const invoked: unknown[] = [];
    const lambda = new LambdaClient(clientConfig(moto.env));
    lambda.middlewareStack.add(
      (_next) => async (args) => {
        invoked.push(JSON.parse(new TextDecoder().decode((args.input as { Payload: Uint8Array }).Payload)));
        return { output: { StatusCode: 202, $metadata: {} } as never, response: {} };
      },
      { step: "initialize", name: "captureInvokeRecorder" },
    );
    const invoke = createHandler(config({ CAPTURE_FUNCTION_NAME: "guardian-cluster-access" }), {
      s3,
      sns,
      lambda,
    });

    // Act
    const result = await invoke(awslogsEvent(labLines("s01-terraform-create-quoted")));

    // Assess
    expect(result.processed[0]).toMatchObject({ class: "unverified", captureRequested: true });
    expect(invoked).toEqual([
      { action: "capture", cluster: CLUSTER, reason: expect.stringContaining("762cbfa1") },
    ]);
    const [alert] = await alerts();
    expect(alert?.MessageAttributes?.class?.Value).toBe("unverified");
  });

  it("without a capture function, says the content is unknown and how to capture it", async () => {
    await handler()(awslogsEvent(labLines("s01-terraform-create-quoted")));
    const [alert] = await alerts();
    const email = alert?.Message ?? "";
    expect(email).toContain("The new content of aws-auth is not known");
    expect(email).toContain("aws-auth-guardian capture --cluster demo");
  });

  async function s3Json(key: string): Promise<unknown> {
    const blob = await new S3BlobStore(s3, bucket).get(key);
    return blob ? JSON.parse(blob.body) : undefined;
  }
  async function objectVersionCount(): Promise<number> {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    return (listed.Versions ?? []).length;
  }
});

describe("classifier cold start", () => {
  it("fails naming the missing variable", async () => {
    // Prepare
    vi.resetModules();
    const saved = { ...process.env };
    delete process.env.SNAPSHOT_BUCKET;
    process.env.ALERT_TOPIC_ARN = "arn:aws:sns:us-east-1:012345678901:t";
    process.env.AWS_REGION = "us-east-1";
    try {
      // Act / Assess
      await expect(import("../../lambda/classifier/handler.js")).rejects.toThrow(
        "missing required environment variable SNAPSHOT_BUCKET",
      );
    } finally {
      process.env = saved;
    }
  });
});
