/**
 * `analyze --store DIR` and `demo --store DIR`: every write judged is also filed through the same
 * pipeline the classifier Lambda runs, into a snapshot store with the S3 layout (a local folder, or
 * s3://), so that history, show, diff and `restore --direct --store` work on it offline.
 * Alerts are not sent: they are counted, and the command says how many would have gone out.
 */
import type { AwsAuthWrite } from "../../lambda/core/audit-event.js";
import { literal, option, shellCommand } from "../../lambda/core/encode.js";
import {
  type PipelineDeps,
  processCapture,
  processWrite,
  type WriteOutcome,
} from "../../lambda/core/pipeline.js";
import { type GuardianPolicy, makePolicy } from "../../lambda/core/policy.js";
import type { ConfigMapObject, Notifier, OutboundAlert } from "../../lambda/core/ports.js";
import type { CaptureSource } from "../../lambda/core/timeline.js";
import type { CommandDeps } from "./io.js";
import { type OpenedStore, openStore } from "./store-location.js";

/** Keeps the alerts the pipeline would have published. */
class CountingNotifier implements Notifier {
  readonly held: OutboundAlert[] = [];
  async publish(alert: OutboundAlert): Promise<void> {
    this.held.push(alert);
  }
}

export class StoreFiler {
  private readonly notifier = new CountingNotifier();
  private readonly deps: PipelineDeps;
  private filed = 0;
  private repeated = 0;

  private constructor(
    readonly opened: OpenedStore,
    readonly cluster: string,
    policy: GuardianPolicy,
  ) {
    this.deps = { store: opened.store, notifier: this.notifier, policy, now: () => new Date() };
  }

  static async open(
    spec: string,
    cluster: string,
    policy: Partial<GuardianPolicy>,
    deps: CommandDeps,
    region?: string,
  ): Promise<StoreFiler> {
    const opened = await openStore(spec, {
      mustExist: false,
      region,
      ...(deps.env ? { env: deps.env } : {}),
    });
    return new StoreFiler(opened, cluster, makePolicy(policy));
  }

  async write(write: AwsAuthWrite): Promise<WriteOutcome> {
    const outcome = await processWrite(this.deps, this.cluster, write);
    if (outcome.duplicate) this.repeated++;
    else if (outcome.recordId) this.filed++;
    return outcome;
  }

  /** Files content read elsewhere (`at`: when it was read; `from`: the cluster or a file). */
  async capture(configMap: ConfigMapObject, reason: string, at: string, from: CaptureSource): Promise<void> {
    const outcome = await processCapture(
      { ...this.deps, now: () => new Date(at) },
      this.cluster,
      configMap,
      reason,
      {
        from,
      },
    );
    if (outcome.stored) this.filed++;
    else this.repeated++;
  }

  /** What was filed where, and the command that reads it. */
  summary(): string {
    const { location } = this.opened;
    const kept = this.repeated ? ` (${this.repeated} already there)` : "";
    const alerts = this.notifier.held.length;
    const history = shellCommand([
      literal("aws-auth-guardian history"),
      ...option("--store", location),
      ...option("--cluster", this.cluster),
    ]);
    return `filed ${this.filed} record${this.filed === 1 ? "" : "s"} of cluster ${this.cluster} in ${location}${kept}; ${alerts} alert${alerts === 1 ? "" : "s"} not sent (nothing is published from here). See: ${history}`;
  }
}
