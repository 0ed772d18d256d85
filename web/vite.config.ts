/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The build goes straight into the Python package, which the hub serves.
// CORRAL_UI_OUT lets a developer build elsewhere (the hub then needs CORRAL_UI_DIR).
export default defineConfig({
  base: "/",
  build: {
    outDir: process.env.CORRAL_UI_OUT ?? "../src/corral/server/static",
    emptyOutDir: true,
    chunkSizeWarningLimit: 5000,
    rolldownOptions: {
      // libraries mark their modules "use client" for server components (a browser
      // bundle has nothing to preserve), and this very filter counts as a slow plugin
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE" || warning.code === "PLUGIN_TIMINGS") return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { "/api": process.env.CORRAL_HUB_URL ?? "http://127.0.0.1:8080" },
  },
  test: { include: ["src/**/*.test.ts"] },
});
