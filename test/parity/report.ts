/** `npx tsx test/parity/report.ts [count] [seed]`: the difference table, and the first few differences. */
import { writeFileSync } from "node:fs";
import { byFamily, compareCorpus } from "./compare.js";
import { makeCorpus } from "./corpus.js";
import { buildOracle } from "./oracle.js";

const count = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 20261129);
const corpus = makeCorpus(count, seed);
const differences = compareCorpus(buildOracle(), corpus);
console.table(byFamily(corpus, differences));
console.log(`${differences.length} of ${corpus.length} variants differ`);
writeFileSync(process.env.PARITY_OUT ?? "/tmp/parity-differences.json", JSON.stringify(differences, null, 1));
