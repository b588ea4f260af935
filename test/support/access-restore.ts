/**
 * `aws-auth-guardian restore --access-entries` as an operator runs it against the deployed guardian: the
 * CLI's restore command, answered yes, invoking the cluster-access function (built over moto and the in-test
 * EKS) with the caller's proof added as the CLI's own Invoke adds it (proveRequest).
 */
import type { EKSClient } from "@aws-sdk/client-eks";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { restoreCommand } from "../../bin/commands/restore.js";
import { loadClusterAccessConfig } from "../../lambda/restore/config.js";
import { createHandler as createClusterAccessHandler } from "../../lambda/restore/create-handler.js";
import { proveRequest } from "../../lambda/restore/prove-request.js";
import type { FakeStsIdentity } from "./fake-sts.js";

/** The deployed cluster-access function's configuration and clients. */
export interface ClusterAccessDeployment {
  bucket: string;
  topicArn: string;
  integrityKeyId: string;
  /** GUARDIAN_WRITERS: the function's own role. */
  guardian: string;
  /** RESTORE_OPERATORS, when any. */
  restoreOperators?: string;
  s3: S3Client;
  sns: SNSClient;
  kms: KMSClient;
  /** EKS as the function's role reaches it. */
  eks: EKSClient;
  /** The function role's access key (its EKS token is signed with it). */
  guardianKey: string;
  /** The in-test STS that checks callers' proofs. */
  stsUrl: string;
}

export interface AccessRestoreRun {
  status: number;
  /** stdout and stderr as the terminal shows them, each question followed by the answer "y". */
  text: string;
  questions: string[];
}

export async function restoreAccessEntriesThroughFunction(
  deployment: ClusterAccessDeployment,
  cluster: string,
  caller: FakeStsIdentity,
): Promise<AccessRestoreRun> {
  const handler = createClusterAccessHandler(
    loadClusterAccessConfig({
      SNAPSHOT_BUCKET: deployment.bucket,
      ALERT_TOPIC_ARN: deployment.topicArn,
      AWS_REGION: "us-east-1",
      GUARDIAN_WRITERS: deployment.guardian,
      ...(deployment.restoreOperators ? { RESTORE_OPERATORS: deployment.restoreOperators } : {}),
      INTEGRITY_KEY_ID: deployment.integrityKeyId,
    }),
    {
      s3: deployment.s3,
      sns: deployment.sns,
      kms: deployment.kms,
      eks: deployment.eks,
      credentials: async () => ({ accessKeyId: deployment.guardianKey, secretAccessKey: "x" }),
      callerStsEndpoint: deployment.stsUrl,
    },
  );
  const prover = {
    credentials: async () => caller,
    region: async () => "us-east-1",
    stsEndpoint: deployment.stsUrl,
  };
  const out: string[] = [];
  const questions: string[] = [];
  const status = await restoreCommand({
    args: [],
    options: { accessEntries: true, cluster, function: "cluster-access" },
    io: {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
      readStdin: async () => Buffer.alloc(0),
      confirm: async (q) => {
        questions.push(q);
        out.push(`${q}y\n`);
        return true;
      },
    },
    deps: { invoke: async (event) => handler(await proveRequest(event, prover)) },
  });
  return { status, text: out.join(""), questions };
}
