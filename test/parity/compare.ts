/** Runs a corpus through both sides and lists every difference, by family. */
import type { Variant } from "./corpus.js";
import { modelAnswers } from "./model-side.js";
import { type OracleAnswer, type OracleOutput, runOracle } from "./oracle.js";

export interface Difference {
  id: number;
  family: string;
  what: string;
  data: Record<string, string>;
  oracle: unknown;
  model: unknown;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The coarse view (who gets in as what; whether a section is thrown away) that a model without
 * the full answer shape can still be held to: used to measure an older model, not in the test.
 */
const COARSE = process.env.PARITY_COARSE === "1";
function coarseAnswer(a: OracleAnswer | undefined): unknown {
  if (!a || a.decision === "none" || a.decision === "denied" || a.decision === "invalid") return "no access";
  return a;
}
function coarseSection(status: string): string {
  return status === "dropped" ? "dropped" : "kept";
}

export function compareCorpus(
  binary: string,
  corpus: Variant[],
  model: (data: Record<string, string>, probes: string[]) => OracleOutput = modelAnswers,
): Difference[] {
  const oracle = runOracle(
    binary,
    corpus.map((v) => ({ data: v.data, probes: v.probes })),
  );
  const differences: Difference[] = [];
  corpus.forEach((variant, i) => {
    const expected = oracle[i] as OracleOutput;
    const actual = model(variant.data, variant.probes);
    const add = (what: string, o: unknown, m: unknown) =>
      differences.push({
        id: variant.id,
        family: variant.family,
        what,
        data: variant.data,
        oracle: o,
        model: m,
      });
    for (const name of ["mapRoles", "mapUsers", "mapAccounts"] as const) {
      const [o, m] = [expected.sections[name].status, actual.sections[name].status];
      if (COARSE ? coarseSection(o) !== coarseSection(m) : o !== m) {
        add(`${name} section`, expected.sections[name], actual.sections[name].status);
        return;
      }
    }
    if (!same(expected.accounts, actual.accounts)) {
      add("accounts", expected.accounts, actual.accounts);
      return;
    }
    variant.probes.forEach((probe, j) => {
      const [o, m] = COARSE
        ? [coarseAnswer(expected.answers[j]), coarseAnswer(actual.answers[j])]
        : [expected.answers[j], actual.answers[j]];
      if (!same(o, m) && !differences.some((d) => d.id === variant.id)) {
        add(`caller ${probe}`, expected.answers[j], actual.answers[j]);
      }
    });
  });
  return differences;
}

export function byFamily(
  corpus: Variant[],
  differences: Difference[],
): Record<string, { variants: number; differ: number }> {
  const table: Record<string, { variants: number; differ: number }> = {};
  for (const v of corpus) {
    const row = table[v.family] ?? { variants: 0, differ: 0 };
    row.variants++;
    table[v.family] = row;
  }
  for (const d of differences) {
    const row = table[d.family];
    if (row) row.differ++;
  }
  return table;
}
