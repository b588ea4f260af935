/** Wires the classifier's adapters to the core; tests call this with clients pointed at moto. */
import { InvokeCommand, type LambdaClient } from "@aws-sdk/client-lambda";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SNSClient } from "@aws-sdk/client-sns";
import { S3BlobStore } from "../adapters/s3-blob-store.js";
import { SnsNotifier } from "../adapters/sns-notifier.js";
import { SnapshotStore } from "../core/snapshot-store.js";
import type { ClassifierConfig } from "./config.js";
import { type BatchResult, guardBlobStore, guardNotifier, processLogsEvent } from "./process-batch.js";
import { logger, metrics } from "./telemetry.js";

export interface ClassifierClients {
  s3: S3Client;
  sns: SNSClient;
  lambda: LambdaClient;
}

export function createHandler(config: ClassifierConfig, clients: ClassifierClients) {
  const store = new SnapshotStore(guardBlobStore(new S3BlobStore(clients.s3, config.bucket)));
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
