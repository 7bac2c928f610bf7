// What the fixture's onUpload callbacks saw, per route, for the test to read back over HTTP
// (GET /app/titan/uploads). On globalThis: Next bundles each route on its own, and may give
// each its own copy of this module; the process is what they surely share.
const key = Symbol.for('upload-elements.next-app.uploads');
const store = globalThis as typeof globalThis & { [key]?: string[] };

export const uploads: string[] = (store[key] ??= []);
