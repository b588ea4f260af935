/** Wires the classifier's adapters to the core; tests call this with clients pointed at moto. */
import { EKSClient } from "@aws-sdk/client-eks";
import { KMSClient } from "@aws-sdk/client-kms";
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { EksAccessEntryApi } from "../adapters/eks-access-entries.js";
import { IntegrityBlobStore } from "../adapters/integrity-blob-store.js";
import { KmsMac } from "../adapters/kms-mac.js";
import { S3BlobStore } from "../adapters/s3-blob-store.js";
import { SnsNotifier } from "../adapters/sns-notifier.js";
import { isEventBridgeEvent } from "../core/access-event.js";
import { AccessStore } from "../core/access-store.js";
import type { BlobStore } from "../core/ports.js";
import { SnapshotStore } from "../core/snapshot-store.js";
import { type AccessBatchResult, processEventBridgeEvent } from "./access-events.js";
import type { ClassifierConfig } from "./config.js";
import { type BatchResult, guardBlobStore, guardNotifier, processLogsEvent } from "./process-batch.js";
import { logger, metrics } from "./telemetry.js";

export interface ClassifierClients {
  s3: S3Client;
  sns: SNSClient;
  lambda: LambdaClient;
  /** Read-only EKS calls for the access picture after an access-entry change. @default - a client from the environment */
  eks?: EKSClient;
  /** KMS GenerateMac for the record MACs, when `integrityKeyId` is set. @default - a client from the environment */
  kms?: KMSClient;
}

/** The snapshot bucket as the classifier writes it: each record with the guardian's MAC when a key is set. */
function classifierBlobs(config: ClassifierConfig, clients: ClassifierClients): BlobStore {
  const s3 = new S3BlobStore(clients.s3, config.bucket);
  if (!config.integrityKeyId) return guardBlobStore(s3);
  const signer = new KmsMac(clients.kms ?? new KMSClient({ region: config.region }), config.integrityKeyId);
  return guardBlobStore(new IntegrityBlobStore(s3, { signer }));
}

/**
 * The deployed classifier: EventBridge events (CloudTrail records of access-entry calls) and
 * CloudWatch Logs deliveries (aws-auth audit events) reach the same function; their shapes tell
 * them apart.
 */
export function createClassifierHandler(config: ClassifierConfig, clients: ClassifierClients) {
  const logs = createHandler(config, clients);
  const access = createAccessHandler(config, clients);
  return async (event: unknown): Promise<BatchResult | AccessBatchResult> =>
    isEventBridgeEvent(event) ? access(event) : logs(event);
}

/** EventBridge deliveries of access-entry calls. */
export function createAccessHandler(config: ClassifierConfig, clients: ClassifierClients) {
  const blobs = classifierBlobs(config, clients);
  const markers = new SnapshotStore(blobs);
  const store = new AccessStore(blobs);
  const notifier = guardNotifier(new SnsNotifier(clients.sns, config.topicArn));
  const api = new EksAccessEntryApi(clients.eks ?? new EKSClient({ region: config.region }));
  return async (event: unknown): Promise<AccessBatchResult> => {
    try {
      return await processEventBridgeEvent(event, {
        pipeline: {
          store,
          markers,
          notifier,
          api,
          policy: config.policy,
          ...(config.guardianAccessRoleArn ? { guardianRoleArn: config.guardianAccessRoleArn } : {}),
          creatorOf: (cluster) => store.creatorOf(cluster),
          now: () => new Date(),
        },
        guardedClusters: config.guardedClusters,
        logger,
        metrics,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** CloudWatch Logs deliveries of aws-auth audit events. */
export function createHandler(config: ClassifierConfig, clients: ClassifierClients) {
  const store = new SnapshotStore(classifierBlobs(config, clients));
  const notifier = guardNotifier(new SnsNotifier(clients.sns, config.topicArn));
  const captureFunction = config.captureFunctionName;
  const requestCapture = captureFunction
    ? async (cluster: string, reason: string) => {
        // Asynchronous: the capture must not hold up the stream, and Lambda retries it on its own.
        await clients.lambda.send(
          new InvokeCommand({
            FunctionName: captureFunction,
            InvocationType: "Event",
            Payload: new TextEncoder().encode(JSON.stringify({ action: "capture", cluster, reason })),
          }),
        );
      }
    : undefined;
  return async (event: unknown): Promise<BatchResult> => {
    try {
      return await processLogsEvent(event, {
        pipeline: {
          store,
          notifier,
          policy: config.policy,
          ...(requestCapture ? { requestCapture } : {}),
          now: () => new Date(),
        },
        logger,
        metrics,
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
