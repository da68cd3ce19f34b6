import { defineConfig } from "vitest/config";

// Budgets for a loaded 2-core machine, where one CLI start-up alone takes up to 2 s and the
// property tests run several times slower than on an idle one. Tests that spawn the CLI also
// carry their own explicit budget. No test relies on these to pass quickly: timing checks run
// on injected clocks.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
  },
});
