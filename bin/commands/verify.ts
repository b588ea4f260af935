/**
 * `aws-auth-guardian verify`: does the store's latest record still describe the live aws-auth?
 * A difference without an audit event (or a deletion nobody reported) is a blind spot: the guardian
 * missed a write because audit logging, the subscription filter or delivery failed. It alerts.
 */
import { parseArgs } from "node:util";
import { oneLine } from "../../lambda/core/encode.js";
import { type VerifyResult, verifyLive } from "../../lambda/restore/capture-verify.js";
import { runLive } from "./capture.js";
import type { CommandIo } from "./io.js";
import { CLUSTER_ACCESS_OPTIONS, type CommandDeps } from "./restore.js";

export const VERIFY_HELP = `Usage:
  aws-auth-guardian verify --cluster NAME [--function NAME] [--region REGION]
  aws-auth-guardian verify --direct --kubeconfig FILE [--context NAME] --store s3://BUCKET[/prefix]|DIR
                           [--cluster NAME] [--topic-arn ARN]

Compares the live kube-system/aws-auth with the latest record in the snapshot store. A live object
that differs from it, or an aws-auth that is gone while the latest record is a version, was written
without the guardian seeing the audit event: it is stored and alerted as a blind spot. With an
empty store the live object becomes the baseline.

  --json    print the result as JSON

Exit status: 0 in sync (or baseline taken), 2 blind spot found, 1 on errors.`;

export async function verifyCommand(argv: string[], io: CommandIo, deps: CommandDeps = {}): Promise<number> {
  const { values } = parseArgs({ args: argv, options: CLUSTER_ACCESS_OPTIONS });
  if (values.help) {
    io.out(`${VERIFY_HELP}\n`);
    return 0;
  }
  const result: VerifyResult & { warnings?: string[] } = await runLive(
    values,
    io,
    deps,
    { action: "verify" },
    (live, cluster) => verifyLive(live, cluster),
  );
  for (const warning of result.warnings ?? []) io.err(`warning: ${oneLine(warning)}\n`);
  if (values.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else io.out(`Cluster ${result.cluster}: ${result.outcome}: ${oneLine(result.detail)}\n`);
  return result.blindSpot ? 2 : 0;
}
