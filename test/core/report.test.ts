/**
 * The HTML report (lambda/core/report.ts): what it says about a history, and that nothing a writer
 * put in a record can become markup, a link, a script or an invisible reordering on the page.
 */
import escapeHtml from "escape-html";
import { describe, expect, it } from "vitest";
import type { AccessRecord } from "../../lambda/core/access-store.js";
import { shellArg } from "../../lambda/core/encode.js";
import type { VersionRecord } from "../../lambda/core/records.js";
import { REPORT_CSP, type ReportInput, renderReport } from "../../lambda/core/report.js";
import { HOSTILE_VALUES, shellWords } from "../support/hostile.js";

const ACCOUNT = "012345678901";

/** Values that would be markup, script or a link if they reached the page raw. */
const HTML_HOSTILE = [
  "<script>alert(1)</script>",
  '"><img src=x onerror=alert(1)>',
  "'><svg onload=alert(1)>",
  "javascript:alert(document.domain)",
  "</pre></details></article><script>fetch('https://evil.example')</script>",
  '<a href="javascript:alert(1)">restore here</a>',
  "<style>body{display:none}</style>",
  "<meta http-equiv=refresh content=0;url=https://evil.example>",
  "admin\u202egnp.exe",
  "\u2066isolated\u2069 \u200f rtl mark",
  "&lt;script&gt; already escaped",
];
const ALL_HOSTILE = [...HTML_HOSTILE, ...HOSTILE_VALUES.filter((v) => v.length < 1000)];

function configMap(mapRoles: string, resourceVersion: string): NonNullable<VersionRecord["configMap"]> {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "aws-auth", namespace: "kube-system", resourceVersion },
    data: { mapRoles },
  };
}

const NODE_ROLE = `- rolearn: arn:aws:iam::${ACCOUNT}:role/node\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n`;

function version(
  id: string,
  cls: VersionRecord["class"],
  mapRoles: string,
  extra: Partial<VersionRecord> = {},
): VersionRecord {
  return {
    kind: "version",
    id,
    cluster: "prod",
    resourceVersion: id.slice(0, 20).replace(/^0+/, ""),
    time: "2026-11-22T13:00:00Z",
    configMap: configMap(mapRoles, id.slice(0, 20).replace(/^0+/, "")),
    class: cls,
    findings: [],
    ...extra,
  };
}

