/**
 * The code `migrate plan` prints creates exactly the planned entries, and tools accept it:
 * CloudFormation through cfn-lint, the CDK construct through the TypeScript compiler against the
 * installed aws-cdk-lib, Terraform through `terraform fmt -check` (run when terraform is on PATH; the
 * structural checks below run always).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import yaml from "js-yaml";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfigMapManifest } from "../../lambda/core/manifest.js";
import { type MigrationPlan, planMigration } from "../../lambda/core/migrate-plan.js";
import {
  cell,
  entriesToCreate,
  hclString,
  renderCdk,
  renderCloudFormation,
  renderPlanText,
  renderTerraform,
} from "../../lambda/core/migrate-render.js";

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const root = fileURLToPath(new URL("../../", import.meta.url));
const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url), "utf8");
const manifest = parseConfigMapManifest(fixture("migrate/every-reason.yaml"));
if (!manifest.ok) throw new Error(manifest.error);
const lab = JSON.parse(fixture("migrate/lab-latest.json")) as Record<
  string,
  { data: Record<string, string> }
>;

/** Strings an attacker may put in aws-auth, which must stay inert in every output. */
const HOSTILE = {
  mapRoles: [
    "- rolearn: arn:aws:iam::111122223333:role/hostile",
    `  username: "x:\${file(\\"/etc/passwd\\")}%{ if true }\\"); process.exit(1); //*/ {{SessionName}}"`,
    '  groups: ["a\\"b", "back\\\\slash", "new\\nline", "bell\\u0007", "sep\\u2028x"]',
    "- rolearn: arn:aws:iam::111122223333:role/ns-viewer",
    "  username: viewer:{{SessionName}}",
    "  groups: [view]",
  ].join("\n"),
};

const plans: Array<[string, MigrationPlan]> = [
  ["the lab's aws-auth", planMigration(lab.s06?.data, { cluster: "demo", source: "test" })],
  ["every decision", planMigration(manifest.configMap.data, { cluster: "prod-eu_1", source: "test" })],
  ["hostile strings", planMigration(HOSTILE, { cluster: "hostile", source: "test" })],
  [
    "nothing to create",
    planMigration({ mapAccounts: "- '111122223333'" }, { cluster: "empty", source: "test" }),
  ],
];

const scratch = mkdtempSync(join(tmpdir(), "migrate-render-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("CloudFormation", () => {
  it.each(plans)("%s: one AWS::EKS::AccessEntry per planned entry, exactly as planned", (_name, plan) => {
    const template = yaml.load(renderCloudFormation(plan)) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const entries = Object.values(template.Resources).filter((r) => r.Type === "AWS::EKS::AccessEntry");
    expect(entries.map((r) => r.Properties)).toEqual(
      entriesToCreate(plan).map((e) => ({
        ClusterName: { Ref: "ClusterName" },
        PrincipalArn: e.principalArn,
        Type: e.type,
        ...(e.username !== undefined ? { Username: e.username } : {}),
        ...(e.kubernetesGroups.length ? { KubernetesGroups: e.kubernetesGroups } : {}),
        ...(e.accessPolicies.length
          ? {
              AccessPolicies: e.accessPolicies.map((p) => ({
                PolicyArn: p.policyArn,
                AccessScope: { Type: p.accessScope.type },
              })),
            }
          : {}),
      })),
    );
  });

  it("every plan passes cfn-lint", () => {
    const files = plans.map(([name, plan]) => {
      const file = join(scratch, `${name.replace(/\W+/g, "-")}.yaml`);
      writeFileSync(file, renderCloudFormation(plan));
      return file;
    });
    const run = spawnSync("cfn-lint", ["--format", "parseable", "--", ...files], { encoding: "utf8" });
    // Exit status is a bit mask: 2 = errors, 4 = warnings, 8 = informational; 1 = it could not run.
    expect(run.error).toBeUndefined();
    expect({ status: run.status, out: run.stdout + run.stderr }).toEqual({ status: 0, out: "" });
  }, 120_000);
});

