/// <reference types="vitest/config" />
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

const outDir = process.env.CORRAL_UI_OUT ?? "../src/corral/server/static";

/** Assets at least this big get precompressed copies (smaller ones gain little). */
const COMPRESS_MIN_BYTES = 1024;
const COMPRESSIBLE = /\.(js|mjs|css|html|svg|json|map|txt|wasm)$/;

/**
 * Writes ``NAME.br`` and ``NAME.gz`` next to each compressible asset of the build, with
 * Node's own zlib (no extra dependency). The hub serves them to browsers that accept
 * them (server/api/ui.py); a copy that is not smaller than the file is not written.
 */
function precompress(): Plugin {
  let assetsDir = "";
  return {
    name: "corral-precompress",
    apply: "build",
    configResolved(config) {
      assetsDir = resolve(config.root, config.build.outDir, config.build.assetsDir);
    },
    closeBundle() {
      const assets = assetsDir;
      let files: string[];
      try {
        files = readdirSync(assets);
      } catch {
        return;
      }
      for (const name of files) {
        const path = join(assets, name);
        if (!COMPRESSIBLE.test(name) || statSync(path).size < COMPRESS_MIN_BYTES) continue;
        const raw = readFileSync(path);
        const br = brotliCompressSync(raw, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 11,
            [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          },
        });
        const gz = gzipSync(raw, { level: 9 });
        if (br.length < raw.length) writeFileSync(`${path}.br`, br);
        if (gz.length < raw.length) writeFileSync(`${path}.gz`, gz);
      }
    },
  };
}

// The build goes straight into the Python package, which the hub serves.
// CORRAL_UI_OUT lets a developer build elsewhere (the hub then needs CORRAL_UI_DIR).
export default defineConfig({
  base: "/",
  plugins: [precompress()],
  build: {
    outDir,
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
