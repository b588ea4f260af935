/**
 * What the cluster-access function's tests share: moto with an SNS topic (delivering to an SQS queue)
 * and the EKS cluster `CLUSTER`, and the function's handler wired to moto and an in-test API server.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { CreateClusterCommand, type EKSClient } from "@aws-sdk/client-eks";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { createEksClient, createS3Client, createSnsClient } from "../../lambda/adapters/aws-clients.js";
import { describeCluster } from "../../lambda/cluster/describe-cluster.js";
import type { ClusterAccessConfig } from "../../lambda/restore/config.js";
import { type ClusterAccessClients, createHandler } from "../../lambda/restore/create-handler.js";
import type { FakeApiServer } from "../support/fake-apiserver.js";
import { clientConfig, createTopicWithQueue, type MotoServer, startMoto } from "../support/moto.js";
import { CLUSTER } from "./fixtures.js";

export interface ClusterAccessAws {
  moto: MotoServer;
  s3: S3Client;
  sns: SNSClient;
  sqs: SQSClient;
  eks: EKSClient;
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
  const stop = async () => {
    for (const client of [s3, sns, sqs, eks]) client.destroy();
    await moto.stop();
  };
  try {
    const { topicArn, queueUrl } = await createTopicWithQueue(sns, sqs, topicName);
    await eks.send(
      new CreateClusterCommand({
        name: CLUSTER,
        roleArn: "arn:aws:iam::111122223333:role/eks-cluster",
        resourcesVpcConfig: { subnetIds: [] },
      }),
    );
    return { moto, s3, sns, sqs, eks, topicArn, queueUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The function's handler over moto's S3, SNS and EKS. moto's DescribeCluster answers with a made-up
 * endpoint and CA: everything else it says (authentication mode, logging) is kept, but the endpoint
 * and CA are `server`'s.
 */
export function clusterAccessHandler(
  config: ClusterAccessConfig,
  aws: Pick<ClusterAccessAws, "s3" | "sns" | "eks">,
  server: FakeApiServer,
  more: Partial<ClusterAccessClients> = {},
): ReturnType<typeof createHandler> {
  return createHandler(config, {
    s3: aws.s3,
    sns: aws.sns,
    eks: aws.eks,
    credentials: async () => ({ accessKeyId: "AKIDGUARDIAN", secretAccessKey: "secret" }),
    describeCluster: async (client, name) => ({
      ...(await describeCluster(client, name)),
      endpoint: server.url,
      caData: server.caData,
    }),
    logger: new Logger({ logLevel: "SILENT" }),
    ...more,
  });
}
