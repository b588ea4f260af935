/**
 * The bundled classifier end to end with CloudTrail-shaped EventBridge events: every watched event
 * name, accepted and refused, URL-encoded ARNs, redelivery, an unguarded cluster, an unreadable
 * picture. S3 and SNS are moto; EKS is the in-test access-entry fake, which also writes the CloudTrail
 * records of the calls the test makes through the real SDK.
 */
import { KMSClient } from "@aws-sdk/client-kms";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import { IntegrityBlobStore } from "../../lambda/adapters/integrity-blob-store.js";
import { KmsMac } from "../../lambda/adapters/kms-mac.js";
import { S3BlobStore } from "../../lambda/adapters/s3-blob-store.js";
import { captureAccessPicture } from "../../lambda/core/access-pipeline.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { makePolicy } from "../../lambda/core/policy.js";
import { restoreAccessEntriesThroughFunction } from "../support/access-restore.js";
import { type BundledClassifier, bundleClassifier, type Invocation } from "../support/bundled-classifier.js";
import {
  type CloudTrailEventBridgeEvent,
  FAKE_ACCOUNT,
  FakeEks,
  POLICY_PREFIX,
} from "../support/fake-eks.js";
import { FakeSts, type FakeStsIdentity } from "../support/fake-sts.js";
import {
  clientConfig,
  createIntegrityKey,
  createTopicWithQueue,
  createVersionedBucket,
  drainQueue,
  type MotoServer,
  startMoto,
} from "../support/moto.js";

const CLUSTER = "prod";
const CREATOR = `arn:aws:iam::${FAKE_ACCOUNT}:role/platform/ClusterCreator`;
const GUARDIAN = `arn:aws:iam::${FAKE_ACCOUNT}:role/AwsAuthGuardian-ClusterAccessRole`;
const OUTSIDER = "arn:aws:iam::444455556666:role/outsider";
const DEV = `arn:aws:iam::${FAKE_ACCOUNT}:role/teams/Developer`;
const ADMIN = `${POLICY_PREFIX}AmazonEKSClusterAdminPolicy`;
const EDIT = `${POLICY_PREFIX}AmazonEKSEditPolicy`;
const VIEW = `${POLICY_PREFIX}AmazonEKSViewPolicy`;
/** Access keys the fake maps to callers. */
const KEYS = {
  admin: "AKIAPLATFORMADMIN",
  attacker: "AKIACIDEPLOYER",
  classifier: "AKIACLASSIFIER",
  guardian: "AKIAGUARDIAN",
} as const;

