// A JSON endpoint behind Next's default bodyParser: the handler gets the parsed JSON again.
import { createExtraIdHandler, toNodeHandler } from '../../../../../src/server/index.js';

export default toNodeHandler(createExtraIdHandler({ create: async (file) => `pages-id-${file.name}` }));