function audited(value: string): NonNullable<VersionRecord["audit"]> {
  return {
    auditID: value,
    verb: "update",
    time: "2026-11-22T13:01:00Z",
    code: 200,
    requestURI: `/api/v1/namespaces/kube-system/configmaps/aws-auth?x=${value}`,
    actor: {
      username: value,
      groups: [value],
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/admin/${value}`,
      canonicalArn: `arn:aws:iam::${ACCOUNT}:role/${value}`,
      sessionName: value,
      sourceIPs: [value, "10.0.0.1"],
      userAgent: value,
      impersonatedUser: value,
    },
    dryRun: false,
    truncated: false,
    fieldManager: value,
  };
}

/** A history in which one hostile value is in every field a writer (or a tampered store) controls. */
function hostileInput(value: string): ReportInput {
  const yamlValue = JSON.stringify(value);
  const base = version("00000000000000000100-aaaaaaaaaaaaaaaaaaaaaaaa", "routine", NODE_ROLE, {
    capture: { reason: value, at: "2026-11-22T12:00:00Z" },
  });
  const escalated = version(
    "00000000000000000101-bbbbbbbbbbbbbbbbbbbbbbbb",
    "dangerous",
    `${NODE_ROLE}- rolearn: arn:aws:iam::${ACCOUNT}:role/x\n  username: ${yamlValue}\n  groups:\n    - system:masters\n    - ${yamlValue}\n`,
    {
      audit: audited(value),
      predecessorId: base.id,
      findings: [{ id: value, severity: "critical", message: value, entries: [value] }],
    },
  );
  const tampered: VersionRecord = {
    ...version(value, value as VersionRecord["class"], value),
    time: value,
    resourceVersion: value,
    configMap: { metadata: { name: value }, data: { [value]: value } },
    audit: audited(value),
    predecessorId: escalated.id,
    findings: [{ id: value, severity: value as "high", message: value }],
  };
  const access: AccessRecord = {
    kind: "access",
    id: "20261122T130000Z-11111111-2222-3333-4444-555555555555",
    cluster: "prod",
    time: "2026-11-22T13:00:00Z",
    state: "verified",
    picture: {
      authenticationMode: "API_AND_CONFIG_MAP",
      entries: [
        {
          principalArn: `arn:aws:iam::${ACCOUNT}:role/${value}`,
          type: "STANDARD",
          username: value,
          kubernetesGroups: [value],
          policies: [],
        },
      ],
    },
    event: {
      eventID: value,
      eventName: "CreateAccessEntry",
      eventTime: value,
      region: value,
      cluster: "prod",
      actor: {
        type: "AssumedRole",
        arn: value,
        principalArn: value,
        sourceIPAddress: value,
        userAgent: value,
        invokedBy: value,
      },
    },
    class: "routine",
    findings: [{ id: value, severity: "low", message: value }],
    good: true,
  };
  const unreadable: AccessRecord = {
    ...access,
    id: value,
    state: "unverified",
    readError: value,
    good: false,
    class: "unverified",
  };
  delete unreadable.picture;
  return {
    cluster: value,
    storeLocation: value,
    generatedAt: value,
    versions: [base, escalated, tampered],
    latestId: value,
    lastGoodId: base.id,
    restores: [
      {
        cluster: "prod",
        at: value,
        target: value,
        reason: value,
        by: value,
        dryRun: false,
        forced: false,
        outcome: "refused",
        detail: value,
      },
    ],
    access: {
      records: [access, unreadable],
      lastGoodId: access.id,
      latestId: value,
      restores: [
        {
          cluster: "prod",
          at: value,
          target: value,
          by: value,
          reason: value,
          dryRun: false,
          outcome: "failed",
          detail: value,
        },
      ],
    },
  };
}

const TAGS = new Set([
  "html",
  "head",
  "meta",
  "title",
  "style",
  "body",
  "header",
  "h1",
  "h2",
  "h3",
  "p",
  "span",
  "section",
  "dl",
  "dt",
  "dd",
  "a",
  "ul",
  "ol",
  "li",
  "b",
  "article",
  "table",
  "tr",
  "th",
  "td",
  "thead",
  "tbody",
  "code",
  "pre",
  "details",
  "summary",
  "div",
  "strong",
]);
const ATTRIBUTES = new Set([
  "lang",
  "charset",
  "http-equiv",
  "content",
  "name",
  "class",
  "id",
  "href",
  "title",
  "aria-label",
  "data-class",
]);

/** Every tag of the page with its attributes, read the way a browser tokenizes markup. */
function tagsOf(html: string): Array<{ name: string; attributes: Array<[string, string]> }> {
  const body = html.replace(/^<!doctype html>/i, "").replace(/<style>[^<]*<\/style>/, "<style></style>");
  const found: Array<{ name: string; attributes: Array<[string, string]> }> = [];
  for (const match of body.matchAll(/<\/?([A-Za-z][^\s/>]*)([^>]*)>/g)) {
    const attributes = [...(match[2] ?? "").matchAll(/([^\s=]+)(?:="([^"]*)")?/g)].map(
      (a) => [a[1] ?? "", a[2] ?? ""] as [string, string],
    );
    found.push({ name: (match[1] ?? "").toLowerCase(), attributes });
  }
  return found;
}

function unescapeHtml(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

describe("renderReport", () => {
  it.each(ALL_HOSTILE.map((v) => [JSON.stringify(v).slice(0, 60), v]))(
    "keeps a hostile value %s in every field as text: no tag, attribute, link or invisible character of its own",
    (_name, value) => {
      // Act
      const html = renderReport(hostileInput(value as string));

      // Assess
      const tags = tagsOf(html);
      for (const tag of tags) {
        expect(TAGS.has(tag.name), `tag <${tag.name}>`).toBe(true);
        for (const [attribute, attributeValue] of tag.attributes) {
          expect(ATTRIBUTES.has(attribute.toLowerCase()), `attribute ${attribute} of <${tag.name}>`).toBe(
            true,
          );
          if (attribute === "href") expect(attributeValue).toMatch(/^#[va]-[0-9a-f]{16}$/);
        }
      }
      expect(tags.filter((t) => t.name === "script")).toEqual([]);
      expect(tags.filter((t) => t.name === "style")).toHaveLength(2); // the page's own, open and close
      expect(tags.filter((t) => t.name === "meta")).toHaveLength(4);
      // Only line feeds and tabs (layout and stored data) reach the page raw; every other control,
      // bidi and invisible format character is a visible escape.
      expect(html.replace(/[\n\t]/g, "")).not.toMatch(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u);
      expect(html).toContain(`content="${escapeHtml(REPORT_CSP)}"`);
    },
  );

  it("shows an HTML payload as the text it is, escaped once", () => {
    const html = renderReport(hostileInput('"><img src=x onerror=alert(1)>'));
    expect(html).toContain("<td>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>");
    expect(html).not.toContain("<img");
  });

  it("shows a bidi override as a visible escape instead of reordering the line", () => {
    const html = renderReport(hostileInput("admin\u202egnp.exe"));
    expect(html).toContain("<td>admin\\u202egnp.exe</td>");
    expect(html).not.toContain("\u202e");
  });

  it("lets no javascript: URL become a link", () => {
    const html = renderReport(hostileInput("javascript:alert(1)"));
    const hrefs = tagsOf(html).flatMap((t) => t.attributes.filter(([a]) => a === "href").map(([, v]) => v));
    expect(hrefs.length).toBeGreaterThan(0);
    expect(hrefs.every((h) => /^#[va]-[0-9a-f]{16}$/.test(h))).toBe(true);
    expect(html).toContain("javascript:alert(1)"); // as text, where the writer put it
  });

  it("names the last good version and gives the restore command of every good version, not of a dangerous one", () => {
    // Prepare
    const input = hostileInput("plain");
    const store = "/tmp/my store/$(touch pwned)";
    input.storeLocation = store;
    input.cluster = "prod";

    // Act
    const html = renderReport(input);

    // Assess
    expect(html).toMatch(
      /<dt>Last good<\/dt><dd class="mono" id="last-good"><a href="#v-[0-9a-f]{16}">00000000000000000100-a{24}<\/a> \(routine/,
    );
    const commands = [...html.matchAll(/<div class="restore">.*?<pre>([^<]*)<\/pre><\/div>/gs)].map((m) =>
      unescapeHtml(m[1] ?? "").split("\n"),
    );
    // The last good version twice (summary and its own card), the good access picture once.
    expect(commands).toHaveLength(3);
    const [direct] = (commands[0] ?? []).slice(1);
    const words = shellWords(direct ?? "");
    expect(words[8]).toMatch(/\/\.kube\/config$/); // ~ expanded by the shell
    words[8] = "~/.kube/config";
    expect(words).toEqual([
      "aws-auth-guardian",
      "restore",
      "--cluster",
      "prod",
      "--to",
      "00000000000000000100-aaaaaaaaaaaaaaaaaaaaaaaa",
      "--direct",
      "--kubeconfig",
      "~/.kube/config",
      "--store",
      store,
    ]);
    expect(html).toContain(escapeHtml(`--store ${shellArg(store)}`));
    expect(html).not.toContain("--to 00000000000000000101-");
    const access = commands[2] ?? [];
    expect(shellWords(access[0] ?? "")).toEqual([
      "aws-auth-guardian",
      "restore",
      "--access-entries",
      "--cluster",
      "prod",
      "--to",
      "20261122T130000Z-11111111-2222-3333-4444-555555555555",
    ]);
  });

  it("colours each record by its class and shows the semantic diff against the version it was judged with", () => {
    const html = renderReport(hostileInput("x"));
    expect(html).toMatch(/<article class="record cls-dangerous" id="v-[0-9a-f]{16}" data-class="dangerous">/);
    expect(html).toMatch(/<article class="record cls-unknown" id="v-[0-9a-f]{16}" data-class="unknown">/);
    expect(html).toContain(`+ role arn:aws:iam::${ACCOUNT}:role/x as &quot;x&quot; in system:masters, x`);
    expect(html).toContain(`+ access entry arn:aws:iam::${ACCOUNT}:role/x (STANDARD) as &quot;x&quot; in x`);
    expect(html).toContain("Unverified: the access picture could not be read (x).");
  });

  it("diffs a version after a deletion against the version before it, as it was judged, not against nothing", () => {
    // Arrange: a version, its deletion (a tombstone has no content), then a re-creation adding one role.
    const before = version("00000000000000000100-aaaaaaaaaaaaaaaaaaaaaaaa", "routine", NODE_ROLE);
    const deleted: VersionRecord = {
      ...version(`${before.id}~20261122130100000000000~deleted-cccccccccccccccccccccccc`, "dangerous", ""),
      kind: "tombstone",
      predecessorId: before.id,
    };
    delete deleted.configMap;
    const recreated = version(
      "00000000000000000102-dddddddddddddddddddddddd",
      "dangerous",
      `${NODE_ROLE}- rolearn: arn:aws:iam::${ACCOUNT}:role/added\n  username: added\n  groups:\n    - system:masters\n`,
      { predecessorId: deleted.id },
    );

    // Act
    const html = renderReport({
      cluster: "prod",
      storeLocation: "/s",
      generatedAt: "2026-11-22T14:00:00Z",
      versions: [before, deleted, recreated],
      restores: [],
    });

    // Assess: only the added role, against the version before the deletion
    expect(html).toContain(
      `+ role arn:aws:iam::${ACCOUNT}:role/added as &quot;added&quot; in system:masters`,
    );
    // The node role shows as added once: in the first version's own diff, never again after the deletion.
    expect(html.split(`+ role arn:aws:iam::${ACCOUNT}:role/node`)).toHaveLength(2);
    expect(html).toMatch(
      /Semantic diff against <a href="#v-[0-9a-f]{16}" class="mono">00000000000000000100-a{24}<\/a>/,
    );
  });

  it("leaves the access-entry section out when the store holds none", () => {
    const input = hostileInput("x");
    delete input.access;
    expect(renderReport(input)).not.toContain("EKS access entries");
  });
});
