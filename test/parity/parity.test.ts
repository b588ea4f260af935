/**
 * The differential test: a seeded corpus of generated aws-auth variants is read by the Go oracle
 * (test/parity/oracle, over Debian's go-yaml v2 and sigs.k8s.io/yaml, the libraries
 * aws-iam-authenticator uses) and by the TypeScript model, and the two must agree on who gets in
 * as what, and on which sections are dropped or make the authenticator report an error. Go is a
 * prerequisite: without it this test fails and says which packages to install.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { byFamily, compareCorpus, type Difference } from "./compare.js";
import { FAMILIES, makeCorpus, makeVariant } from "./corpus.js";
import { modelAnswers } from "./model-side.js";
import { buildOracle } from "./oracle.js";

const SEED = 20261129;
const SIZE = 10_400;

function show(differences: Difference[]): string {
  return differences
    .slice(0, 5)
    .map(
      (d) =>
        `#${d.id} ${d.family}: ${d.what}\n  data: ${JSON.stringify(d.data)}\n  oracle: ${JSON.stringify(d.oracle)}\n  model:  ${JSON.stringify(d.model)}`,
    )
    .join("\n");
}

describe("parity with aws-iam-authenticator (Go oracle)", () => {
  let oracle: string;
  beforeAll(() => {
    oracle = buildOracle();
  }, 300_000);

  it("the corpus is reproducible and covers every family", () => {
    // Prepare
    const a = makeVariant(7, "tabs", SEED);
    const b = makeVariant(7, "tabs", SEED);
    // Assess
    expect(a).toEqual(b);
    const table = byFamily(makeCorpus(SIZE, SEED), []);
    expect(Object.keys(table).sort()).toEqual([...FAMILIES].sort());
    for (const row of Object.values(table)) expect(row.variants).toBeGreaterThanOrEqual(400);
  });

  it(`reads ${SIZE.toLocaleString("en")} generated variants exactly as the authenticator does`, () => {
    // Prepare
    const corpus = makeCorpus(SIZE, SEED);
    // Act
    const differences = compareCorpus(oracle, corpus);
    // Assess
    const table = Object.entries(byFamily(corpus, differences))
      .filter(([, row]) => row.differ > 0)
      .map(([family, row]) => `${family}: ${row.differ}/${row.variants}`);
    expect(
      differences,
      `${differences.length} variants differ (${table.join(", ")})\n${show(differences)}`,
    ).toEqual([]);
  }, 600_000);

  it("fails when the model reads differently (the comparison is not vacuous)", () => {
    // Prepare: a model that, like a YAML library that tolerates tabs, reads tabs as spaces.
    const corpus = makeCorpus(400, SEED).filter((v) => v.family === "tabs");
    const tabTolerant = (data: Record<string, string>, probes: string[]) =>
      modelAnswers(
        Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.replaceAll("\t", " ")])),
        probes,
      );
    // Act
    const differences = compareCorpus(oracle, corpus, tabTolerant);
    // Assess
    expect(differences.length).toBeGreaterThan(0);
    expect(differences.every((d) => d.family === "tabs")).toBe(true);
  });
});