/** The cluster's creator, signing in through its role: the function restores for it by default. */
const CREATOR_SESSION: FakeStsIdentity = {
  accessKeyId: "AKIACREATOR",
  secretAccessKey: "creator-secret",
  arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ClusterCreator/alice`,
};

interface ChatbotAlert {
  content: { title: string; description: string; nextSteps: string[] };
  metadata: { threadId: string; additionalContext: Record<string, string> };
}

describe("bundled classifier with access-entry events", () => {
  let moto: MotoServer;
  let fake: FakeEks;
  let sts: FakeSts;
  let classifier: BundledClassifier;
  let s3: S3Client;
  let sqs: SQSClient;
  let kms: KMSClient;
  /** The record-MAC key: the bundled classifier signs with it, the cluster-access function verifies. */
  let integrityKeyId: string;
  let bucket: string;
  let topicArn: string;
  let queueUrl: string;
  let run = 0;

  beforeAll(async () => {
    [moto, fake, classifier, sts] = await Promise.all([
      startMoto(),
      FakeEks.start({
        callers: {
          [KEYS.admin]: { arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/PlatformAdmin/alice` },
          [KEYS.attacker]: {
            arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ci-deployer/i-0abc`,
            sourceIPAddress: "203.0.113.66",
            userAgent: "aws-sdk-go-v2/1.30.0 stratus-red-team",
          },
          [KEYS.classifier]: { arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/ClassifierRole/classifier` },
          [KEYS.guardian]: {
            arn: `arn:aws:sts::${FAKE_ACCOUNT}:assumed-role/AwsAuthGuardian-ClusterAccessRole/restore`,
          },
        },
      }),
      bundleClassifier(),
      FakeSts.start("us-east-1"),
    ]);
    sts.add(CREATOR_SESSION);
    s3 = new S3Client({ ...clientConfig(moto.env), forcePathStyle: true });
    sqs = new SQSClient(clientConfig(moto.env));
    kms = new KMSClient(clientConfig(moto.env));
    integrityKeyId = await createIntegrityKey(kms);
  });
  afterAll(async () => {
    await Promise.all([moto?.stop(), fake?.stop(), classifier?.dispose(), sts?.close()]);
  });

  /** A fresh bucket, topic and cluster, with the guardian's entry and a baseline capture. */
  async function setUp(cluster: string) {
    run++;
    bucket = `access-${run}`;
    await createVersionedBucket(s3, bucket);
    const sns = new SNSClient(clientConfig(moto.env));
    ({ topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, `access-alerts-${run}`));
    fake.addCluster({ name: cluster, creatorArn: CREATOR });
    const admin = new EksAccessEntryApi(fake.client(KEYS.admin));
    await admin.createAccessEntry(cluster, { principalArn: GUARDIAN });
    await admin.associateAccessPolicy(cluster, GUARDIAN, EDIT, {
      type: "namespace",
      namespaces: ["kube-system"],
    });
    await captureAccessPicture(
      {
        store: store(),
        api: admin,
        now: () => new Date(),
        policy: makePolicy({ clusterAccount: FAKE_ACCOUNT }),
      },
      cluster,
      "baseline",
    );
    return { admin, attacker: new EksAccessEntryApi(fake.client(KEYS.attacker)) };
  }

  /** The store as the guardian's writers see it: each record filed with its MAC. */
  function store(): AccessStore {
    return new AccessStore(
      new IntegrityBlobStore(new S3BlobStore(s3, bucket), { signer: new KmsMac(kms, integrityKeyId) }),
    );
  }

  function env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AWS_REGION: "us-east-1",
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_EKS: fake.endpoint,
      AWS_ACCESS_KEY_ID: KEYS.classifier,
      AWS_SECRET_ACCESS_KEY: "testing",
      SNAPSHOT_BUCKET: bucket,
      ALERT_TOPIC_ARN: topicArn,
      GUARDIAN_ACCESS_ROLE_ARN: GUARDIAN,
      INTEGRITY_KEY_ID: integrityKeyId,
      ...extra,
    };
  }

  /** The events the fake recorded since `mark`, as EventBridge delivers them. */
  function since(mark: number): CloudTrailEventBridgeEvent[] {
    return fake.events().slice(mark);
  }

  async function alerts(): Promise<
    { subject: string; chatbot: ChatbotAlert; attributes: Record<string, string> }[]
  > {
    return (await drainQueue(sqs, queueUrl)).map((envelope) => ({
      subject: envelope.Subject ?? "",
      chatbot: JSON.parse(envelope.Message) as ChatbotAlert,
      attributes: Object.fromEntries(
        Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value]),
      ),
    }));
  }

  function values(results: Invocation[]): Record<string, unknown>[] {
    return results.map((r) => {
      if (!r.ok) throw new Error(`invocation failed: ${r.error}`);
      return r.value;
    });
  }

  it("alerts on a foreign principal made cluster admin, with the command that undoes it", async () => {
    // Prepare
    const { attacker } = await setUp(CLUSTER);
    const mark = fake.events().length;
    await attacker.createAccessEntry(CLUSTER, { principalArn: OUTSIDER });
    await attacker.associateAccessPolicy(CLUSTER, OUTSIDER, ADMIN, { type: "cluster", namespaces: [] });
    const events = since(mark);

    // Act
    const results = values(await classifier.invoke(events, env()));

    // Assess
    expect(events[1]?.detail.requestParameters).toMatchObject({ principalArn: encodeURIComponent(OUTSIDER) });
    expect(results.map((r) => (r.processed as { class: string }[])[0]?.class)).toEqual([
      "dangerous",
      "dangerous",
    ]);
    const sent = await alerts();
    expect(sent).toHaveLength(2);
    const admin = sent[1];
    expect(admin?.subject).toBe(
      "[access-entry DANGEROUS] prod: role/outsider was made administrator of the whole cluster (AmazonEK…",
    );
    expect(admin?.attributes).toEqual({
      severity: "critical",
      class: "dangerous",
      cluster: CLUSTER,
      source: "access-entries",
    });
    expect(admin?.chatbot.metadata.threadId).toBe(`aws-auth-guardian/${CLUSTER}`);
    expect(admin?.chatbot.content.description).toContain("ci-deployer");
    expect(admin?.chatbot.content.description).toContain("203.0.113.66");
    expect(admin?.chatbot.content.description).toContain(
      "AmazonEKSClusterAdminPolicy for arn:aws:iam::444455556666:role/outsider at cluster scope",
    );
    // Both calls landed before either was processed: the first record's picture already holds the
    // association, which must not turn into "(was cluster scope)".
    expect(admin?.chatbot.content.description).not.toContain("(was");
    const baseline = (await store().listIds(CLUSTER))[0];
    expect(admin?.chatbot.content.nextSteps[0]).toBe(
      `\`aws-auth-guardian restore --access-entries --cluster prod --to ${baseline}\``,
    );
    const latest = await store().resolve(CLUSTER, "latest");
    expect(latest?.state).toBe("verified");
    expect(latest?.picture?.entries.find((e) => e.principalArn === OUTSIDER)?.policies[0]?.policyArn).toBe(
      ADMIN,
    );
    expect(latest?.findings.map((f) => f.id)).toEqual(["access-cluster-admin", "access-foreign-principal"]);
    expect((await store().resolve(CLUSTER, "last-good"))?.id).toBe(baseline);
    // The bundled classifier signed what it filed: the cluster-access function's verifying read accepts it.
    const verifying = new AccessStore(
      new IntegrityBlobStore(new S3BlobStore(s3, bucket), { verifier: new KmsMac(kms, integrityKeyId) }),
    );
    expect((await verifying.resolve(CLUSTER, "latest"))?.id).toBe(latest?.id);
  });

  it("restores through the cluster-access function: dry run, confirmation, the foreign admin removed, read back", async () => {
    // Prepare
    const cluster = "restore";
    const { attacker } = await setUp(cluster);
    const mark = fake.events().length;
    await attacker.createAccessEntry(cluster, { principalArn: OUTSIDER });
    await attacker.associateAccessPolicy(cluster, OUTSIDER, ADMIN, { type: "cluster", namespaces: [] });
    await attacker.deleteAccessEntry(cluster, CREATOR);
    await classifier.invoke(since(mark), env());
    await alerts();
    // What discovery records about the cluster: its creator, whom the function restores for by default.
    await store().putClusterInfo({
      cluster,
      at: new Date().toISOString(),
      creator: CREATOR,
      creatorSource: "cloudtrail",
    });
    const sns = new SNSClient(clientConfig(moto.env));
    const restoreMark = fake.events().length;

    // Act: the cluster's creator restores through the cluster-access function, proving who asks.
    const { status, text, questions } = await restoreAccessEntriesThroughFunction(
      {
        bucket,
        topicArn,
        integrityKeyId,
        guardian: GUARDIAN,
        s3,
        sns,
        kms,
        eks: fake.client(KEYS.guardian),
        guardianKey: KEYS.guardian,
        stsUrl: sts.url,
      },
      cluster,
      CREATOR_SESSION,
    );

    // Assess
    expect(status).toBe(0);
    expect(questions).toEqual([`Apply these steps to the access entries of ${cluster}? [y/N] `]);
    expect(text).toContain(`create access entry ${CREATOR} (STANDARD)`);
    expect(text).toContain(`associate ${ADMIN} with ${CREATOR} at cluster scope`);
    expect(text).toContain(`delete access entry ${OUTSIDER}`);
    expect(text).toContain("Restored: 3 step(s). Verified: read back: the access entries match version");
    const blobs = new S3BlobStore(s3, bucket);
    const filed = await Promise.all(
      (await blobs.list(`clusters/${cluster}/access/restores/`)).map(
        async (key) => JSON.parse((await blobs.get(key))?.body ?? "{}") as { by?: string; outcome?: string },
      ),
    );
    expect(filed).toEqual([
      expect.objectContaining({ outcome: "restored", by: `${CREATOR_SESSION.arn} (created the cluster)` }),
    ]);
    const live = fake.snapshot(cluster);
    expect(live?.entries.map((e) => e.principalArn)).toEqual([GUARDIAN, CREATOR].sort());
    const restoreEvents = since(restoreMark);
    expect(restoreEvents.map((e) => e.detail.eventName)).toEqual([
      "CreateAccessEntry",
      "AssociateAccessPolicy",
      "DeleteAccessEntry",
    ]);
    const restored = (await alerts()).map((a) => a.subject);
    expect(restored).toContain(
      `[access-entry RESTORED] ${cluster}: back to ${(await store().listIds(cluster))[0]}`,
    );
    // The classifier sees the restore's own calls, and says they are the guardian's: re-granting
    // cluster admin is still reported as what it is.
    const seen = values(await classifier.invoke(restoreEvents, env({ GUARDIAN_WRITERS: GUARDIAN })));
    const classes = seen.map((r) => (r.processed as { class: string }[])[0]?.class);
    expect(classes).toEqual(["routine", "dangerous", "routine"]);
    const readmin = ((seen[1]?.processed ?? []) as { recordId: string }[])[0]?.recordId ?? "";
    expect((await store().getRecord(cluster, readmin))?.findings.map((f) => f.id)).toEqual([
      "access-cluster-admin",
      "guardian-write",
    ]);
    expect((await store().resolve(cluster, "latest"))?.good).toBe(true);
  });

  it("judges every watched call, accepted and refused, and decodes URL-encoded ARNs", async () => {
    // Prepare
    const cluster = "every";
    const { admin, attacker } = await setUp(cluster);
    const mark = fake.events().length;
    await admin.createAccessEntry(cluster, { principalArn: DEV, kubernetesGroups: ["developers"] });
    await admin.associateAccessPolicy(cluster, DEV, VIEW, { type: "namespace", namespaces: ["dev"] });
    await admin.updateAccessEntry(cluster, DEV, { kubernetesGroups: ["developers", "oncall"] });
    await admin.disassociateAccessPolicy(cluster, DEV, VIEW);
    await admin.deleteAccessEntry(cluster, DEV);
    await admin.createAccessEntry(cluster, { principalArn: CREATOR }).catch(() => undefined); // 409
    fake.deny(KEYS.attacker, ["AssociateAccessPolicy"]);
    await attacker
      .associateAccessPolicy(cluster, CREATOR, ADMIN, { type: "cluster", namespaces: [] })
      .catch(() => 0);
    fake.allow(KEYS.attacker);
    await admin.updateAuthenticationMode(cluster, "API");
    await admin.disassociateAccessPolicy(cluster, GUARDIAN, EDIT);
    await admin.deleteAccessEntry(cluster, GUARDIAN);
    const events = since(mark);

    // Act
    const results = values(await classifier.invoke(events, env()));

    // Assess
    const outcomes = results.map((r) => {
      const processed = r.processed as { eventName: string; class: string; alerted: boolean }[];
      return processed.map((p) => `${p.eventName}:${p.class}:${p.alerted ? "alert" : "quiet"}`)[0];
    });
    expect(outcomes).toEqual([
      "CreateAccessEntry:routine:alert",
      "AssociateAccessPolicy:routine:alert",
      "UpdateAccessEntry:routine:alert",
      "DisassociateAccessPolicy:routine:alert",
      "DeleteAccessEntry:routine:alert",
      "CreateAccessEntry:rejected:quiet",
      "AssociateAccessPolicy:rejected:alert",
      "UpdateClusterConfig:dangerous:alert",
      "DisassociateAccessPolicy:dangerous:alert",
      "DeleteAccessEntry:dangerous:alert",
    ]);
    const subjects = (await alerts()).map((a) => a.subject);
    expect(subjects).toContain(
      "[access-entry REJECTED] every: role/ci-deployer tried AssociateAccessPolicy for role/ClusterCreato…",
    );
    expect(subjects[0]).toBe("[access-entry ROUTINE] every: access entry for role/Developer created");
    expect(
      subjects.some((s) => s.includes("Authentication mode changed from API_AND_CONFIG_MAP to API")),
    ).toBe(true);
    expect(subjects.some((s) => s.includes("The guardian's own access entry"))).toBe(true);
    const records = await Promise.all(
      (await store().listIds(cluster)).map((id) => store().getRecord(cluster, id)),
    );
    const disassociate = records.find((r) => r?.event?.eventName === "DisassociateAccessPolicy");
    expect(disassociate?.event?.principalArn).toBe(DEV);
    expect(disassociate?.event?.policyArn).toBe(VIEW);
    expect(records.at(-1)?.picture?.authenticationMode).toBe("API");
    expect(records.at(-1)?.findings.map((f) => f.id)).toContain("access-guardian-entry-removed");
  });

  it("files and alerts once when EventBridge delivers the same event twice", async () => {
    const cluster = "redelivery";
    const { attacker } = await setUp(cluster);
    const mark = fake.events().length;
    await attacker.createAccessEntry(cluster, { principalArn: OUTSIDER });
    const [event] = since(mark);

    const first = values(await classifier.invoke([event], env()));
    const second = values(await classifier.invoke([event, event], env()));

    const duplicates = [...first, ...second].map(
      (r) => (r.processed as { duplicate: boolean }[])[0]?.duplicate,
    );
    expect(duplicates).toEqual([false, true, true]);
    expect(await alerts()).toHaveLength(1);
    expect(await store().listIds(cluster)).toHaveLength(2); // the baseline and this one
  });

  it("ignores clusters it does not guard and records an unverified state when the read fails", async () => {
    const cluster = "unverified";
    const { attacker } = await setUp(cluster);
    const mark = fake.events().length;
    await attacker.createAccessEntry(cluster, { principalArn: DEV });
    const [event] = since(mark);

    const unguarded = values(await classifier.invoke([event], env({ GUARDED_CLUSTERS: "other,clusters" })));
    fake.deny(KEYS.classifier, ["ListAccessEntries"]);
    const denied = values(await classifier.invoke([event], env({ GUARDED_CLUSTERS: `other,${cluster}` })));
    fake.allow(KEYS.classifier);

    expect(unguarded[0]).toMatchObject({ unguarded: 1, processed: [] });
    expect(denied[0]).toMatchObject({ processed: [{ state: "unverified", alerted: true }] });
    const latest = await store().resolve(cluster, "latest");
    expect(latest?.readError).toContain("AccessDeniedException");
    expect(latest?.good).toBe(false);
    const [alert] = await alerts();
    expect(alert?.chatbot.content.description).toContain("unverified");
  });

  it("counts a malformed event and goes on", async () => {
    await setUp("malformed");
    const bad = {
      version: "0",
      id: "x",
      "detail-type": "AWS API Call via CloudTrail",
      source: "aws.eks",
      account: FAKE_ACCOUNT,
      time: "2026-11-29T09:00:00Z",
      region: "us-east-1",
      resources: [],
      detail: { eventID: "../../etc/passwd", eventName: "CreateAccessEntry" },
    };

    const [result] = values(await classifier.invoke([bad], env()));

    expect(result).toMatchObject({ malformed: 1, processed: [] });
  });
});
