// The Pages Router mounting: Next's bodyParser off, so the handler reads the bytes Titan signed.
import { createTitanUploadCallbackHandler, toNodeHandler } from '../../../../../src/server/index.js';
import { SECRET } from '../../../../node/titan-callback-fixture.js';
import { uploads } from '../../../recorded.js';

const onUpload = createTitanUploadCallbackHandler({ secret: SECRET, onUpload: (n) => void uploads.push(`pages:${n.ExtraID}`) });

export const config = { api: { bodyParser: false } };
export default toNodeHandler(onUpload);
