import type { SandboxContext, SandboxService } from './types.js';
import { sendJson } from './http.js';

// Placeholder until this double is built; answers 501 so nothing mistakes it for the real one.
export function createTitanService(_ctx: SandboxContext): SandboxService {
  return {
    name: 'titan',
    prefixes: ['/titan', '/titan-node'],
    async handle(_req, res) {
      sendJson(res, 501, { code: 501, msg: 'titan sandbox not implemented yet' });
    },
  };
}
