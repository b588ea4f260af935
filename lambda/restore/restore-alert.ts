/**
 * The notification a restore sends: what was put back, over what, by whom and why, and whether the
 * read-back proved it. Same three shapes as core/alert.ts (e-mail text, AWS Chatbot custom
 * notification, SNS attributes), so it travels through any Notifier.
 */
import type { OutboundAlert } from "../core/ports.js";
import type { RestoreResult } from "./restore.js";

export interface RestoreAlertContext {
  reason?: string;
  requestedBy?: string;
  /** `s3://bucket` or a folder, for the follow-up commands. */
  storeLocation?: string;
}

const SUBJECT_LIMIT = 99;
const DESCRIPTION_LIMIT = 3500;

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

function title(result: RestoreResult): string {
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
  if (result.outcome === "failed") return "high";
  if (result.outcome === "refused" || result.forced) return "medium";
  return "info";
}

export function restoreSubject(result: RestoreResult): string {
  const text = `[aws-auth ${title(result)}] ${result.cluster}: ${headline(result)}`;
  return truncate(text.replace(/\s+/g, " "), SUBJECT_LIMIT);
}

export function renderRestoreEmail(result: RestoreResult, context: RestoreAlertContext = {}): string {
  const out: string[] = [restoreSubject(result), ""];
  out.push(`Cluster:   ${result.cluster}`);
  out.push(
    `Outcome:   ${result.outcome}${result.dryRun ? " (dry run)" : ""}${result.forced ? " (forced)" : ""}`,
  );
  out.push(
    `Target:    version ${result.target}${result.targetTime ? ` (${result.targetTime}, ${result.targetClass})` : ""}`,
  );
  out.push(
    `Action:    ${result.action}${result.attempts > 1 ? ` after ${result.attempts} attempts (concurrent writes)` : ""}`,
  );
  out.push(
    `Live was:  ${result.liveResourceVersion ? `resourceVersion ${result.liveResourceVersion}` : "absent"}`,
  );
  if (result.resourceVersionWritten) out.push(`Written:   resourceVersion ${result.resourceVersionWritten}`);
  if (context.requestedBy) out.push(`By:        ${context.requestedBy}`);
  if (context.reason) out.push(`Reason:    ${context.reason}`);
  out.push(`Verified:  ${result.verification.ok ? "yes" : "no"}: ${result.verification.detail}`);
  out.push("");
  out.push("What changed (live → restored version)");
  out.push(
    ...(result.diffLines.length ? result.diffLines.map((l) => `  ${l}`) : ["  (no change in access)"]),
  );
  if (result.dataKeysChanged.length)
    out.push(`  data strings rewritten: ${result.dataKeysChanged.join(", ")}`);
  if (result.refusal?.length) out.push("", "Refused because", ...result.refusal.map((r) => `  - ${r}`));
  if (result.overridden.length) out.push("", "Forced past", ...result.overridden.map((r) => `  - ${r}`));
  if (result.error && result.outcome === "failed") out.push("", `Error: ${result.error}`);
  if (result.warnings.length) out.push("", "Warnings", ...result.warnings.map((w) => `  - ${w}`));
  if (result.recordLocation) out.push("", `Record: ${result.recordLocation}`);
  if (context.storeLocation) {
    out.push(
      "",
      "History",
      `  aws-auth-guardian history --cluster ${result.cluster} --store ${context.storeLocation}`,
    );
  }
  return `${out.join("\n")}\n`;
}

export function renderRestoreAlert(result: RestoreResult, context: RestoreAlertContext = {}): OutboundAlert {
  const severity = severityOf(result);
  const description = [
    `*Outcome:* ${result.outcome}  *Action:* ${result.action}  *Verified:* ${result.verification.ok ? "yes" : "no"}`,
    context.requestedBy ? `*By:* ${context.requestedBy}` : "",
    context.reason ? `*Reason:* ${context.reason}` : "",
    result.diffLines.length
      ? `*What changed:*\n\`\`\`\n${result.diffLines.join("\n")}\n\`\`\``
      : "*What changed:* no change in access",
    result.refusal?.length ? `*Refused:*\n${result.refusal.map((r) => `• ${r}`).join("\n")}` : "",
    result.overridden.length ? `*Forced past:*\n${result.overridden.map((r) => `• ${r}`).join("\n")}` : "",
    result.outcome === "failed" && result.error ? `*Error:* ${result.error}` : "",
    result.warnings.length ? `*Warnings:*\n${result.warnings.map((w) => `• ${w}`).join("\n")}` : "",
  ]
    .filter(Boolean)
    .join("\n");
  const notification = {
    version: "1.0",
    source: "custom",
    id: `restore-${result.cluster}-${result.target}-${result.outcome}`,
    content: {
      textType: "client-markdown",
      title: truncate(`aws-auth ${title(result)} on ${result.cluster}: ${headline(result)}`, 250),
      description: truncate(description, DESCRIPTION_LIMIT),
      nextSteps: context.storeLocation
        ? [`\`aws-auth-guardian history --cluster ${result.cluster} --store ${context.storeLocation}\``]
        : [],
      keywords: ["aws-auth", result.cluster, "restore", result.outcome],
    },
    metadata: {
      threadId: `aws-auth-guardian/${result.cluster}`,
      summary: truncate(restoreSubject(result), 250),
      eventType: `aws-auth-restore-${result.outcome}`,
      additionalContext: {
        cluster: result.cluster,
        outcome: result.outcome,
        target: result.target,
        resourceVersionWritten: result.resourceVersionWritten ?? "",
        verified: String(result.verification.ok),
      },
    },
  };
  return {
    subject: restoreSubject(result),
    email: renderRestoreEmail(result, context),
    chatbot: JSON.stringify(notification),
    attributes: { severity, class: "restore", cluster: result.cluster },
  };
}
