// Not part of the mounting: lets the test see which onUpload calls happened.
import { uploads } from '../../../../recorded.js';

export const GET = () => Response.json(uploads);
export const dynamic = 'force-dynamic';
