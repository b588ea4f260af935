/**
 * The notification a restore sends: what was put back, over what, by whom and why, and whether the
 * read-back proved it. Same three shapes as core/alert.ts (e-mail text, AWS Chatbot custom
 * notification, SNS attributes), so it travels through any Notifier.
 */
import {
  capSlack,
  literal,
  oneLine,
  option,
  type ShellLiteral,
  shellCommand,
  slackCode,
  slackCodeBlock,
  slackText,
  subjectLine,
  terminalText,
} from "../core/encode.js";
import { creatorWayIn } from "../core/explain-access.js";
import type { OutboundAlert } from "../core/ports.js";
import type { RestoreResult } from "./restore.js";

export interface RestoreAlertContext {
  reason?: string;
  requestedBy?: string;
  /** `s3://bucket` or a folder, for the follow-up commands. */
  storeLocation?: string;
  /** The cluster's creator, who keeps implicit admin where the mode allows it: named when a restore fails. */
  creator?: string;
}

/** The way in of last resort, for a restore that failed or was refused. */
function lastResort(result: RestoreResult, creator: string | undefined): string | undefined {
  if (result.outcome !== "failed" && result.outcome !== "refused") return undefined;
  // The cluster name reaches this alert as the caller wrote it (a refused request is announced before anything
  // validates it): quoted for the shell like every value in a command.
  const command = shellCommand([
    literal("aws-auth-guardian restore --direct"),
    ...option("--cluster", result.cluster),
  ]);
  return creator
    ? `Way in of last resort: ${creatorWayIn(creator)}; with its credentials: ${command}`
    : "The cluster's creator is not known to the guardian; see the lockout runbook in the README.";
}

const DESCRIPTION_LIMIT = 3500;
/** One value (a reason, an API server message) never takes more than this on a line. */
const VALUE_CHARS = 600;

/** `aws-auth-guardian history` for this cluster and store, shell-quoted. */
function historyCommand(cluster: string, storeLocation: string): string {
  const words: Array<string | ShellLiteral> = [
    literal("aws-auth-guardian history"),
    ...option("--cluster", cluster),
    ...option("--store", storeLocation),
  ];
  return shellCommand(words);
}

function title(result: RestoreResult): string {
  if (result.recovery !== undefined) return "RESTORE FAILED, AWS-AUTH DELETED";
  switch (result.outcome) {
    case "restored":
      return "RESTORED";
    case "refused":
      return "RESTORE REFUSED";
    case "failed":
      return result.resourceVersionWritten !== undefined ? "RESTORE UNVERIFIED" : "RESTORE FAILED";
    case "dry-run":
      return "RESTORE DRY RUN";
    default:
      return "RESTORE NO-OP";
  }
}

function headline(result: RestoreResult): string {
  switch (result.outcome) {
    case "restored":
      // Subjects are cut at 99 characters and ids are long: keep this terse.
      return `${result.target} put back (${result.action}, rv ${result.resourceVersionWritten ?? "?"})`;
    case "refused":
      return result.refusal?.[0] ?? "refused";
    case "failed":
      return result.error ?? result.verification.detail;
    default:
      return result.verification.detail;
  }
}

function severityOf(result: RestoreResult): string {
  if (result.recovery !== undefined) return "critical";
  if (result.outcome === "failed") return "high";
  if (result.outcome === "refused" || result.forced) return "medium";
  return "info";
}

export function restoreSubject(result: RestoreResult): string {
  return subjectLine(`[aws-auth ${title(result)}] ${result.cluster}: ${oneLine(headline(result))}`);
}

