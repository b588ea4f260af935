import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Compiles the CLI first: the tests that start it as a process run the compiled JavaScript.
    globalSetup: ["test/support/build-cli.ts"],
    // Integration tests start moto_server and TLS servers; give them room on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The Lambdas' structured logs and EMF metrics, and the SDK's notice that it will need Node 22
    // from 2027 (Lambda runs nodejs22.x), would bury the test report.
    env: {
      POWERTOOLS_LOG_LEVEL: "SILENT",
      POWERTOOLS_METRICS_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      // No test may reach out of this machine: never probe the EC2 instance metadata service.
      AWS_EC2_METADATA_DISABLED: "true",
    },
  },
});
