/**
 * The migration plan for people and for infrastructure code: a Markdown table a reviewer reads in a
 * pull request, and CloudFormation, CDK (TypeScript) or Terraform that creates exactly the planned
 * entries. Every string from aws-auth is attacker-written: each renderer encodes it for where it
 * lands (table cell, YAML scalar, TypeScript string literal, HCL quoted string).
 */
import yaml from "js-yaml";
import {
  type DifferenceKind,
  describeIdentity,
  equivalence,
  type PrincipalEquivalence,
} from "./migrate-equivalence.js";
import { type MigrationPlan, type PlannedEntry, planToJson } from "./migrate-plan.js";

export const PLAN_FORMATS = ["text", "json", "cloudformation", "cdk", "terraform"] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

// ---- Text -------------------------------------------------------------------------------------

// biome-ignore lint/suspicious/noControlCharactersInRegex: folding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** One table cell: control characters (ANSI escapes, bidi overrides, newlines) shown as `\uXXXX`, pipes escaped. */
export function cell(text: string): string {
  return text
    .replace(CONTROL, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`)
    .replaceAll("|", "\\|");
}

function list(items: string[]): string {
  return items.length === 0 ? "—" : items.map(cell).join(", ");
}

function ref(from: { section: string; index: number }): string {
  return `${from.section}#${from.index + 1}`;
}

function actionOf(entry: PlannedEntry): string {
  if (entry.action === "exists") return "exists (skip)";
  if (entry.action === "differs") return "differs (not changed)";
  return entry.eksCreatesOnSwitch === "yes" ? "created by EKS on switch" : "create";
}

function policiesOf(entry: PlannedEntry): string {
  return list(
    entry.accessPolicies.map(
      (p) =>
        `${p.policyArn.split("/").pop() ?? p.policyArn} (${p.accessScope.type === "cluster" ? "cluster" : `namespaces ${p.accessScope.namespaces.join(", ")}`})`,
    ),
  );
}

const DIFFERENCE_LABEL: Record<DifferenceKind, string> = {
  "masters-to-policy": "system:masters → policy",
  "node-type": "node type",
  "implicit-group": "implicit group",
  "generated-username": "generated username",
  "existing-entry": "existing entry wins",
  unexplained: "UNEXPLAINED",
};

function equivalenceTable(rows: PrincipalEquivalence[]): string[] {
  const lines = [
    "| principal | today | after the move (API_AND_CONFIG_MAP) | in API mode | differences |",
    "|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const differences =
      row.differences.length === 0
        ? "none"
        : row.differences.map((d) => `**${DIFFERENCE_LABEL[d.kind]}**: ${cell(d.message)}`).join("<br>");
    lines.push(
      `| ${cell(row.principal)} | ${cell(describeIdentity(row.today))}${row.today ? ` (${row.today.via})` : ""} | ${cell(describeIdentity(row.after))}${row.after ? ` (${row.after.via})` : ""} | ${cell(describeIdentity(row.afterApiOnly))} | ${differences} |`,
    );
  }
  return lines;
}

/** Steps after `apply`: what is left to do by hand, and what still needs aws-auth. */
export function remainingSteps(plan: MigrationPlan): string[] {
  const migrated = plan.entries.map((e) => ref(e.from));
  const stillNeeded = plan.cannotMigrate
    .filter((c) => c.reason !== "dead-entry" && c.reason !== "shadowed" && c.reason !== "invalid-entry")
    .map((c) => `${ref(c.from)} (${c.reason})`);
  const steps = [
    `Check that every migrated principal still gets in as planned (kubectl auth whoami / can-i as each), then remove the migrated mappings from aws-auth: ${migrated.length ? migrated.join(", ") : "none"}.`,
    `Mappings that aws-auth must keep serving, because they were not migrated: ${stillNeeded.length ? stillNeeded.join(", ") : "none"}.`,
    "Dead and shadowed mappings grant nothing today: remove them from aws-auth whenever convenient.",
    stillNeeded.length
      ? "Do not switch to API mode yet: the mappings above would stop working."
      : `When aws-auth is no longer needed, switch to API mode (one-way): aws eks update-cluster-config --name ${plan.cluster} --access-config authenticationMode=API`,
  ];
  return steps;
}

export function renderPlanText(plan: MigrationPlan): string {
  const out: string[] = [];
  out.push(`## aws-auth → EKS access entries: cluster ${cell(plan.cluster)}`, "");
  out.push(
    `Source: ${cell(plan.source)} · authentication mode: ${plan.authenticationMode ?? "unknown (planned without AWS)"} · ${plan.entries.length} entr${plan.entries.length === 1 ? "y" : "ies"}, ${plan.cannotMigrate.length} not migrated`,
    "",
  );
  out.push(`### Access entries (${plan.entries.length})`, "");
  if (plan.entries.length > 0) {
    out.push(
      "| # | principal | type | username | groups | access policies | from | action |",
      "|---|---|---|---|---|---|---|---|",
    );
    plan.entries.forEach((e, i) => {
      out.push(
        `| ${i + 1} | ${cell(e.principalArn)} | ${e.type} | ${e.type === "STANDARD" ? cell(e.username ?? "(generated by EKS)") : "(set by EKS)"} | ${list(e.kubernetesGroups)} | ${policiesOf(e)} | ${ref(e.from)} | ${actionOf(e)} |`,
      );
    });
    out.push("");
    plan.entries.forEach((e, i) => {
      for (const note of e.notes) out.push(`- **${i + 1}**: ${cell(note)}`);
    });
    out.push("");
  }
  out.push(`### Not migrated (${plan.cannotMigrate.length})`, "");
  if (plan.cannotMigrate.length > 0) {
    out.push("| from | principal | reason | why |", "|---|---|---|---|");
    for (const c of plan.cannotMigrate) {
      out.push(`| ${ref(c.from)} | ${cell(c.principal ?? "—")} | \`${c.reason}\` | ${cell(c.message)} |`);
    }
    out.push("");
  }
  const rows = equivalence(plan);
  out.push("### Who is who, today and after", "");
  out.push(...equivalenceTable(rows), "");
  const unexplained = rows.flatMap((r) => r.differences.filter((d) => d.kind === "unexplained"));
  out.push(
    unexplained.length === 0
      ? "No one's access changes except as listed above: every difference is one the plan explains."
      : `**${unexplained.length} difference(s) the plan does not explain: do not apply it.**`,
    "",
  );
  if (plan.warnings.length > 0) {
    out.push("### Warnings", "");
    for (const warning of plan.warnings) out.push(`- ${cell(warning)}`);
    out.push("");
  }
  out.push("### After apply", "");
  remainingSteps(plan).forEach((step, i) => {
    out.push(`${i + 1}. ${step}`);
  });
  return `${out.join("\n")}\n`;
}

// ---- Infrastructure code ----------------------------------------------------------------------

/** Entries the code must create: not those already there, nor those EKS creates on the switch. */
export function entriesToCreate(plan: MigrationPlan): PlannedEntry[] {
  return plan.entries.filter((e) => e.action === "create" && e.eksCreatesOnSwitch !== "yes");
}

/** A stable, unique identifier per entry from the principal's name: letters and digits only. */
function identifiers(entries: PlannedEntry[], style: "pascal" | "snake"): string[] {
  const used = new Set<string>();
  return entries.map((entry, i) => {
    const name = (entry.principalArn.split("/").pop() ?? "").replace(/[^A-Za-z0-9]+/g, " ").trim();
    const words = name.split(" ").filter(Boolean).slice(0, 6);
    let base =
      style === "pascal"
        ? `AccessEntry${words.map((w) => w[0]?.toUpperCase() + w.slice(1)).join("")}`.slice(0, 200)
        : `${words.join("_").toLowerCase() || "entry"}`.slice(0, 60);
    if (style === "snake" && !/^[a-z_]/.test(base)) base = `e_${base}`;
    let id = base;
    for (let n = 2; used.has(id.toLowerCase()); n++) id = `${base}${style === "snake" ? "_" : ""}${n}`;
    used.add(id.toLowerCase());
    return id || `AccessEntry${i + 1}`;
  });
}

function cfnScope(scope: { type: string; namespaces: string[] }): Record<string, unknown> {
  return scope.type === "namespace"
    ? { Type: "namespace", Namespaces: scope.namespaces }
    : { Type: "cluster" };
}

export function renderCloudFormation(plan: MigrationPlan): string {
  const entries = entriesToCreate(plan);
  const ids = identifiers(entries, "pascal");
  const resources: Record<string, unknown> = {};
  entries.forEach((entry, i) => {
    resources[ids[i] as string] = {
      Type: "AWS::EKS::AccessEntry",
      Properties: {
        ClusterName: { Ref: "ClusterName" },
        PrincipalArn: entry.principalArn,
        Type: entry.type,
        ...(entry.type === "STANDARD" && entry.username !== undefined ? { Username: entry.username } : {}),
        ...(entry.type === "STANDARD" && entry.kubernetesGroups.length > 0
          ? { KubernetesGroups: entry.kubernetesGroups }
          : {}),
        ...(entry.accessPolicies.length > 0
          ? {
              AccessPolicies: entry.accessPolicies.map((p) => ({
                PolicyArn: p.policyArn,
                AccessScope: cfnScope(p.accessScope),
              })),
            }
          : {}),
      },
    };
  });
  const template = {
    AWSTemplateFormatVersion: "2010-09-09",
    Description: `EKS access entries for the aws-auth mappings of cluster ${plan.cluster} (aws-auth-guardian migrate plan)`,
    ...(entries.length > 0
      ? {
          Parameters: {
            ClusterName: {
              Type: "String",
              Default: plan.cluster,
              Description: "The EKS cluster (authentication mode API_AND_CONFIG_MAP or API)",
            },
          },
        }
      : {}),
    Resources:
      entries.length > 0
        ? resources
        : // A template needs one resource; this one does nothing.
          { NoAccessEntriesToCreate: { Type: "AWS::CloudFormation::WaitConditionHandle" } },
  };
  const header = [
    "# Generated by aws-auth-guardian migrate plan --format cloudformation.",
    "# Deploy only after the cluster's authentication mode is API_AND_CONFIG_MAP; it never touches aws-auth.",
  ];
  return `${header.join("\n")}\n${yaml.dump(template, { lineWidth: -1, noRefs: true, quotingType: '"' })}`;
}

export function renderCdk(plan: MigrationPlan): string {
  const entries = entriesToCreate(plan);
  const ids = identifiers(entries, "pascal");
  const s = (text: string) =>
    JSON.stringify(text)
      .replace(/\u2028/g, "\\u2028")
      .replace(/\u2029/g, "\\u2029");
  const body = entries.map((entry, i) => {
    const lines = [
      `    new eks.CfnAccessEntry(this, ${s(ids[i] as string)}, {`,
      "      clusterName,",
      `      principalArn: ${s(entry.principalArn)},`,
      `      type: ${s(entry.type)},`,
    ];
    if (entry.type === "STANDARD" && entry.username !== undefined)
      lines.push(`      username: ${s(entry.username)},`);
    if (entry.type === "STANDARD" && entry.kubernetesGroups.length > 0) {
      lines.push(`      kubernetesGroups: [${entry.kubernetesGroups.map(s).join(", ")}],`);
    }
    if (entry.accessPolicies.length > 0) {
      lines.push("      accessPolicies: [");
      for (const p of entry.accessPolicies) {
        const scope =
          p.accessScope.type === "namespace"
            ? `{ type: "namespace", namespaces: [${p.accessScope.namespaces.map(s).join(", ")}] }`
            : `{ type: "cluster" }`;
        lines.push(`        { policyArn: ${s(p.policyArn)}, accessScope: ${scope} },`);
      }
      lines.push("      ],");
    }
    lines.push("    });");
    return lines.join("\n");
  });
  return `// Generated by aws-auth-guardian migrate plan --format cdk: the access entries for the aws-auth
// mappings of one cluster. Deploy after the cluster's authentication mode is API_AND_CONFIG_MAP.
import * as eks from "aws-cdk-lib/aws-eks";
import { Construct } from "constructs";

export interface AwsAuthMigrationProps {
  /**
   * The EKS cluster the entries belong to.
   * @default - the cluster the plan was made for
   */
  readonly clusterName?: string;
}

export const PLANNED_CLUSTER = ${s(plan.cluster)};

export class AwsAuthMigration extends Construct {
  constructor(scope: Construct, id: string, props: AwsAuthMigrationProps = {}) {
    super(scope, id);
    const clusterName = props.clusterName ?? PLANNED_CLUSTER;
${body.join("\n")}
  }
}
`;
}

/** An HCL quoted string: JSON-like escapes HCL accepts, and `${`/`%{` escaped so nothing interpolates. */
export function hclString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029)
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  out += '"';
  // A function replacer: in a replacement string "$$" would itself mean one "$".
  return out.replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}

