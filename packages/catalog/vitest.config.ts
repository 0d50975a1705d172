import { defineConfig } from 'vitest/config';

// Unit tests only: the catalog needs no database, so no globalSetup.
export default defineConfig({
  test: {},
});
