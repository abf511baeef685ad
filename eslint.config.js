// ESLint for the web UI's modules and their unit tests (dev tool only: `npm ci && npm run lint`).
import js from "@eslint/js";
import globals from "globals";

const rules = {
  eqeqeq: "error",
  "no-var": "error",
  "prefer-const": "error",
  "no-unused-vars": ["error", { args: "after-used" }],
  "no-shadow": "error",
  "no-implicit-globals": "error",
  "no-console": "error",
  curly: ["error", "multi-line"],
  "max-len": ["error", { code: 100, ignoreStrings: true, ignoreTemplateLiterals: true }],
};

export default [
  js.configs.recommended,
  {
    files: ["src/tracklog/server/ui/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    rules,
  },
  {
    // The UI's unit tests (`npm test`) run in node, not a browser.
    files: ["tests/ui/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      globals: { ...globals.node },
    },
    rules,
  },
];
