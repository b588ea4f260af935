/**
 * One CloudWatch Logs delivery: decode it, then run every write to aws-auth through the pipeline.
 * Nothing one event contains fails the delivery: a malformed or irrelevant event is logged and
 * counted, a write that cannot be judged on its content is filed as a write whose content is not
 * known (alerting, and asking for a capture), and the rest goes on. Only a failure of S3, SNS or
 * Lambda fails the whole invocation, so that Lambda retries it, and the retry skips what already
 * succeeded (the pipeline is idempotent).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import type { AwsAuthWrite } from "../core/audit-event.js";
import { decodeAwsLogsEvent } from "../core/audit-input.js";
import { type PipelineDeps, processWrite, type WriteOutcome } from "../core/pipeline.js";
import { makePolicy } from "../core/policy.js";
import type { BlobStore, Notifier } from "../core/ports.js";

/** A dependency (S3, SNS, Lambda) failed: the invocation must fail so that it is retried. */
export class DependencyError extends Error {
  override readonly name = "DependencyError";
}

const MAX_LOGGED = 200;

/** Attacker-chosen text in a log line or error message, bounded. */
function shown(text: string): string {
  return text.length > MAX_LOGGED ? `${text.slice(0, MAX_LOGGED)}…` : text;
}

async function guarded<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof DependencyError) throw error;
    throw new DependencyError(`${what} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** Marks every failure of a blob store as a dependency failure. */
export function guardBlobStore(store: BlobStore): BlobStore {
  return {
    get: (key) => guarded(`read ${shown(key)}`, () => store.get(key)),
    putIfAbsent: (key, body) => guarded(`write ${shown(key)}`, () => store.putIfAbsent(key, body)),
    putIfMatch: (key, body, etag) => guarded(`write ${shown(key)}`, () => store.putIfMatch(key, body, etag)),
    delete: (key) => guarded(`delete ${shown(key)}`, () => store.delete(key)),
    list: (prefix) => guarded(`list ${shown(prefix)}`, () => store.list(prefix)),
    locate: (key) => store.locate(key),
  };
}

export function guardNotifier(notifier: Notifier): Notifier {
  return { publish: (alert) => guarded("publish alert", () => notifier.publish(alert)) };
}

export interface BatchDeps {
  pipeline: PipelineDeps;
  logger: Logger;
  metrics: Metrics;
}

export interface BatchResult {
  processed: WriteOutcome[];
  malformed: number;
  irrelevant: number;
  controlMessages: number;
}

function countWrite(metrics: Metrics, outcome: WriteOutcome): void {
  const byClass = metrics.singleMetric();
  byClass.addDimension("class", outcome.class);
  byClass.addMetric("Writes", MetricUnit.Count, 1);
  if (outcome.alerted) metrics.addMetric("AlertsSent", MetricUnit.Count, 1);
  if (outcome.captureRequested) metrics.addMetric("CaptureRequests", MetricUnit.Count, 1);
  if (outcome.duplicate) metrics.addMetric("StoreConflicts", MetricUnit.Count, 1);
}

function messageOf(error: unknown): string {
  return shown(error instanceof Error ? error.message : String(error));
}

/** The same write with its content set aside: judged as a write whose new content is not known. */
function withoutContent(write: AwsAuthWrite, why: string): AwsAuthWrite {
  const { stored: _stored, resourceVersion: _resourceVersion, ...rest } = write;
  return { ...rest, unreadable: why };
}

export async function processLogsEvent(event: unknown, deps: BatchDeps): Promise<BatchResult> {
  const { logger, metrics } = deps;
  const decoded = decodeAwsLogsEvent(event);
  for (const problem of decoded.problems) {
    logger.warn("malformed event skipped", {
      auditID: problem.auditID,
      source: problem.source,
      reason: problem.reason,
    });
  }
  if (decoded.problems.length)
    metrics.addMetric("MalformedEvents", MetricUnit.Count, decoded.problems.length);

  // Within a delivery, file writes in the order they happened; across deliveries the pipeline
  // orders by resourceVersion whatever the arrival order.
  const writes = [...decoded.writes].sort((a, b) =>
    a.write.time < b.write.time ? -1 : a.write.time > b.write.time ? 1 : 0,
  );
  const result: BatchResult = {
    processed: [],
    malformed: decoded.problems.length,
    irrelevant: decoded.irrelevant,
    controlMessages: decoded.controlMessages,
  };
  for (const item of writes) {
    const { write } = item;
    const keys = { auditID: shown(write.auditID), cluster: item.cluster, verb: write.verb };
    if (!item.cluster) {
      logger.warn("event without a cluster log group skipped", keys);
      metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
      result.malformed++;
      continue;
    }
    const policy = makePolicy({
      ...deps.pipeline.policy,
      clusterAccount: deps.pipeline.policy.clusterAccount ?? item.owner,
    });
    const pipeline = { ...deps.pipeline, policy };
    const options = item.deliveryId ? { deliveryId: item.deliveryId } : {};
    let outcome: WriteOutcome | undefined;
    try {
      outcome = await processWrite(pipeline, item.cluster, write, options);
    } catch (error) {
      if (error instanceof DependencyError) {
        logger.error("dependency failed; failing the invocation so that it is retried", { ...keys, error });
        throw error;
      }
      // Something in this event's content broke its judging: file it without the content, so that
      // the write is still recorded, alerted on and captured, and the other events go on.
      logger.error("event could not be judged on its content; filing it as content unknown", {
        ...keys,
        error: messageOf(error),
      });
      metrics.addMetric("MalformedEvents", MetricUnit.Count, 1);
      try {
        outcome = await processWrite(
          pipeline,
          item.cluster,
          withoutContent(write, `it could not be judged (${messageOf(error)})`),
          options,
        );
      } catch (again) {
        if (again instanceof DependencyError) {
          logger.error("dependency failed; failing the invocation so that it is retried", {
            ...keys,
            error: again,
          });
          throw again;
        }
        logger.error("event could not be processed", { ...keys, error: messageOf(again) });
        metrics.addMetric("WritesNotJudged", MetricUnit.Count, 1);
        result.malformed++;
        continue;
      }
    }
    logger.info("aws-auth write processed", { ...keys, ...outcome, auditID: shown(outcome.auditID) });
    countWrite(metrics, outcome);
    result.processed.push(outcome);
  }
  return result;
}
