/**
 * `aws-auth-guardian restore --access-entries`: the cluster's EKS access entries back to a recorded
 * version. Through the cluster-access function (default), or `--direct` with the caller's own AWS
 * credentials and the store. Dry run first, then confirmation, then exactly that plan, only while the
 * live access entries are still the ones the dry run saw; the result is read back and verified.
 */
import { createEksClient } from "../../lambda/adapters/aws-clients.js";
import { EksAccessEntryApi } from "../../lambda/adapters/eks-access-entries.js";
import {
  type AccessRestoreRequest,
  type AccessRestoreResult,
  executeAccessRestore,
  wayIn,
} from "../../lambda/core/access-restore.js";
import { AccessStore } from "../../lambda/core/access-store.js";
import { oneLine } from "../../lambda/core/encode.js";
import type { CommandDeps, ConfirmIo } from "./io.js";
import { UsageError } from "./io.js";
import {
  directNotifier,
  type RestoreOptions,
  reportHeld,
  unexpectedAnswer,
  viaFunction,
  whoAmI,
} from "./restore.js";
import { openStore } from "./store-location.js";

function asAccessResult(answer: unknown): AccessRestoreResult {
  const value = answer as Partial<AccessRestoreResult> & { operation?: string };
  if (
    typeof value !== "object" ||
    value === null ||
    typeof value.outcome !== "string" ||
    !value.verification
  ) {
    throw unexpectedAnswer(answer);
  }
  return value as AccessRestoreResult;
}

export function printAccessPlan(io: ConfirmIo, result: AccessRestoreResult): void {
  io.out(
    `Cluster ${result.cluster}: restore access entries to ${result.target}${result.targetTime ? ` (${result.targetTime})` : ""}\n`,
  );
  if (result.lines.length) {
    io.out("What changes (live → version):\n");
    for (const line of result.lines) io.out(`  ${line}\n`);
  }
  if (result.steps.length) {
    io.out("Steps:\n");
    for (const step of result.steps) io.out(`  ${step}\n`);
  }
  for (const note of result.notes) io.out(`Note: ${note}\n`);
  if (result.refusals.length) {
    io.out("Refused:\n");
    for (const reason of result.refusals) io.out(`  - ${reason}\n`);
  }
}

export function printAccessOutcome(io: ConfirmIo, result: AccessRestoreResult): void {
  switch (result.outcome) {
    case "restored":
      io.out(`Restored: ${result.done.length} step(s). Verified: ${result.verification.detail}\n`);
      break;
    case "already-equal":
      io.out(`Nothing to do: ${result.verification.detail}\n`);
      break;
    case "refused":
      io.out("Refused, nothing written.\n");
      break;
    case "failed":
      io.out(`FAILED: ${result.error ?? result.verification.detail}\n`);
      for (const step of result.done) io.out(`  done before the failure: ${step}\n`);
      if (result.creator) io.out(`Way in of last resort: ${oneLine(wayIn(result, result.creator))}.\n`);
      break;
    default:
      break;
  }
  if (result.recordLocation) io.out(`Recorded: ${result.recordLocation}\n`);
}

function exitCode(result: AccessRestoreResult): number {
  if (result.outcome === "restored" || result.outcome === "already-equal" || result.outcome === "dry-run")
    return 0;
  return result.outcome === "failed" && result.done.length > 0 ? 2 : 1;
}

export async function restoreAccessEntries(
  values: RestoreOptions,
  io: ConfirmIo,
  deps: CommandDeps,
  confirm: ((q: string) => Promise<boolean>) | undefined,
): Promise<number> {
  const env = deps.env ?? process.env;
  if (values.snapshot)
    throw new UsageError("--snapshot is for aws-auth; --access-entries restores a stored version (--to)");
  let run: (request: Omit<AccessRestoreRequest, "cluster">) => Promise<AccessRestoreResult>;
  let cluster: string;
  let held: ReturnType<typeof directNotifier>["held"];
  if (values.direct) {
    if (values.kubeconfig || values.context)
      throw new UsageError("--access-entries --direct uses your AWS credentials, not a kubeconfig");
    if (!values.store) throw new UsageError("--access-entries --direct needs --store s3://BUCKET|DIR");
    if (!values.cluster) throw new UsageError("--cluster NAME is required");
    cluster = values.cluster;
    const opened = await openStore(values.store, { mustExist: true, env, region: values.region });
    const notify = directNotifier(values.topicArn, env, values.region);
    held = notify.held;
    const api = new EksAccessEntryApi(createEksClient(env, values.region ? { region: values.region } : {}));
    const store = new AccessStore(opened.store.blobs);
    const requestedBy = `${whoAmI()} (direct, own AWS credentials)`;
    io.err(
      `warning: record integrity is not verified with --direct: the version is read from ${oneLine(store.root())} as it is, without checking the guardian's MAC (only the cluster-access function can). Check the version shown before you confirm.\n`,
    );
    run = (request) =>
      executeAccessRestore(
        { api, store, notifier: notify.notifier, now: () => new Date() },
        { ...request, cluster, requestedBy },
      );
  } else {
    const access = viaFunction(values, deps, ["kubeconfig", "context", "store", "snapshot", "topicArn"]);
    cluster = access.cluster;
    const requestedBy = whoAmI();
    run = async (request) =>
      asAccessResult(
        await access.invoke({ action: "restore-access-entries", ...request, cluster, requestedBy }),
      );
  }
  const base = {
    ...(values.force ? { force: true } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
  };

  // 1. Dry run.
  const preview = await run({ ...base, to: values.to ?? "last-good", dryRun: true });
  if (values.json) io.out(`${JSON.stringify({ dryRun: preview }, null, 2)}\n`);
  else printAccessPlan(io, preview);
  if (preview.outcome !== "dry-run") {
    if (!values.json) printAccessOutcome(io, preview);
    reportHeld(io, held);
    return exitCode(preview);
  }
  if (values.dryRun) return 0;

  // 2. Confirmation.
  if (!values.yes) {
    if (!confirm) {
      io.err(
        "error: not restoring without confirmation: there is no terminal to ask on; pass --yes to restore what is shown above\n",
      );
      return 1;
    }
    if (!(await confirm(`Apply these steps to the access entries of ${cluster}? [y/N] `))) {
      io.err("aborted: nothing written\n");
      return 1;
    }
  }

  // 3. Exactly that plan, only over the live picture the dry run saw.
  const result = await run({
    ...base,
    to: preview.target,
    ...(preview.liveFingerprint ? { expectLiveFingerprint: preview.liveFingerprint } : {}),
  });
  if (values.json) io.out(`${JSON.stringify({ result }, null, 2)}\n`);
  else printAccessOutcome(io, result);
  reportHeld(io, held);
  return exitCode(result);
}
