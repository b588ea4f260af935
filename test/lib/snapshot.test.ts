/**
 * The whole template of the example configuration and of discovery mode, with asset hashes stripped so that a
 * change in handler code does not churn it. A change here is a change to what gets deployed: review the diff,
 * then update with `npx vitest run test/lib/snapshot.test.ts -u`.
 */
import { describe, expect, it } from "vitest";
import { synthesize, withoutAssetHashes } from "./synth.js";

describe("the synthesized template", () => {
  // Synthesized at collection time: the first synthesis loads most of aws-cdk-lib.
  const example = synthesize().template;
  const discovery = synthesize({ clusters: "discover" }).template;

  it("matches the reviewed template of the example configuration", () => {
    // Act
    const json = withoutAssetHashes(example);

    // Assess
    expect(JSON.stringify(json)).not.toMatch(/[0-9a-f]{64}/);
    expect(json).toMatchSnapshot();
  });

  it("matches the reviewed template of discovery mode", () => {
    // Act
    const json = withoutAssetHashes(discovery);

    // Assess
    expect(json).toMatchSnapshot();
  });
});
