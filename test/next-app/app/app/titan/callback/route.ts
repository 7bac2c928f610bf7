// The README's Next.js mounting, as it reads: the handler is the route's POST.
import { createTitanUploadCallbackHandler } from '../../../../../../src/server/index.js';
import { SECRET } from '../../../../../node/titan-callback-fixture.js';
import { uploads } from '../../../../recorded.js';

const onUpload = createTitanUploadCallbackHandler({ secret: SECRET, onUpload: (n) => void uploads.push(`app:${n.ExtraID}`) });

export const POST = onUpload; // Next.js: app/app/titan/callback/route.ts
