/**
 * The vitest hook that gives each test its own rig; apart from fixtures.ts, which the benchmarks
 * import outside the test runner.
 */
import { beforeEach } from "vitest";
import { type Rig, startRig } from "./fixtures.js";

/** Hands every test of the calling suite a fresh rig through `use`, and closes it after the test. */
export function rigForEachTest(use: (rig: Rig) => void): void {
  beforeEach(async () => {
    const rig = await startRig();
    use(rig);
    return () => rig.close();
  });
}
