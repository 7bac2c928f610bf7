// An app as a user writes it: the published package from node_modules, bundled by Vite, its
// events typed through the package's declarations (this file is type-checked without casts).
import 'upload-elements/titan';
import 'upload-elements/universa';
import 'upload-elements/digime';
import { md5 } from 'upload-elements/titan';

interface Seen {
  name: string;
  detail: unknown;
}
const seen: Seen[] = [];
Object.assign(window, { __events: seen });

document.addEventListener('titan-upload-success', (e) => seen.push({ name: e.type, detail: { cid: e.detail.cid, name: e.detail.name } }));
window.addEventListener('universa-contract', (e) =>
  seen.push({ name: e.type, detail: { cb: e.detail.cb, bytes: e.detail.bytes.byteLength } }),
);
const writer = document.querySelector('digime-writer');
writer?.addEventListener('digime-connect-error', (e) => seen.push({ name: e.type, detail: e.detail.error.code }));

// The md5 worker is an asset of the package; the app's bundler must have carried it along.
const hex: string = await md5(new Blob(['hashed in the worker of a bundled app']), { worker: 'require' });
Object.assign(window, { __md5: hex });
await Promise.all(['titan-uploader', 'universa-select-address', 'digime-writer'].map((t) => customElements.whenDefined(t)));
document.documentElement.dataset.ready = 'true';
