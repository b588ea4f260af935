/**
 * `aws-auth-guardian rules` and docs/rules.md come from the catalogue; every finding id the core
 * emits is in it.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "../../bin/cli.js";
import { rulesMarkdown } from "../../bin/commands/rules.js";
import { ruleCatalogue } from "../../lambda/core/rule-catalogue.js";
import { recordingIo } from "./io.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Every `id: "…"` literal of a finding in the classifier's sources (restore refusals excepted). */
async function emittedIds(): Promise<Set<string>> {
  const ids = new Set<string>();
  const files = [
    ...(await readdir(join(ROOT, "lambda/core"))).map((f) => join("lambda/core", f)),
    "lambda/restore/capture-verify.ts",
    "lambda/discovery/access-facts.ts",
  ].filter((f) => f.endsWith(".ts") && !f.endsWith("restore-plan.ts") && !f.endsWith("rule-catalogue.ts"));
  for (const file of files) {
    const text = await readFile(join(ROOT, file), "utf8");
    for (const match of text.matchAll(/\bid: "([a-z0-9-]+)",\s*\n?\s*severity:/g))
      ids.add(match[1] as string);
    // Finding ids chosen from a table (rules.ts: silentlyIgnoredAdded).
    const table = /const WARNING_PROBLEMS[^{]*\{([^}]*)\}/.exec(text)?.[1];
    for (const match of table?.matchAll(/: "([a-z0-9-]+)"/g) ?? []) ids.add(match[1] as string);
  }
  return ids;
}

describe("the rule catalogue", () => {
  it("lists every finding id the core emits", async () => {
    const catalogued = new Set(ruleCatalogue().map((e) => e.id));
    const missing = [...(await emittedIds())].filter((id) => !catalogued.has(id));
    expect(missing, "add these to lambda/core/rule-catalogue.ts, then run npm run docs:rules").toEqual([]);
    expect(catalogued.size).toBeGreaterThanOrEqual(30);
  });
});

describe("aws-auth-guardian rules", () => {
  it("--format json prints [{id, severity, class, description, example}] for every catalogued rule", async () => {
    // Act
    const recorded = recordingIo();
    const code = await main(["rules", "--format", "json"], recorded.io);

    // Assess
    expect(code).toBe(0);
    const listed = JSON.parse(recorded.out()) as Array<Record<string, string>>;
    expect(listed.map((e) => e.id)).toEqual(ruleCatalogue().map((e) => e.id));
    for (const entry of listed) {
      expect(Object.keys(entry)).toEqual(["id", "severity", "class", "description", "example"]);
      expect(entry.description).not.toBe("");
    }
    expect(listed.find((e) => e.id === "masters-granted")).toMatchObject({
      severity: "critical",
      class: "dangerous",
    });
  });

  it("prints a line per rule by default", async () => {
    const recorded = recordingIo();
    expect(await main(["rules"], recorded.io)).toBe(0);
    expect(recorded.out().trimEnd().split("\n")).toHaveLength(ruleCatalogue().length);
  });
});

describe("docs/rules.md", () => {
  it("is what the catalogue generates (regenerate: npm run docs:rules)", async () => {
    const committed = await readFile(join(ROOT, "docs/rules.md"), "utf8").catch(() => "");
    expect(committed, "docs/rules.md is stale: run npm run docs:rules and commit it").toBe(rulesMarkdown());
  });
});
