/**
 * `aws-auth-guardian report`: one self-contained HTML page of a cluster's aws-auth history (and its
 * access-entry history, where the store holds one): a timeline coloured by class, who wrote each
 * version and from where, the semantic diff and findings of each, the last good version and the
 * restore command of every good one.
 *
 * Everything on the page but its fixed words was written by someone the guardian watches (usernames,
 * ARNs, user agents, source IPs, request URIs, aws-auth's own data, even record fields if the store
 * was tampered with). Every such value goes through `text()`: folded to visible escapes first (control
 * and bidi characters cannot reorder or hide what is shown), then HTML-escaped with `escape-html`.
 * Untrusted values never land in a URL, a `style` or an event attribute: links are in-page fragments
 * built from a digest. The page loads nothing and runs no script; its Content-Security-Policy allows
 * only its own style block (by hash), so even a value that got through could not run or fetch.
 *
 * Pure: records in, a string out.
 */
import { createHash } from "node:crypto";
import escapeHtml from "escape-html";
import { type AccessChange, changeLines, diffPictures } from "./access-picture.js";
import type { AccessRecord, AccessRestoreRecord } from "./access-store.js";
import { diffLines, restoreCommandWords } from "./alert.js";
import { modelOf } from "./classify.js";
import { diffModels } from "./diff.js";
import { literal, oneLine, option, shellCommand, terminalText } from "./encode.js";
import { WRITE_CLASSES, type WriteClass } from "./policy.js";
import { isGoodRecord, type VersionRecord } from "./records.js";
import type { RestoreRecord } from "./snapshot-store.js";

export interface AccessHistory {
  records: AccessRecord[];
  latestId?: string;
  lastGoodId?: string;
  restores: AccessRestoreRecord[];
}

export interface ReportInput {
  cluster: string;
  /** The store as users name it in commands: `s3://bucket/prefix` or a folder. */
  storeLocation: string;
  /** When the page was made (ISO 8601). */
  generatedAt: string;
  /** Every aws-auth record of the cluster, oldest first. */
  versions: VersionRecord[];
  latestId?: string;
  lastGoodId?: string;
  restores: RestoreRecord[];
  /** The access-entry history, when the store holds one. */
  access?: AccessHistory;
}

/** Longest value shown on one line; aws-auth data is shown whole (in a collapsed block). */
const VALUE_CHARS = 600;

/** Untrusted text as HTML text: one visible line, escapes for invisible characters, then `&<>"'`. */
export function text(value: unknown, max = VALUE_CHARS): string {
  return escapeHtml(oneLine(String(value ?? ""), max));
}

/** Untrusted multi-line text (stored aws-auth data) for a `<pre>`: line breaks kept, the rest as `text`. */
function block(value: unknown): string {
  return escapeHtml(terminalText(String(value ?? "")));
}

/** A CSS class for a write class; anything not known (a tampered record) gets `cls-unknown`. */
function classCss(cls: unknown): string {
  return (WRITE_CLASSES as readonly unknown[]).includes(cls) ? `cls-${cls as WriteClass}` : "cls-unknown";
}

/** A fragment id for a record: a digest, so no record id reaches an attribute raw. */
function anchor(kind: "v" | "a", id: unknown): string {
  return `${kind}-${createHash("sha256").update(String(id)).digest("hex").slice(0, 16)}`;
}

