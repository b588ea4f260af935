/**
 * `npm run fuzz -- [--seed N] [--count N] [--failures N]`: a longer fuzz run than the one in
 * `npm test`; prints inputs and failures by kind, exits 1 on any failure.
 */
import { parseArgs } from "node:util";
import { formatReport, fuzz } from "./fuzzer.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string", default: String(Date.now() % 2 ** 31) },
    count: { type: "string", default: "100000" },
    failures: { type: "string", default: "5" },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
if (!Number.isInteger(seed) || !Number.isInteger(count) || count < 1) {
  process.stderr.write("usage: npm run fuzz -- [--seed N] [--count N] [--failures N]\n");
  process.exit(1);
}
const report = await fuzz({
  seed,
  count,
  progress: (done) => {
    if (done % 5000 === 0) process.stderr.write(`${done}/${count}\n`);
  },
});
process.stdout.write(`${formatReport(report)}\n`);
for (const failure of report.failures.slice(0, Number(values.failures))) {
  process.stdout.write(
    `\n#${failure.input} ${failure.target} ${failure.mutation}: ${failure.kind}\n${failure.detail}\n`,
  );
}
process.exit(report.failures.length ? 1 : 0);
