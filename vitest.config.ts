import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Integration tests start moto_server and TLS servers; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The Lambdas' structured logs and EMF metrics would bury the test report.
    env: { POWERTOOLS_LOG_LEVEL: "SILENT", POWERTOOLS_METRICS_DISABLED: "true" },
  },
});