const STYLE = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;line-height:1.45;color:#1b1f24;background:#fff}
body{margin:0 auto;max-width:72rem;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .25rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
h3{font-size:1.05rem;margin:0 0 .5rem;word-break:break-all}
.meta{color:#57606a;margin:0 0 1rem}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:.6rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.summary{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:1rem}
.summary dt{font-weight:600}.summary dd{margin:0;word-break:break-all}
.legend{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0 1rem;padding:0;list-style:none}
.legend li{padding:.1rem .5rem;border-radius:999px;font-size:.8rem}
ol.timeline{display:flex;flex-wrap:wrap;gap:.35rem;list-style:none;padding:0;margin:0 0 1rem}
ol.timeline li a{display:block;min-width:2.2rem;white-space:nowrap;padding:.35rem .5rem;border-radius:4px;text-align:center;text-decoration:none;font-size:.8rem;font-weight:600}
ol.timeline li.is-last-good a{outline:3px solid #1a7f37;outline-offset:2px}
.cls-dangerous{background:#cf222e;color:#fff}
.cls-routine{background:#bf8700;color:#fff}
.cls-cosmetic{background:#8c959f;color:#fff}
.cls-aws-internal{background:#0969da;color:#fff}
.cls-rejected{background:#6e7781;color:#fff}
.cls-dry-run{background:#afb8c1;color:#1b1f24}
.cls-unverified{background:#8250df;color:#fff}
.cls-unknown{background:#24292f;color:#fff}
article.record{border:1px solid #d0d7de;border-left-width:8px;border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
article.record.cls-dangerous{border-left-color:#cf222e;background:#fff}
article.record.cls-routine{border-left-color:#bf8700;background:#fff}
article.record.cls-cosmetic{border-left-color:#8c959f;background:#fff}
article.record.cls-aws-internal{border-left-color:#0969da;background:#fff}
article.record.cls-rejected{border-left-color:#6e7781;background:#fff}
article.record.cls-dry-run{border-left-color:#afb8c1;background:#fff}
article.record.cls-unverified{border-left-color:#8250df;background:#fff}
article.record.cls-unknown{border-left-color:#24292f;background:#fff}
article.record,article.record *{color:#1b1f24}
.badge{display:inline-block;padding:.05rem .45rem;border-radius:4px;font-size:.75rem;font-weight:600;margin-right:.35rem;vertical-align:middle}
article.record .badge.cls-dangerous,article.record .badge.cls-routine,article.record .badge.cls-cosmetic,article.record .badge.cls-aws-internal,article.record .badge.cls-rejected,article.record .badge.cls-unverified,article.record .badge.cls-unknown{color:#fff}
.badge.good{background:#1a7f37;color:#fff!important}.badge.notgood{background:#eaeef2}
.badge.pointer{background:#0969da;color:#fff!important}
table.facts{border-collapse:collapse;margin:.25rem 0 .5rem}
table.facts th{text-align:left;font-weight:600;padding:.1rem 1rem .1rem 0;vertical-align:top;white-space:nowrap}
table.facts td{padding:.1rem 0;word-break:break-all}
ul.findings{margin:.25rem 0 .5rem;padding-left:1.25rem}
.sev-critical,.sev-high{font-weight:700;color:#cf222e!important}
.restore{background:#dafbe1;border:1px solid #1a7f37;border-radius:6px;padding:.5rem .75rem;margin:.5rem 0}
.restore pre{background:#fff;margin:.25rem 0}
table.restores{border-collapse:collapse;width:100%}
table.restores th,table.restores td{border-bottom:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top;word-break:break-all}
.empty{color:#57606a;font-style:italic}
`.trim();

const STYLE_HASH = createHash("sha256").update(STYLE).digest("base64");

/** Nothing loads, nothing runs: only the page's own style block (by hash) and no forms or frames. */
export const REPORT_CSP = `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'`;

function badge(cls: unknown): string {
  return `<span class="badge ${classCss(cls)}">${text(cls, 40)}</span>`;
}

function facts(rows: Array<[string, string | undefined]>): string {
  const kept = rows.filter((row): row is [string, string] => row[1] !== undefined && row[1] !== "");
  if (kept.length === 0) return "";
  return `<table class="facts">${kept.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("")}</table>`;
}

function findingsList(findings: VersionRecord["findings"] | undefined): string {
  if (!Array.isArray(findings) || findings.length === 0) return `<p class="empty">No findings.</p>`;
  const items = findings.map((f) => {
    const entries =
      Array.isArray(f.entries) && f.entries.length
        ? ` <span class="mono">(${f.entries
            .slice(0, 20)
            .map((e) => text(e, 300))
            .join(", ")}${f.entries.length > 20 ? ", …" : ""})</span>`
        : "";
    const sev = typeof f.severity === "string" ? f.severity : "?";
    return `<li><span class="sev-${/^[a-z]+$/.test(sev) ? sev : "unknown"}">[${text(sev, 20)}]</span> <code>${text(f.id, 100)}</code>: ${text(f.message, 2000)}${entries}</li>`;
  });
  return `<ul class="findings">${items.join("")}</ul>`;
}

function lines(list: readonly string[], none: string): string {
  if (list.length === 0) return `<p class="empty">${none}</p>`;
  return `<pre>${list.map((l) => text(l, 2000)).join("\n")}</pre>`;
}

// ---- aws-auth versions ------------------------------------------------------------------------

type Rows = Array<[string, string | undefined]>;

function writerRows(record: VersionRecord): Rows {
  const audit = record.audit;
  if (audit) {
    const actor = audit.actor ?? ({} as NonNullable<VersionRecord["audit"]>["actor"]);
    const ips = Array.isArray(actor.sourceIPs) ? actor.sourceIPs : [];
    return [
      ["User", text(actor.username ?? "(no username)")],
      ["IAM", actor.canonicalArn || actor.arn ? text(actor.canonicalArn ?? actor.arn) : undefined],
      [
        "Session",
        actor.arn && actor.canonicalArn && actor.arn !== actor.canonicalArn ? text(actor.arn) : undefined,
      ],
      ["Session name", actor.sessionName ? text(actor.sessionName) : undefined],
      ["Impersonating", actor.impersonatedUser ? text(actor.impersonatedUser) : undefined],
      [
        "Source IP",
        ips.length
          ? ips
              .slice(0, 10)
              .map((ip) => text(ip, 100))
              .join(", ")
          : undefined,
      ],
      ["User agent", actor.userAgent ? text(actor.userAgent) : undefined],
      [
        "Write",
        [
          text(audit.verb, 40),
          audit.patchKind ? `(${text(audit.patchKind, 40)})` : "",
          audit.fieldManager ? `field manager ${text(audit.fieldManager)}` : "",
          audit.code !== undefined ? `HTTP ${text(audit.code, 10)}` : "",
          audit.dryRun ? "dry run" : "",
          audit.truncated ? "event truncated" : "",
        ]
          .filter(Boolean)
          .join(" "),
      ],
      ["Request", `<span class="mono">${text(audit.requestURI, 1000)}</span>`],
      ["Audit ID", `<span class="mono">${text(audit.auditID, 200)}</span>`],
    ];
  }
  if (record.capture) {
    const from = record.capture.from === "file" ? "a file the operator gave" : "the live cluster";
    return [
      ["Captured", `from ${from} at ${text(record.capture.at, 60)}`],
      ["Reason", text(record.capture.reason)],
    ];
  }
  return [["Writer", "not recorded"]];
}

/** What changed for the authenticator, compared with the record this one was judged against. */
function versionDiff(record: VersionRecord, byId: ReadonlyMap<string, VersionRecord>): string {
  if (record.kind === "unverified")
    return `<p class="empty">The content of this write was never seen: nothing to compare.</p>`;
  // As the classifier judged it (judge.ts `contextAt`): against the newest earlier version whose content
  // is known, past deletions and writes never seen in between.
  let before = record.predecessorId ? byId.get(record.predecessorId) : undefined;
  while (before && !(before.kind === "version" && before.configMap)) {
    before = before.predecessorId ? byId.get(before.predecessorId) : undefined;
  }
  try {
    const diff = diffModels(
      before?.configMap ? modelOf(before.configMap) : undefined,
      record.configMap ? modelOf(record.configMap) : undefined,
    );
    const shown = diffLines(diff);
    for (const p of diff.problems.added) shown.push(`! new problem: ${p.section}: ${p.message}`);
    for (const p of diff.problems.removed) shown.push(`! fixed: ${p.section}: ${p.message}`);
    const against = before
      ? `against <a href="#${anchor("v", before.id)}" class="mono">${text(before.id, 200)}</a>`
      : "against nothing earlier (everything is new)";
    return `<p>Semantic diff ${against}:</p>${lines(
      shown,
      diff.equivalent
        ? "No change in access."
        : "No change in access; what the authenticator ignores or drops changed.",
    )}`;
  } catch (error) {
    return `<p class="empty">The diff could not be computed: ${text((error as Error).message)}</p>`;
  }
}

function dataBlock(record: VersionRecord): string {
  const data = record.configMap?.data;
  if (!record.configMap) return "";
  const entries = data && typeof data === "object" ? Object.entries(data) : [];
  const body = entries.length
    ? entries.map(([key, value]) => `<b>--- ${text(key, 200)}</b>\n${block(value)}`).join("\n")
    : "(no data)";
  return `<details><summary>Data, exactly as stored</summary><pre>${body}</pre></details>`;
}

function restoreBlock(input: ReportInput, id: string, isLastGood: boolean): string {
  const words = restoreCommandWords(input.cluster, id, input.storeLocation);
  const commands = [shellCommand(words.viaFunction), ...(words.direct ? [shellCommand(words.direct)] : [])];
  return `<div class="restore"><strong>${isLastGood ? "Restore this version (the last good one)" : "Restore this version"}</strong>: through the guardian's function, or directly with your own kubeconfig:<pre>${commands
    .map((c) => text(c, 4000))
    .join("\n")}</pre></div>`;
}

function versionArticle(
  input: ReportInput,
  record: VersionRecord,
  byId: ReadonlyMap<string, VersionRecord>,
): string {
  // A class the guardian does not know (a tampered record) is never offered as a restore target.
  const good = isGoodRecord(record) && (WRITE_CLASSES as readonly unknown[]).includes(record.class);
  const isLastGood = record.id === input.lastGoodId;
  const marks = [
    isLastGood ? `<span class="badge good">last good</span>` : "",
    record.id === input.latestId ? `<span class="badge pointer">latest</span>` : "",
    good && !isLastGood ? `<span class="badge good">good</span>` : "",
    !good && record.kind === "version" ? `<span class="badge notgood">not a restore target</span>` : "",
  ].join("");
  return `<article class="record ${classCss(record.class)}" id="${anchor("v", record.id)}" data-class="${escapeHtml(classCss(record.class).slice(4))}">
<h3>${badge(record.class)}${marks}<span class="mono">${text(record.id, 200)}</span></h3>
${facts([
  ["Kind", text(record.kind, 20)],
  ["Time", text(record.time, 60)],
  ["resourceVersion", record.resourceVersion ? text(record.resourceVersion, 40) : undefined],
  ...writerRows(record),
])}
${versionDiff(record, byId)}
<p><strong>Findings</strong></p>
${findingsList(record.findings)}
${good ? restoreBlock(input, record.id, isLastGood) : ""}
${dataBlock(record)}
</article>`;
}

function timelineOf(
  items: ReadonlyArray<{ id: string; cls: unknown; time: unknown; label: string }>,
  kind: "v" | "a",
  lastGoodId: string | undefined,
  name: string,
): string {
  if (items.length === 0) return "";
  return `<ol class="timeline" aria-label="${name}">${items
    .map(
      (item, index) =>
        `<li class="${item.id === lastGoodId ? "is-last-good" : ""}"><a class="${classCss(item.cls)}" href="#${anchor(kind, item.id)}" title="${text(`${item.label} ${String(item.cls)} ${String(item.time)}`, 300)}"><b>${index + 1}</b> ${text(item.cls, 40)}</a></li>`,
    )
    .join("")}</ol>`;
}

function legend(): string {
  return `<ul class="legend">${WRITE_CLASSES.map((c) => `<li class="cls-${c}">${c}</li>`).join("")}</ul>`;
}

function restoresTable(restores: ReadonlyArray<RestoreRecord | AccessRestoreRecord>): string {
  if (restores.length === 0) return "";
  const rows = restores.map(
    (r) =>
      `<tr><td>${text(r.at, 60)}</td><td>${text(r.outcome, 30)}</td><td class="mono">${text(r.target, 200)}</td><td>${r.by ? text(r.by) : ""}</td><td>${r.reason ? text(r.reason) : ""}${r.detail ? ` <span class="empty">${text(r.detail)}</span>` : ""}</td></tr>`,
  );
  return `<h3>Restores</h3><table class="restores"><thead><tr><th>When</th><th>Outcome</th><th>Version</th><th>By</th><th>Reason</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function awsAuthSection(input: ReportInput): string {
  const byId = new Map(input.versions.map((r) => [r.id, r]));
  const lastGood = input.lastGoodId ? byId.get(input.lastGoodId) : undefined;
  const counts = new Map<string, number>();
  for (const r of input.versions) counts.set(String(r.class), (counts.get(String(r.class)) ?? 0) + 1);
  const summary = `<dl class="summary" id="summary">
<dt>Versions</dt><dd>${input.versions.length} record${input.versions.length === 1 ? "" : "s"}${counts.size ? `: ${[...counts].map(([c, n]) => `${n} ${text(c, 40)}`).join(", ")}` : ""}</dd>
<dt>Latest</dt><dd class="mono">${input.latestId ? `<a href="#${anchor("v", input.latestId)}">${text(input.latestId, 200)}</a>` : "none"}</dd>
<dt>Last good</dt><dd class="mono" id="last-good">${lastGood ? `<a href="#${anchor("v", lastGood.id)}">${text(lastGood.id, 200)}</a> (${text(lastGood.class, 40)}, ${text(lastGood.time, 60)})` : "none: no version is known to be good"}</dd>
</dl>
${lastGood ? restoreBlock(input, lastGood.id, true) : ""}`;
  const items = input.versions.map((r) => ({ id: r.id, cls: r.class, time: r.time, label: r.id }));
  const articles = [...input.versions]
    .reverse()
    .map((r) => versionArticle(input, r, byId))
    .join("\n");
  return `<section id="aws-auth"><h2>aws-auth</h2>${summary}
<h3>Timeline (oldest first)</h3>${legend()}${timelineOf(items, "v", input.lastGoodId, "aws-auth versions") || `<p class="empty">No version recorded.</p>`}
<h3>Versions (newest first)</h3>
${articles}
${restoresTable(input.restores)}
</section>`;
}

// ---- access entries ---------------------------------------------------------------------------

function accessWho(record: AccessRecord): Rows {
  const event = record.event;
  if (event) {
    const a = event.actor ?? ({} as NonNullable<AccessRecord["event"]>["actor"]);
    return [
      ["Caller", text(a.principalArn ?? a.arn ?? "(unknown caller)")],
      ["Session", a.arn && a.arn !== a.principalArn ? text(a.arn) : undefined],
      ["Source IP", a.sourceIPAddress ? text(a.sourceIPAddress, 100) : undefined],
      ["User agent", a.userAgent ? text(a.userAgent) : undefined],
      ["Invoked by", a.invokedBy ? text(a.invokedBy) : undefined],
      [
        "Call",
        `${text(event.eventName, 60)}${event.errorCode ? ` failed: ${text(event.errorCode, 100)}` : ""} at ${text(event.eventTime, 60)} (CloudTrail event <span class="mono">${text(event.eventID, 100)}</span>, ${text(event.region, 40)})`,
      ],
    ];
  }
  if (record.capture) {
    return [
      ["Captured", `at ${text(record.capture.at, 60)}`],
      ["Reason", text(record.capture.reason)],
    ];
  }
  return [["Caller", "not recorded"]];
}

function accessChanges(record: AccessRecord, byId: ReadonlyMap<string, AccessRecord>): string {
  if (record.state !== "verified" || !record.picture) {
    return `<p class="empty">Unverified: the access picture could not be read (${text(record.readError ?? "unknown error")}).</p>`;
  }
  let before: AccessRecord | undefined = record.predecessorId ? byId.get(record.predecessorId) : undefined;
  while (before && (!before.picture || before.state !== "verified")) {
    before = before.predecessorId ? byId.get(before.predecessorId) : undefined;
  }
  try {
    const changes: AccessChange[] = diffPictures(before?.picture, record.picture);
    const against = before
      ? `against <a href="#${anchor("a", before.id)}" class="mono">${text(before.id, 200)}</a>`
      : "against nothing earlier (everything is new)";
    return `<p>Changes ${against} (mode ${text(record.picture.authenticationMode, 40)}, ${record.picture.entries.length} entries):</p>${lines(changeLines(changes), "No change in access.")}`;
  } catch (error) {
    return `<p class="empty">The changes could not be computed: ${text((error as Error).message)}</p>`;
  }
}

function accessArticle(
  input: ReportInput,
  access: AccessHistory,
  record: AccessRecord,
  byId: ReadonlyMap<string, AccessRecord>,
): string {
  const isLastGood = record.id === access.lastGoodId;
  const marks = [
    isLastGood ? `<span class="badge good">last good</span>` : "",
    record.id === access.latestId ? `<span class="badge pointer">latest</span>` : "",
    record.good && !isLastGood ? `<span class="badge good">good</span>` : "",
    !record.good ? `<span class="badge notgood">not a restore target</span>` : "",
  ].join("");
  const restore = record.good
    ? `<div class="restore"><strong>${isLastGood ? "Restore these access entries (the last good picture)" : "Restore these access entries"}</strong>:<pre>${[
        shellCommand([
          literal("aws-auth-guardian restore --access-entries"),
          ...option("--cluster", input.cluster),
          ...option("--to", record.id),
        ]),
        shellCommand([
          literal("aws-auth-guardian restore --access-entries --direct"),
          ...option("--cluster", input.cluster),
          ...option("--to", record.id),
          ...option("--store", input.storeLocation),
        ]),
      ]
        .map((c) => text(c, 4000))
        .join("\n")}</pre></div>`
    : "";
  return `<article class="record ${classCss(record.class)}" id="${anchor("a", record.id)}" data-class="${escapeHtml(classCss(record.class).slice(4))}">
<h3>${badge(record.class)}${marks}<span class="mono">${text(record.id, 200)}</span></h3>
${facts([["State", text(record.state, 20)], ["Time", text(record.time, 60)], ...accessWho(record)])}
${accessChanges(record, byId)}
<p><strong>Findings</strong></p>
${findingsList(record.findings)}
${restore}
</article>`;
}

function accessSection(input: ReportInput, access: AccessHistory): string {
  const byId = new Map(access.records.map((r) => [r.id, r]));
  const lastGood = access.lastGoodId ? byId.get(access.lastGoodId) : undefined;
  const items = access.records.map((r) => ({ id: r.id, cls: r.class, time: r.time, label: r.id }));
  return `<section id="access-entries"><h2>EKS access entries</h2>
<dl class="summary"><dt>Records</dt><dd>${access.records.length}</dd>
<dt>Last good</dt><dd class="mono" id="access-last-good">${lastGood ? `<a href="#${anchor("a", lastGood.id)}">${text(lastGood.id, 200)}</a> (${text(lastGood.class, 40)}, ${text(lastGood.time, 60)})` : "none"}</dd></dl>
<h3>Timeline (oldest first)</h3>${timelineOf(items, "a", access.lastGoodId, "access-entry records")}
${[...access.records]
  .reverse()
  .map((r) => accessArticle(input, access, r, byId))
  .join("\n")}
${restoresTable(access.restores)}
</section>`;
}

/** The whole page. */
export function renderReport(input: ReportInput): string {
  const title = `aws-auth history of ${oneLine(input.cluster, 200)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>aws-auth history of <span class="mono">${text(input.cluster, 200)}</span></h1>
<p class="meta">Store <span class="mono">${text(input.storeLocation, 2000)}</span>, page made ${text(input.generatedAt, 60)} by aws-auth-guardian report. Values written by the people the guardian watches are shown with invisible and control characters as visible escapes (\\u202e, \\n).</p>
</header>
${awsAuthSection(input)}
${input.access && input.access.records.length > 0 ? accessSection(input, input.access) : ""}
</body>
</html>
`;
}