/** `key = value` lines aligned on `=` as `terraform fmt` does for consecutive single-line attributes. */
function attributes(indent: string, pairs: Array<[string, string]>): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${indent}${k.padEnd(width)} = ${v}`);
}

export function renderTerraform(plan: MigrationPlan): string {
  const entries = entriesToCreate(plan);
  const ids = identifiers(entries, "snake");
  const out: string[] = [
    "# Generated by aws-auth-guardian migrate plan --format terraform: the access entries for the",
    "# aws-auth mappings of one cluster. Apply after the authentication mode is API_AND_CONFIG_MAP.",
    "",
    'variable "cluster_name" {',
    ...attributes("  ", [
      ["type", "string"],
      ["default", hclString(plan.cluster)],
    ]),
    "}",
  ];
  entries.forEach((entry, i) => {
    const id = ids[i] as string;
    const pairs: Array<[string, string]> = [
      ["cluster_name", "var.cluster_name"],
      ["principal_arn", hclString(entry.principalArn)],
      ["type", hclString(entry.type)],
    ];
    if (entry.type === "STANDARD" && entry.username !== undefined)
      pairs.push(["user_name", hclString(entry.username)]);
    if (entry.type === "STANDARD" && entry.kubernetesGroups.length > 0) {
      pairs.push(["kubernetes_groups", `[${entry.kubernetesGroups.map(hclString).join(", ")}]`]);
    }
    out.push("", `resource "aws_eks_access_entry" "${id}" {`, ...attributes("  ", pairs), "}");
    entry.accessPolicies.forEach((policy, j) => {
      const name = `${id}_${(policy.policyArn.split("/").pop() ?? "policy").replace(/[^A-Za-z0-9]+/g, "_").toLowerCase()}${j > 0 ? `_${j + 1}` : ""}`;
      const scope: Array<[string, string]> = [["type", hclString(policy.accessScope.type)]];
      if (policy.accessScope.type === "namespace") {
        scope.push(["namespaces", `[${policy.accessScope.namespaces.map(hclString).join(", ")}]`]);
      }
      out.push(
        "",
        `resource "aws_eks_access_policy_association" "${name}" {`,
        ...attributes("  ", [
          ["cluster_name", "var.cluster_name"],
          ["principal_arn", `aws_eks_access_entry.${id}.principal_arn`],
          ["policy_arn", hclString(policy.policyArn)],
        ]),
        "",
        "  access_scope {",
        ...attributes("    ", scope),
        "  }",
        "}",
      );
    });
  });
  return `${out.join("\n")}\n`;
}

export function renderPlan(plan: MigrationPlan, format: PlanFormat): string {
  switch (format) {
    case "json":
      return `${JSON.stringify(planToJson(plan), null, 2)}\n`;
    case "cloudformation":
      return renderCloudFormation(plan);
    case "cdk":
      return renderCdk(plan);
    case "terraform":
      return renderTerraform(plan);
    default:
      return renderPlanText(plan);
  }
}
