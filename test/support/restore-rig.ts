/**
 * The rig the cluster-access function's restore tests share (the gate, record integrity): one moto (S3,
 * SNS delivering to SQS, KMS, EKS) and one in-test STS for a suite, and for each test a fresh versioned
 * bucket, an in-test API server that lets the guardian's EKS token in, and the function's handler over
 * them with a baseline captured (GOOD_DATA, signed) before the live aws-auth is escalated (ESCALATED_DATA).
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import type { EksClusterAccess } from "../../lambda/cluster/describe-cluster.js";
import { loadClusterAccessConfig } from "../../lambda/restore/config.js";
import type { ClusterAccessResult } from "../../lambda/restore/create-handler.js";
import {
  type ClusterAccessAws,
  clusterAccessHandler,
  describeClusterAt,
  startClusterAccessAws,
} from "../restore/cluster-access.js";
import { ACCOUNT, awsAuth, CLUSTER, ESCALATED_DATA, GOOD_DATA } from "../restore/fixtures.js";
import { FakeApiServer } from "./fake-apiserver.js";
import type { FakeStsIdentity } from "./fake-sts.js";
import { createVersionedBucket, drainQueue } from "./moto.js";

/** Who the API server sees when the function calls with its EKS token. */
export const GUARDIAN = `arn:aws:sts::${ACCOUNT}:assumed-role/aws-auth-guardian-cluster-access/fn`;
/** RESTORE_OPERATORS of every rig: sessions of the sre-* roles may restore, with force. */
export const RESTORE_OPERATORS = `arn:aws:iam::${ACCOUNT}:role/sre-*`;

/**
 * Starts {@link startClusterAccessAws} once before the calling suite, with `identities` known to its STS
 * besides ONCALL, and stops it after the suite; the getter answers inside hooks and tests.
 */
export function clusterAccessAwsForSuite(
  topicName: string,
  identities: FakeStsIdentity[] = [],
): () => ClusterAccessAws {
  let aws: ClusterAccessAws | undefined;
  beforeAll(async () => {
    aws = await startClusterAccessAws(topicName);
    for (const identity of identities) aws.sts.add(identity);
  });
  afterAll(async () => {
    await aws?.stop();
  });
  return () => {
    if (aws === undefined) throw new Error("the suite's moto is not started (used outside its suite?)");
    return aws;
  };
}

export interface RestoreRigOptions {
  /**
   * What DescribeCluster says of the cluster besides where it is; by default moto's answer (CONFIG_MAP, no
   * audit logs). An access-entry restore needs `API_AND_CONFIG_MAP`.
   */
  cluster?: Partial<Pick<EksClusterAccess, "authenticationMode" | "auditLoggingEnabled">>;
}

/** One test's rig; its fields are replaced before each test. */
export interface RestoreRig {
  readonly aws: ClusterAccessAws;
  readonly server: FakeApiServer;
  readonly bucket: string;
  /** The function's handler over this test's bucket and server, on the rig's clock. */
  readonly handler: (event: unknown) => Promise<ClusterAccessResult>;
  /** The baseline the function captured: a genuine, signed record of GOOD_DATA. */
  readonly baselineId: string;
  /** API server requests made before the test's act (the baseline capture). */
  readonly before: number;
  /** DescribeCluster calls by the handler since the baseline capture. */
  readonly described: number;
  /** The function's clock: set it to move the function in time; undefined (each test's start) is now. */
  now: Date | undefined;
  /** The JSON records under `prefix` in the bucket. */
  records(prefix: string): Promise<Record<string, unknown>[]>;
  read(key: string): Promise<string>;
  /** Writes straight to the bucket, as anyone with s3:PutObject could (no MAC). */
  put(key: string, body: string): Promise<void>;
}

let buckets = 0;

/**
 * Gives each test of the calling suite a fresh {@link RestoreRig} over the suite's moto: a new versioned
 * bucket, the queue and STS's record of calls emptied, an API server holding GOOD_DATA captured as the
 * baseline and then ESCALATED_DATA (the contractor made itself system:masters), the queue drained again.
 */
export function restoreRigForEachTest(
  awsOf: () => ClusterAccessAws,
  options: RestoreRigOptions = {},
): RestoreRig {
  const state = {
    server: undefined as FakeApiServer | undefined,
    bucket: "",
    handler: undefined as RestoreRig["handler"] | undefined,
    baselineId: "",
    before: 0,
    described: 0,
  };
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the rig's ${what} exists only inside a test`);
    return value;
  };
  const rig: RestoreRig = {
    get aws() {
      return awsOf();
    },
    get server() {
      return need(state.server, "server");
    },
    get bucket() {
      return state.bucket;
    },
    get handler() {
      return need(state.handler, "handler");
    },
    get baselineId() {
      return state.baselineId;
    },
    get before() {
      return state.before;
    },
    get described() {
      return state.described;
    },
    now: undefined,
    async records(prefix) {
      const listed = await rig.aws.s3.send(
        new ListObjectsV2Command({ Bucket: state.bucket, Prefix: prefix }),
      );
      const records: Record<string, unknown>[] = [];
      for (const object of listed.Contents ?? []) {
        records.push(JSON.parse(await rig.read(object.Key ?? "")) as Record<string, unknown>);
      }
      return records;
    },
    async read(key) {
      const got = await rig.aws.s3.send(new GetObjectCommand({ Bucket: state.bucket, Key: key }));
      return (await got.Body?.transformToString()) ?? "";
    },
    async put(key, body) {
      await rig.aws.s3.send(new PutObjectCommand({ Bucket: state.bucket, Key: key, Body: body }));
    },
  };

  beforeEach(async () => {
    const aws = awsOf();
    buckets += 1;
    state.bucket = `restore-rig-${buckets}`;
    await createVersionedBucket(aws.s3, state.bucket);
    await drainQueue(aws.sqs, aws.queueUrl);
    aws.sts.calls.length = 0;
    aws.sts.now = () => new Date();
    rig.now = undefined;
    const server = await FakeApiServer.start({
      authenticate: (token) =>
        token.startsWith("k8s-aws-v1.") ? { user: GUARDIAN, allowed: true } : undefined,
    });
    state.server = server;
    const config = loadClusterAccessConfig({
      SNAPSHOT_BUCKET: state.bucket,
      ALERT_TOPIC_ARN: aws.topicArn,
      AWS_REGION: aws.moto.env.AWS_REGION,
      INTEGRITY_KEY_ID: aws.integrityKeyId,
      GUARDIAN_WRITERS: `arn:aws:iam::${ACCOUNT}:role/aws-auth-guardian-cluster-access`,
      RESTORE_OPERATORS,
    });
    const describe = describeClusterAt(server);
    state.handler = clusterAccessHandler(config, aws, server, {
      now: () => rig.now ?? new Date(),
      describeCluster: async (eks, name) => {
        state.described += 1;
        return { ...(await describe(eks, name)), ...options.cluster };
      },
    });
    server.seed(awsAuth(GOOD_DATA));
    const captured = await state.handler({ action: "capture", cluster: CLUSTER, reason: "baseline" });
    state.baselineId = (captured as { recordId?: string }).recordId ?? "";
    server.seed(awsAuth(ESCALATED_DATA));
    state.before = server.requests.length;
    state.described = 0;
    await drainQueue(aws.sqs, aws.queueUrl);
  });

  afterEach(async () => {
    await state.server?.close();
    state.server = undefined;
    state.handler = undefined;
  });

  return rig;
}
