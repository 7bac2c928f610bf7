// A JSON endpoint, mounted the same way.
import { createExtraIdHandler } from '../../../../../../src/server/index.js';

export const POST = createExtraIdHandler({ create: async (file) => `id-${file.name}` });
