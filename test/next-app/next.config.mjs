// The fixture app of test/node/server-next.test.ts.
import { fileURLToPath } from 'node:url';

/** @type {import('next').NextConfig} */
export default {
  // Turbopack resolves only files under its root: the repository, so the routes can import the
  // library's source (src/server).
  turbopack: { root: fileURLToPath(new URL('../..', import.meta.url)) },
  // Next locks its build directory, so two test runs in one checkout each get their own.
  distDir: process.env.NEXT_FIXTURE_DIST_DIR || '.next',
  // `next dev` would write AGENTS.md here, and `next dev`/`next build` ask the npm registry about
  // upgrades: the test stays on loopback and leaves the tree as it was.
  agentRules: false,
  experimental: { agentUpgrade: false },
};
