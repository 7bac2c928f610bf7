// The mistake: Next's default bodyParser (on) parsed the JSON before the handler saw it.
import { createTitanUploadCallbackHandler, toNodeHandler } from '../../../../../src/server/index.js';
import { SECRET } from '../../../../node/titan-callback-fixture.js';
import { uploads } from '../../../recorded.js';

const onUpload = createTitanUploadCallbackHandler({ secret: SECRET, onUpload: (n) => void uploads.push(`parsed:${n.ExtraID}`) });

export default toNodeHandler(onUpload);