describe("CDK", () => {
  it("every plan typechecks against aws-cdk-lib's CfnAccessEntry", () => {
    // Prepare: a throwaway project that sees this repository's node_modules.
    const dir = join(scratch, "cdk");
    execFileSync("mkdir", ["-p", dir]);
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    const files = plans.map(([name, plan]) => {
      const file = `${name.replace(/\W+/g, "-")}.ts`;
      writeFileSync(join(dir, file), renderCdk(plan));
      return file;
    });
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noUncheckedIndexedAccess: true,
          skipLibCheck: true,
          noEmit: true,
          types: [],
        },
        files,
      }),
    );
    // Act
    const run = spawnSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], {
      encoding: "utf8",
    });
    // Assess
    expect(run.stdout + run.stderr).toBe("");
    expect(run.status).toBe(0);
  }, 120_000);

  it("keeps hostile strings inside string literals", () => {
    const code = renderCdk(plans[2]?.[1] as MigrationPlan);
    expect(code).toContain(
      String.raw`x:${"$"}{file(\"/etc/passwd\")}%{ if true }\"); process.exit(1); //*/ {{SessionName}}`,
    );
    expect(code).toContain(String.raw`"sep\u2028x"`);
  });
});

describe("Terraform", () => {
  it("quotes so that nothing interpolates and every escape is one HCL knows", () => {
    const dollar = "$";
    expect(hclString(`a"b\\c\n${dollar}{x}%{y}${dollar}${dollar}{z}\u0007`)).toBe(
      `"a\\"b\\\\c\\n${dollar}${dollar}{x}%%{y}${dollar}${dollar}${dollar}{z}\\u0007"`,
    );
  });

  it.each(plans)("%s: one aws_eks_access_entry per entry, one association per policy", (_name, plan) => {
    const code = renderTerraform(plan);
    const entries = entriesToCreate(plan);
    expect(code.match(/^resource "aws_eks_access_entry" /gm) ?? []).toHaveLength(entries.length);
    expect(code.match(/^resource "aws_eks_access_policy_association" /gm) ?? []).toHaveLength(
      entries.reduce((n, e) => n + e.accessPolicies.length, 0),
    );
    for (const e of entries)
      expect(code).toMatch(new RegExp(`principal_arn +${escapeRegExp(`= ${hclString(e.principalArn)}`)}\n`));
    // Balanced blocks, every line either blank, a comment, a block edge or an attribute.
    expect((code.match(/\{\n/g) ?? []).length).toBe((code.match(/^\s*\}$/gm) ?? []).length);
  });

  it("is already formatted as terraform fmt would format it", () => {
    const terraform = spawnSync("terraform", ["version"], { encoding: "utf8" });
    const dir = join(scratch, "tf");
    execFileSync("mkdir", ["-p", dir]);
    plans.forEach(([name, plan]) => {
      writeFileSync(join(dir, `${name.replace(/\W+/g, "-")}.tf`), renderTerraform(plan));
    });
    if (terraform.error) {
      // No terraform here: the structural checks above are what runs; say so in the output.
      console.info("terraform is not on PATH: terraform fmt -check not run");
      expect(terraform.error).toBeDefined();
      return;
    }
    const run = spawnSync("terraform", ["fmt", "-check", "-diff", "-no-color", dir], {
      encoding: "utf8",
      env: { ...process.env, TF_CLI_CONFIG_FILE: "/dev/null" },
    });
    expect(run.stdout).toBe("");
    expect(run.status).toBe(0);
  });
});

describe("text", () => {
  it("folds control characters and escapes table pipes", () => {
    expect(cell("a|b\u001b[31m\nc\u202e")).toBe(String.raw`a\|b\u001b[31m\u000ac\u202e`);
    const text = renderPlanText(plans[2]?.[1] as MigrationPlan);
    expect(text).toContain(String.raw`new\u000aline`);
  });
});
