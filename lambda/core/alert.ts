/**
 * Alerts for humans at 3 a.m.: what changed, who did it, how bad it is, and the exact command that
 * undoes it. One renderer, three shapes: e-mail text, an AWS Chatbot custom notification, and SNS
 * message attributes (shared reference §4).
 */
import type { AuditActor } from "./audit-event.js";
import { groupSet, type SemanticDiff } from "./diff.js";
import type { Severity, WriteClass } from "./policy.js";
import type { OutboundAlert } from "./ports.js";
import type { AuditSummary, Finding, VersionRecord } from "./records.js";

export interface AlertInput {
  cluster: string;
  clusterAccount?: string;
  class: WriteClass;
  severity: Severity;
  findings: Finding[];
  /** The write, when the alert is about one (captures and verify drift have none). */
  audit?: AuditSummary;
  /** The record the write left, when it left one. */
  record?: VersionRecord;
  /** The record it was compared with. */
  comparedWith?: VersionRecord;
  diff?: SemanticDiff;
  /** The version that undoes this write: the last good one for a dangerous write, else the one before it. */
  restoreTarget?: VersionRecord;
  /** `s3://bucket` or a folder, for the direct-restore command. */
  storeLocation?: string;
  /** Overrides the headline (e.g. "restored"). */
  headline?: string;
}

const SUBJECT_LIMIT = 99;
const DESCRIPTION_LIMIT = 3500;
/**
 * The e-mail text travels in the same SNS message as the Chatbot JSON, and SNS refuses a message over
 * 256 KB: deleting an aws-auth with thousands of mappings must still alert. These caps keep the text
 * under about 100 KB while the Undo section (the restore command) always stays.
 */
const EMAIL_CHANGE_LINES = 200;
const EMAIL_FINDING_LINES = 50;
const EMAIL_LINE_CHARS = 400;

