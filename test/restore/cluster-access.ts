/**
 * What the cluster-access function's tests share: moto with an SNS topic (delivering to an SQS queue)
 * and the EKS cluster `CLUSTER`, an in-test STS that checks the callers' proofs, and the function's handler
 * wired to moto, that STS and an in-test API server.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { CreateClusterCommand, type EKSClient } from "@aws-sdk/client-eks";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  createEksClient,
  createKmsClient,
  createS3Client,
  createSnsClient,
} from "../../lambda/adapters/aws-clients.js";
import { describeCluster, type EksClusterAccess } from "../../lambda/cluster/describe-cluster.js";
import type { ClusterAccessConfig } from "../../lambda/restore/config.js";
import { type ClusterAccessClients, createHandler } from "../../lambda/restore/create-handler.js";
import { proveRequest } from "../../lambda/restore/prove-request.js";
import type { FakeApiServer } from "../support/fake-apiserver.js";
import { FakeSts, type FakeStsIdentity } from "../support/fake-sts.js";
import {
  clientConfig,
  createIntegrityKey,
  createTopicWithQueue,
  type MotoServer,
  startMoto,
} from "../support/moto.js";
import { ACCOUNT, ADMIN_ROLE, CLUSTER } from "./fixtures.js";

/**
 * The on-call engineer: the platform-admin role, which holds system:masters in GOOD_DATA, so the function
 * restores (without force) for it by default. Its keys are also what the CLI tests put in the environment.
 */
export const ONCALL: FakeStsIdentity = {
  accessKeyId: "testing",
  secretAccessKey: "testing",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${ADMIN_ROLE.split("/").pop()}/oncall`,
};

export interface ClusterAccessAws {
  moto: MotoServer;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  eks: EKSClient;
  kms: KMSClient;
  /** moto's HMAC key for record MACs: the function's `INTEGRITY_KEY_ID`. */
  integrityKeyId: string;
  /** Knows {@link ONCALL}; tests add other identities. */
  sts: FakeSts;
  topicArn: string;
  queueUrl: string;
  stop(): Promise<void>;
}

export async function startClusterAccessAws(topicName: string): Promise<ClusterAccessAws> {
  const moto = await startMoto();
  const s3 = createS3Client(moto.env);
  const sns = createSnsClient(moto.env);
  const sqs = new SQSClient(clientConfig(moto.env));
  const eks = createEksClient(moto.env);
  const kms = createKmsClient(moto.env);
  const sts = await FakeSts.start(moto.env.AWS_REGION);
  sts.add(ONCALL);
  const stop = async () => {
    for (const client of [s3, sns, sqs, eks, kms]) client.destroy();
    await sts.close();
    await moto.stop();
  };
  try {
    const { topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, topicName);
    const integrityKeyId = await createIntegrityKey(kms);
    await eks.send(
      new CreateClusterCommand({
        name: CLUSTER,
        roleArn: "arn:aws:iam::111122223333:role/eks-cluster",
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    return { moto, s3, sns, sqs, eks, kms, integrityKeyId, sts, topicArn, queueUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * DescribeCluster through moto, at `server`: moto answers with a made-up endpoint and CA, so everything
 * else it says (authentication mode, logging) is kept, but the endpoint and CA are `server`'s.
 */
export function describeClusterAt(
  server: FakeApiServer,
): (eks: EKSClient, name: string) => Promise<EksClusterAccess> {
  return async (eks, name) => ({
    ...(await describeCluster(eks, name)),
    endpoint: server.url,
    caData: server.caData,
  });
}

/** The function's handler over moto's S3, SNS and EKS, reaching `server` ({@link describeClusterAt}). */
export function clusterAccessHandler(
  config: ClusterAccessConfig,
  aws: Pick<ClusterAccessAws, "s3" | "sns" | "eks" | "kms" | "sts">,
  server: FakeApiServer,
  more: Partial<ClusterAccessClients> = {},
): ReturnType<typeof createHandler> {
  return createHandler(config, {
    s3: aws.s3,
    sns: aws.sns,
    eks: aws.eks,
    kms: aws.kms,
    credentials: async () => ({ accessKeyId: "AKIDGUARDIAN", secretAccessKey: "secret" }),
    describeCluster: describeClusterAt(server),
    logger: new Logger({ logLevel: "SILENT" }),
    callerStsEndpoint: aws.sts.url,
    ...more,
  });
}

/** Invokes `handler` the way the CLI does: each restore carries `who`'s proof, signed for the rig's STS. */
export function provenInvoke<R>(
  handler: (event: unknown) => Promise<R>,
  sts: FakeSts,
  who: FakeStsIdentity = ONCALL,
): (event: unknown) => Promise<R> {
  return async (event) =>
    handler(
      await proveRequest(event, {
        credentials: async () => who,
        region: async () => sts.region,
        stsEndpoint: sts.url,
      }),
    );
}
