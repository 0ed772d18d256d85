// ESLint (flat config): the recommended JavaScript and TypeScript rules, and React's
// hooks rules (the rules of hooks, exhaustive dependencies and the React Compiler's
// checks). `npm run lint`; scripts/test runs it.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  // generated from the hub's OpenAPI schema (scripts/gen-ui-types)
  { ignores: ["dist/", "node_modules/", "src/api/schema.gen.ts"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  reactHooks.configs.flat.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { globals: globals.browser },
    rules: {
      // says only that the React Compiler would leave a component using such a library
      // (TanStack Virtual) unmemoized; the app is not compiled with it
      "react-hooks/incompatible-library": "off",
    },
  },
  {
    files: ["vite.config.ts", "eslint.config.js"],
    languageOptions: { globals: globals.node },
  },
);