function capped(lines: string[], max: number, what: string): string[] {
  const shown = lines.slice(0, max).map((l) => truncate(l, EMAIL_LINE_CHARS));
  return lines.length > max ? [...shown, `… and ${lines.length - max} more ${what} not shown`] : shown;
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

function truncate(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** What a person reads first: the worst finding, or what kind of change it was. */
export function headlineOf(input: AlertInput): string {
  if (input.headline) return input.headline;
  const worst = [...input.findings].sort((a, b) => rank(b.severity) - rank(a.severity))[0];
  if (worst && rank(worst.severity) >= rank("medium")) return firstSentence(worst.message);
  if (input.class === "cosmetic") return "rewritten without any change in access";
  if (input.class === "aws-internal") return "EKS's own housekeeping rewrite";
  const diff = input.diff;
  if (diff) {
    const count =
      diff.roles.added.length +
      diff.roles.removed.length +
      diff.roles.changed.length +
      diff.users.added.length +
      diff.users.removed.length +
      diff.users.changed.length +
      diff.accounts.added.length +
      diff.accounts.removed.length;
    if (count > 0) return `${count} mapping${count === 1 ? "" : "s"} changed`;
  }
  return worst ? firstSentence(worst.message) : `${input.class} write`;
}

function rank(severity: Severity): number {
  return ["info", "low", "medium", "high", "critical"].indexOf(severity);
}

/**
 * The first clause of a finding, for headlines. Parenthesised details (parser errors, HTTP reasons)
 * contain ": " themselves and are left out; a leading section label ("mapRoles: entry #4 …") is kept
 * with the clause that follows it rather than standing alone.
 */
function firstSentence(text: string): string {
  let flat = text;
  for (let previous = ""; previous !== flat; ) {
    previous = flat;
    flat = flat.replace(/\s*\([^()]*\)/g, "");
  }
  const label = flat.match(/^(?:mapRoles|mapUsers|mapAccounts|data): /)?.[0] ?? "";
  const rest = flat.slice(label.length);
  const end = rest.search(/[.:;] /);
  return label + (end === -1 ? rest.replace(/\.$/, "") : rest.slice(0, end));
}

/** `arn:aws:iam::123:role/path/name` → `role/name`: headlines must fit a 100-character subject. */
function shortenArns(text: string): string {
  return text.replace(/arn:aws[\w-]*:(?:iam|sts)::\d{12}:([\w-]+)\/(?:[^\s/,"]+\/)*([^\s/,"]+)/g, "$1/$2");
}

export function subjectOf(input: AlertInput): string {
  const subject = `[aws-auth ${input.class.toUpperCase()}] ${input.cluster}: ${shortenArns(headlineOf(input))}`;
  return truncate(firstLine(subject).replace(/\s+/g, " "), SUBJECT_LIMIT);
}

/** The exact command that puts the last good version back, or undefined when there is none. */
export function restoreCommands(input: AlertInput): string[] {
  if (!input.restoreTarget) return [];
  const base = `aws-auth-guardian restore --cluster ${input.cluster} --to ${input.restoreTarget.id}`;
  const direct = input.storeLocation
    ? `${base} --direct --kubeconfig ~/.kube/config --store ${input.storeLocation}`
    : undefined;
  return direct ? [base, direct] : [base];
}

function describeActor(actor: AuditActor): string[] {
  const lines = [actor.username || "(no username)"];
  if (actor.canonicalArn) lines.push(`IAM: ${actor.canonicalArn}`);
  else if (actor.arn) lines.push(`IAM: ${actor.arn}`);
  if (actor.sessionName) lines.push(`session: ${actor.sessionName}`);
  if (actor.impersonatedUser) lines.push(`impersonating: ${actor.impersonatedUser}`);
  const where = [
    actor.sourceIPs.length ? `source IP ${actor.sourceIPs.join(", ")}` : "",
    actor.userAgent ? `user agent ${actor.userAgent}` : "",
  ].filter(Boolean);
  if (where.length) lines.push(where.join(", "));
  return lines;
}

function groupsText(groups: string[]): string {
  return groups.length ? groupSet(groups).join(", ") : "(no groups)";
}

/** The semantic diff as lines: `+` added, `-` removed, `~` changed, `!` broken. */
export function diffLines(diff: SemanticDiff): string[] {
  const lines: string[] = [];
  for (const s of diff.sections) {
    lines.push(
      s.after === "unparseable"
        ? `! ${s.name} no longer parses: ${s.error ?? "syntax error"}`
        : s.after === "absent"
          ? `! ${s.name}, unparseable before, is gone`
          : `! ${s.name} parses again (${s.after})`,
    );
  }
  for (const [label, part] of [
    ["role", diff.roles],
    ["user", diff.users],
  ] as const) {
    for (const m of part.added) {
      const arn = "rolearn" in m ? m.rolearn || m.key : m.userarn;
      lines.push(`+ ${label} ${arn} as "${m.username}" in ${groupsText(m.groups)}`);
    }
    for (const m of part.removed) {
      const arn = "rolearn" in m ? m.rolearn || m.key : m.userarn;
      lines.push(`- ${label} ${arn} (was "${m.username}" in ${groupsText(m.groups)})`);
    }
    for (const c of part.changed) {
      const arn = "rolearn" in c.after ? c.after.rolearn || c.key : c.after.userarn;
      const parts = [
        ...c.groupsAdded.map((g) => `+${g}`),
        ...c.groupsRemoved.map((g) => `-${g}`),
        ...(c.username ? [`username "${c.username.before}" → "${c.username.after}"`] : []),
      ];
      lines.push(`~ ${label} ${arn}: ${parts.join(", ")}`);
    }
  }
  for (const a of diff.accounts.added) lines.push(`+ account ${a} (mapAccounts)`);
  for (const a of diff.accounts.removed) lines.push(`- account ${a} (mapAccounts)`);
  return lines;
}

function describeWrite(audit: AuditSummary): string {
  const how = [
    audit.verb + (audit.patchKind ? ` (${audit.patchKind})` : ""),
    audit.fieldManager ? `field manager ${audit.fieldManager}` : "",
    audit.code !== undefined ? `HTTP ${audit.code}` : "",
    audit.dryRun ? "dry run" : "",
    audit.truncated ? "event truncated" : "",
  ].filter(Boolean);
  return how.join(", ");
}

export function renderEmail(input: AlertInput): string {
  const out: string[] = [];
  out.push(subjectOf(input), "");
  out.push(`Cluster:   ${input.cluster}${input.clusterAccount ? ` (account ${input.clusterAccount})` : ""}`);
  out.push(`Class:     ${input.class} (severity ${input.severity})`);
  if (input.audit) {
    out.push(`When:      ${input.audit.time}`);
    const [first, ...rest] = describeActor(input.audit.actor);
    out.push(`Who:       ${first}`, ...rest.map((l) => `           ${l}`));
    out.push(`Write:     ${describeWrite(input.audit)}`);
    out.push(`Audit ID:  ${input.audit.auditID}`);
  } else if (input.record?.capture) {
    out.push(
      `When:      ${input.record.capture.at || "(unknown)"} (${input.record.capture.from === "file" ? "read from a file" : "captured from the cluster"}: ${input.record.capture.reason})`,
    );
  }
  if (input.record) out.push(`Version:   ${input.record.id}`);
  if (input.comparedWith) out.push(`Compared:  ${input.comparedWith.id}`);
  out.push("");
  const changes = input.diff ? diffLines(input.diff) : [];
  out.push("What changed");
  out.push(
    ...(changes.length
      ? capped(changes, EMAIL_CHANGE_LINES, "changes").map((l) => `  ${l}`)
      : ["  (no change in access)"]),
  );
  out.push("");
  if (input.findings.length) {
    out.push("Findings");
    const lines = input.findings.map((f) => `[${f.severity}] ${f.id}: ${f.message}`);
    out.push(...capped(lines, EMAIL_FINDING_LINES, "findings").map((l) => `  ${l}`));
    out.push("");
  }
  const commands = restoreCommands(input);
  out.push("Undo");
  if (commands.length && input.restoreTarget) {
    const which = input.class === "dangerous" ? "the last good version" : "the version before this change";
    out.push(`  Restore ${which}, ${input.restoreTarget.id} (${input.restoreTarget.time}):`);
    out.push(`    ${commands[0]}`);
    if (commands[1])
      out.push(
        "  If the restore function cannot be reached, with your own cluster access:",
        `    ${commands[1]}`,
      );
  } else {
    out.push("  No earlier good version is known to the guardian; nothing to restore automatically.");
  }
  return `${out.join("\n")}\n`;
}

export function renderChatbot(input: AlertInput): string {
  const changes = input.diff ? diffLines(input.diff) : [];
  const who = input.audit ? describeActor(input.audit.actor) : [];
  const description = [
    `*Class:* ${input.class}  *Severity:* ${input.severity}`,
    input.audit ? `*Who:* ${who.join(" · ")}` : "",
    input.audit ? `*When:* ${input.audit.time} (${describeWrite(input.audit)})` : "",
    changes.length
      ? `*What changed:*\n\`\`\`\n${changes.join("\n")}\n\`\`\``
      : "*What changed:* no change in access",
    input.findings.length
      ? `*Findings:*\n${input.findings.map((f) => `• [${f.severity}] ${f.message}`).join("\n")}`
      : "",
  ]
    .filter(Boolean)
    .join("\n");
  const commands = restoreCommands(input);
  const id = input.audit?.auditID ?? input.record?.id ?? `${input.cluster}-${input.class}`;
  const notification = {
    version: "1.0",
    source: "custom",
    id,
    content: {
      textType: "client-markdown",
      title: truncate(`aws-auth ${input.class.toUpperCase()} on ${input.cluster}: ${headlineOf(input)}`, 250),
      description: truncate(description, DESCRIPTION_LIMIT),
      nextSteps: commands.length
        ? commands.map((c) => `\`${c}\``)
        : ["No earlier good version is known; inspect with `aws-auth-guardian history`."],
      keywords: ["aws-auth", input.cluster, input.class, input.severity],
    },
    metadata: {
      threadId: `aws-auth-guardian/${input.cluster}`,
      summary: truncate(subjectOf(input), 250),
      eventType: `aws-auth-${input.class}`,
      relatedResources: [...new Set(input.findings.flatMap((f) => f.entries ?? []))].slice(0, 20),
      additionalContext: {
        auditID: input.audit?.auditID ?? "",
        cluster: input.cluster,
        class: input.class,
        severity: input.severity,
        version: input.record?.id ?? "",
        restoreTarget: input.restoreTarget?.id ?? "",
      },
    },
  };
  return JSON.stringify(notification);
}

export function renderAttributes(input: AlertInput): Record<string, string> {
  return { severity: input.severity, class: input.class, cluster: input.cluster };
}

export function renderAlert(input: AlertInput): OutboundAlert {
  return {
    subject: subjectOf(input),
    email: renderEmail(input),
    chatbot: renderChatbot(input),
    attributes: renderAttributes(input),
  };
}