export function renderRestoreEmail(result: RestoreResult, context: RestoreAlertContext = {}): string {
  // Reasons, requesters, API server messages and version data may all carry a writer's text: each
  // value is folded onto its own line.
  const v = (text: string) => oneLine(text, VALUE_CHARS);
  const out: string[] = [restoreSubject(result), ""];
  out.push(`Cluster:   ${v(result.cluster)}`);
  out.push(
    `Outcome:   ${v(result.outcome)}${result.dryRun ? " (dry run)" : ""}${result.forced ? " (forced)" : ""}`,
  );
  out.push(
    `Target:    version ${v(result.target)}${result.targetTime ? ` (${v(result.targetTime)}, ${v(String(result.targetClass))})` : ""}`,
  );
  out.push(
    `Action:    ${v(result.action)}${result.attempts > 1 ? ` after ${result.attempts} attempts (concurrent writes)` : ""}`,
  );
  out.push(
    `Live was:  ${result.liveResourceVersion ? `resourceVersion ${v(result.liveResourceVersion)}` : "absent"}`,
  );
  if (result.resourceVersionWritten)
    out.push(`Written:   resourceVersion ${v(result.resourceVersionWritten)}`);
  if (context.requestedBy) out.push(`By:        ${v(context.requestedBy)}`);
  if (context.reason) out.push(`Reason:    ${v(context.reason)}`);
  out.push(`Verified:  ${result.verification.ok ? "yes" : "no"}: ${v(result.verification.detail)}`);
  out.push("");
  out.push("What changed (live → restored version)");
  out.push(
    ...(result.diffLines.length ? result.diffLines.map((l) => `  ${v(l)}`) : ["  (no change in access)"]),
  );
  if (result.dataKeysChanged.length)
    out.push(`  data strings rewritten: ${result.dataKeysChanged.map(v).join(", ")}`);
  if (result.refusal?.length) out.push("", "Refused because", ...result.refusal.map((r) => `  - ${v(r)}`));
  if (result.overridden.length) out.push("", "Forced past", ...result.overridden.map((r) => `  - ${v(r)}`));
  if (result.recreate) out.push("", "Why delete and re-create", `  ${v(result.recreate.reason)}`);
  if (result.error && result.outcome === "failed") out.push("", `Error: ${v(result.error)}`);
  if (result.recovery !== undefined) {
    // JSON with every string escaped (control and format characters too): safe to paste as it is.
    out.push(
      "",
      "aws-auth is GONE. Create it by hand, with your own access to this cluster:",
      "  kubectl create -f - <<'AWS_AUTH_GUARDIAN_EOF'",
      ...terminalText(result.recovery).trimEnd().split("\n"),
      "AWS_AUTH_GUARDIAN_EOF",
    );
  }
  const resort = lastResort(result, context.creator);
  if (resort) out.push("", v(resort));
  if (result.warnings.length) out.push("", "Warnings", ...result.warnings.map((w) => `  - ${v(w)}`));
  if (result.recordLocation) out.push("", `Record: ${v(result.recordLocation)}`);
  if (context.storeLocation) {
    out.push("", "History", `  ${historyCommand(result.cluster, context.storeLocation)}`);
  }
  return `${out.join("\n")}\n`;
}

export function renderRestoreAlert(result: RestoreResult, context: RestoreAlertContext = {}): OutboundAlert {
  const severity = severityOf(result);
  const description = [
    `*Outcome:* ${slackText(result.outcome)}  *Action:* ${slackText(result.action)}  *Verified:* ${result.verification.ok ? "yes" : "no"}`,
    context.requestedBy ? `*By:* ${slackCode(context.requestedBy, VALUE_CHARS)}` : "",
    context.reason ? `*Reason:* ${slackText(context.reason, VALUE_CHARS)}` : "",
    result.diffLines.length
      ? `*What changed:*\n${slackCodeBlock(result.diffLines.slice(0, 50).map((l) => oneLine(l, VALUE_CHARS)))}`
      : "*What changed:* no change in access",
    result.refusal?.length
      ? `*Refused:*\n${result.refusal.map((r) => `• ${slackText(r, VALUE_CHARS)}`).join("\n")}`
      : "",
    result.overridden.length
      ? `*Forced past:*\n${result.overridden.map((r) => `• ${slackText(r, VALUE_CHARS)}`).join("\n")}`
      : "",
    result.outcome === "failed" && result.error ? `*Error:* ${slackText(result.error, VALUE_CHARS)}` : "",
    result.recovery !== undefined
      ? "*aws-auth is GONE:* the e-mail of this alert and the restore record carry the exact object to create by hand."
      : "",
    result.warnings.length
      ? `*Warnings:*\n${result.warnings.map((w) => `• ${slackText(w, VALUE_CHARS)}`).join("\n")}`
      : "",
    lastResort(result, context.creator)
      ? slackText(lastResort(result, context.creator) ?? "", VALUE_CHARS)
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const notification = {
    version: "1.0",
    source: "custom",
    id: oneLine(`restore-${result.cluster}-${result.target}-${result.outcome}`, 200),
    content: {
      textType: "client-markdown",
      title: slackText(`aws-auth ${title(result)} on ${result.cluster}: ${headline(result)}`, 250),
      description: capSlack(description, DESCRIPTION_LIMIT),
      nextSteps: context.storeLocation
        ? [slackCode(historyCommand(result.cluster, context.storeLocation))]
        : [],
      keywords: ["aws-auth", slackText(result.cluster, 100), "restore", result.outcome],
    },
    metadata: {
      threadId: `aws-auth-guardian/${oneLine(result.cluster, 100)}`,
      summary: restoreSubject(result),
      eventType: `aws-auth-restore-${result.outcome}`,
      additionalContext: {
        cluster: oneLine(result.cluster, VALUE_CHARS),
        outcome: result.outcome,
        target: oneLine(result.target, VALUE_CHARS),
        resourceVersionWritten: oneLine(result.resourceVersionWritten ?? "", VALUE_CHARS),
        verified: String(result.verification.ok),
      },
    },
  };
  return {
    subject: restoreSubject(result),
    email: renderRestoreEmail(result, context),
    chatbot: JSON.stringify(notification),
    attributes: { severity, class: "restore", cluster: oneLine(result.cluster, 256) },
  };
}
