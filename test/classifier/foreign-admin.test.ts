/**
 * The attack the access-entry watch exists for, end to end in one process: a CI role creates an access
 * entry for a principal of a foreign account and associates AmazonEKSClusterAdminPolicy at cluster scope
 * (cluster admin without touching aws-auth). The classifier's handler (createClassifierHandler, as
 * deployed) files it and alerts: the e-mail text and the Slack (AWS Chatbot) notification are asserted line
 * by line here, as SNS received them. Then `restore --access-entries` through the cluster-access function
 * removes it. S3 and SNS are moto, EKS the in-test access-entry fake, STS the in-test fake.
 * `GUARDIAN_SHOW_ALERTS=1` prints the alert and the restore output.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { S3Client } from "@aws-sdk/client-s3";
import { type PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { IntegrityBlobStore } from "../../lambda/adapters/integrity-blob-store.js";
import { KmsMac } from "../../lambda/adapters/kms-mac.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import { loadClassifierConfig } from "../../lambda/classifier/config.js";
import { createClassifierHandler } from "../../lambda/classifier/create-handler.js";
import { captureAccessPicture } from "../../lambda/core/access-pipeline.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { restoreAccessEntriesThroughFunction } from "../support/access-restore.js";
import { FAKE_ACCOUNT, FakeEks, POLICY_PREFIX } from "../support/fake-eks.js";
import { FakeSts, type FakeStsIdentity } from "../support/fake-sts.js";
import {
  clientConfig,
  createIntegrityKey,
  createTopicWithQueue,
  createVersionedBucket,
  type MotoServer,
  startMoto,
} from "../support/moto.js";

const CLUSTER = "prod";
const CREATOR = `arn:aws:iam::${FAKE_ACCOUNT}:role/platform/ClusterCreator`;
const GUARDIAN = `arn:aws:iam::${FAKE_ACCOUNT}:role/AwsAuthGuardian-ClusterAccessRole`;
const OUTSIDER = "arn:aws:iam::444455556666:role/outsider";
const ADMIN = `${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`;
const EDIT = `${POLICY_PREFIX}AmazonEKSEditPolicy`;
const KEYS = { admin: "AKIAPLATFORMADMIN", attacker: "AKIACIDEPLOYER", guardian: "AKIAGUARDIAN" } as const;
const OPERATOR: FakeStsIdentity = {
  accessKeyId: "AKIAOPERATOR",
  secretAccessKey: "operator-secret",
  arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/PlatformOnCall/sam`,
};
const SHOW = process.env.GUARDIAN_SHOW_ALERTS === "1";

interface Published {
  subject: string;
  email: string;
  chatbot: {
    content: { title: string; description: string; nextSteps: string[]; keywords: string[] };
    metadata: {
      threadId: string;
      summary: string;
      eventType: string;
      additionalContext: Record<string, string>;
    };
  };
  attributes: Record<string, string>;
}

describe("a foreign principal made cluster admin through access entries", () => {
  let moto: MotoServer;
  let fake: FakeEks;
  let sts: FakeSts;
  let s3: S3Client;
  let sns: SNSClient;
  let kms: KMSClient;
  let integrityKeyId: string;
  const published: Published[] = [];

  beforeAll(async () => {
    [moto, fake, sts] = await Promise.all([
      startMoto(),
      FakeEks.start({
        callers: {
          [KEYS.admin]: { arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/PlatformAdmin/alice` },
          [KEYS.attacker]: {
            arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ci-deployer/i-0abc`,
            sourceIPAddress: "203.0.113.66",
            userAgent: "aws-sdk-go-v2/1.30.0 stratus-red-team",
          },
          [KEYS.guardian]: {
            arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/AwsAuthGuardian-ClusterAccessRole/restore`,
          },
        },
      }),
      FakeSts.start("us-east-1"),
    ]);
    sts.add(OPERATOR);
    s3 = new S3Client({ ...clientConfig(moto.env), forcePathStyle: true });
    sns = new SNSClient(clientConfig(moto.env));
    kms = new KMSClient(clientConfig(moto.env));
    integrityKeyId = await createIntegrityKey(kms);
    // Every message as SNS received it, both protocols' bodies (MessageStructure json), before moto sends it on.
    sns.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: unknown }).input;
        if ((args as { input: object }).input && input instanceof Object && "MessageStructure" in input) {
          const command = input as PublishCommand["input"];
          const bodies = JSON.parse(command.Message ?? "{}") as { default: string; email: string };
          published.push({
            subject: command.Subject ?? "",
            email: bodies.email,
            chatbot: JSON.parse(bodies.default) as Published["chatbot"],
            attributes: Object.fromEntries(
              Object.entries(command.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ""]),
            ),
          });
        }
        return next(args);
      },
      { step: "initialize", name: "recordPublishes" },
    );
  });
  afterAll(async () => {
    await Promise.all([moto?.stop(), fake?.stop(), sts?.close()]);
  });

  it("alerts with who, from where, what it grants and the undo, then the restore removes it", async () => {
    // Prepare: the cluster, the guardian's own entry, the baseline, the facts verify filed.
    const bucket = "foreign-admin";
    await createVersionedBucket(s3, bucket);
    const sqs = new SQSClient(clientConfig(moto.env));
    const { topicArn } = await createTopicWithQueue(sns, sqs, "foreign-admin-alerts");
    fake.addCluster({ name: CLUSTER, creatorArn: CREATOR });
    const admin = new EksAccessEntryApi(fake.client(KEYS.admin));
    await admin.createAccessEntry(CLUSTER, { principalArn: GUARDIAN });
    await admin.associateAccessPolicy(CLUSTER, GUARDIAN, EDIT, {
      type: "namespace",
      namespaces: ["kube-system"],
    });
    // The store as the guardian's writers see it: each record filed with its MAC.
    const store = new AccessStore(
      new IntegrityBlobStore(new S3BlobStore(s3, bucket), { signer: new KmsMac(kms, integrityKeyId) }),
    );
    const baseline = await captureAccessPicture(
      { store, api: admin, now: () => new Date(), policy: makePolicy({ clusterAccount: FAKE_ACCOUNT }) },
      CLUSTER,
      "baseline",
    );
    await store.putClusterInfo({
      cluster: CLUSTER,
      at: new Date().toISOString(),
      authenticationMode: "API_AND_CONFIG_MAP",
      creator: CREATOR,
      creatorSource: "cloudtrail",
      trail: "recording",
    });
    const attacker = new EksAccessEntryApi(fake.client(KEYS.attacker));
    const mark = fake.events().length;
    await attacker.createAccessEntry(CLUSTER, { principalArn: OUTSIDER });
    await attacker.associateAccessPolicy(CLUSTER, OUTSIDER, ADMIN, { type: "cluster", namespaces: [] });
    const events = fake.events().slice(mark);
    const classifier = createClassifierHandler(
      loadClassifierConfig({
        SNAPSHOT_BUCKET: bucket,
        ALERT_TOPIC_ARN: topicArn,
        AWS_REGION: "us-east-1",
        GUARDED_CLUSTERS: CLUSTER,
        GUARDIAN_ACCESS_ROLE_ARN: GUARDIAN,
        GUARDIAN_WRITERS: GUARDIAN,
        INTEGRITY_KEY_ID: integrityKeyId,
      }),
      { s3, sns, kms, lambda: new LambdaClient(clientConfig(moto.env)), eks: fake.client(KEYS.admin) },
    );

    // Act: EventBridge delivers each CloudTrail record to the classifier.
    for (const event of events) await classifier(event);

    // Assess: the association's alert, as an SRE reads it.
    expect(published).toHaveLength(2);
    const alert = published[1] as Published;
    const record = await store.resolve(CLUSTER, "latest");
    if (SHOW)
      console.log(
        `SUBJECT: ${alert.subject}\n\nE-MAIL:\n${alert.email}\nSLACK (AWS Chatbot custom notification):\n${JSON.stringify(alert.chatbot, null, 2)}\n`,
      );
    expect(alert.subject).toBe(
      "[access-entry DANGEROUS] prod: role/outsider was made administrator of the whole cluster (AmazonEK…",
    );
    expect(alert.attributes).toEqual({
      severity: "critical",
      class: "dangerous",
      cluster: CLUSTER,
      source: "access-entries",
    });
    const lines = alert.email.split("\n");
    expect(lines.slice(2, 10)).toEqual([
      `Cluster:   ${CLUSTER} (account ${FAKE_ACCOUNT})`,
      "Class:     dangerous (severity critical)",
      `When:      ${events[1]?.detail.eventTime}`,
      `Who:       arn:aws:iam::${FAKE_ACCOUNT}:role/ci-deployer`,
      `           session: arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ci-deployer/i-0abc`,
      "           source IP 203.0.113.66, user agent aws-sdk-go-v2/1.30.0 stratus-red-team",
      `Call:      AssociateAccessPolicy, succeeded, CloudTrail event ${events[1]?.detail.eventID}, us-east-1`,
      `Version:   ${record?.id}`,
    ]);
    expect(alert.email).toContain(
      `What changed\n  + AmazonEKSClusterAdminPolicy for ${OUTSIDER} at cluster scope\n`,
    );
    expect(alert.email).toContain(
      `  [critical] access-cluster-admin: ${OUTSIDER} was made administrator of the whole cluster (AmazonEKSClusterAdminPolicy at cluster scope) by arn:aws:iam::${FAKE_ACCOUNT}:role/ci-deployer, without touching aws-auth.`,
    );
    expect(alert.email).toContain("  [critical] access-foreign-principal:");
    expect(alert.email).toContain(
      `    aws-auth-guardian restore --access-entries --cluster ${CLUSTER} --to ${baseline.id}\n`,
    );
    // Without the function, with the operator's own credentials: the version comes from the store.
    expect(alert.email).toContain(
      `    aws-auth-guardian restore --access-entries --cluster ${CLUSTER} --to ${baseline.id} --direct --store s3://${bucket}\n`,
    );
    expect(alert.email).toContain(
      `Way in of last resort: the cluster creator ${CREATOR}, through its access entry (username "arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ClusterCreator/{{SessionName}}", groups [], access policies AmazonEKSClusterAdminPolicy at cluster scope).`,
    );
    expect(alert.chatbot.metadata.threadId).toBe(`aws-auth-guardian/${CLUSTER}`);
    expect(alert.chatbot.content.nextSteps[0]).toBe(
      `\`aws-auth-guardian restore --access-entries --cluster ${CLUSTER} --to ${baseline.id}\``,
    );

    // Act: the on-call restores through the cluster-access function, with a proof of who asks.
    const { status, text, questions } = await restoreAccessEntriesThroughFunction(
      {
        bucket,
        topicArn,
        integrityKeyId,
        guardian: GUARDIAN,
        restoreOperators: `arn:aws:iam::${FAKE_ACCOUNT}:role/PlatformOnCall`,
        s3,
        sns,
        kms,
        eks: fake.client(KEYS.guardian),
        guardianKey: KEYS.guardian,
        stsUrl: sts.url,
      },
      CLUSTER,
      OPERATOR,
    );

    // Assess
    if (SHOW) console.log(`$ aws-auth-guardian restore --access-entries --cluster ${CLUSTER}\n${text}`);
    expect(status).toBe(0);
    expect(questions).toEqual([`Apply these steps to the access entries of ${CLUSTER}? [y/N] `]);
    expect(text).toContain(`delete access entry ${OUTSIDER}`);
    expect(text).toContain("Restored: 1 step(s). Verified: read back: the access entries match version");
    expect(
      fake
        .snapshot(CLUSTER)
        ?.entries.map((e) => e.principalArn)
        .sort(),
    ).toEqual([CREATOR, GUARDIAN].sort());
    const restored = published.at(-1) as Published;
    if (SHOW) console.log(`SUBJECT: ${restored.subject}\n\nE-MAIL:\n${restored.email}`);
    expect(restored.subject).toBe(`[access-entry RESTORED] ${CLUSTER}: back to ${baseline.id}`);
  });
});
