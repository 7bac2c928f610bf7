// Compile-time checks of `upload-elements/svelte` (src/svelte.ts), run by `npm run typecheck`.
//
// svelte-check and the Svelte language server cannot run here: they drive TypeScript through its
// JavaScript API, which TypeScript 7 (native) does not have. What they check is plain
// TypeScript, though: svelte2tsx turns each element of the markup into a call
// `svelteHTML.createElement("tag", { …attributes })` against the `svelteHTML` namespace of
// svelte/svelte-html.d.ts, which the language tools load and the last import below loads (by its
// path: svelte leaves it out of its exports map). svelte2tsx keeps the case of a custom element's
// attribute names, writes static text as a string, `{expr}` as the expression and a bare
// attribute as `true`. The calls below are written as svelte2tsx writes them; the lines marked
// to expect an error are the mistakes the declarations must refuse, so this file fails to compile
// if they stop refusing them. (Checked once against svelte-check 4.7.8 on the same markup
// in .svelte files: the same eight errors, and none on the accepted uses.)
import type { TitanUploader } from '../../src/titan/index.js';
import type { UniversaAddressOption } from '../../src/universa/index.js';
import type {} from '../../src/svelte.js';
import type {} from '../../node_modules/svelte/svelte-html.d.ts';

declare const fetchToken: () => Promise<string>;
declare const save: (cid: string) => void;
const wallet: UniversaAddressOption = { address: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', label: 'Main wallet' };

export function markup(): void {
  // <titan-uploader token-url="/app/titan/token" max-files="3" auto-proceed tokenProvider={fetchToken}
  //   theme="dark" class="u" ontitan-upload-success={(e) => save(e.detail.cid)} />
  const uploader: TitanUploader = svelteHTML.createElement('titan-uploader', {
    'token-url': `/app/titan/token`,
    'max-files': `3`,
    'auto-proceed': true,
    tokenProvider: fetchToken,
    theme: `dark`,
    class: `u`,
    'ontitan-upload-success': (e) => {
      const event: CustomEvent<{ cid: string }> = e;
      save(event.detail.cid);
      // The listener's `currentTarget` is the element.
      return e.currentTarget.upload;
    },
  });
  void uploader;
  // <titan-uploader maxFileSize={1e6} ontitan-complete={(e) => e.detail.failed.length} on:titan-upload-error={…} />
  svelteHTML.createElement('titan-uploader', {
    maxFileSize: 1e6,
    'ontitan-complete': (e) => e.detail.failed.length,
    'on:titan-upload-error': (e) => e.detail.error.message,
  });
  // <universa-select-address no-input addresses={[wallet]} max-contract-bytes={65536} onuniversa-contract={…} />
  svelteHTML.createElement('universa-select-address', {
    'no-input': true,
    addresses: [wallet],
    'max-contract-bytes': 65536,
    'onuniversa-contract': (e) => e.detail.bytes.byteLength,
  });
  // <digime-writer backend-url="/digime" reference={['a']} navigate={(url) => location.assign(url)} ondigime-write-success={…} />
  svelteHTML.createElement('digime-writer', {
    'backend-url': `/digime`,
    reference: ['a'],
    navigate: (url) => location.assign(url),
    'ondigime-write-success': (e) => e.detail,
  });
}

export function refused(): void {
  // @ts-expect-error: max-files="three" is not a number
  svelteHTML.createElement('titan-uploader', { 'max-files': `three` });
  // @ts-expect-error: maxFiles="3" sets the property to a string: the number is {3}
  svelteHTML.createElement('titan-uploader', { maxFiles: `3` });
  // @ts-expect-error: theme="blue" is not a theme
  svelteHTML.createElement('titan-uploader', { theme: `blue` });
  // @ts-expect-error: addresses={['2dwy…']}: addresses are objects, not strings
  svelteHTML.createElement('universa-select-address', { addresses: ['2dwy…'] });
  // @ts-expect-error: uploadUrl is not a property (nor upload-url an attribute) of <titan-uploader>
  svelteHTML.createElement('titan-uploader', { uploadUrl: `/nowhere` });
  // @ts-expect-error: the detail has no `hash`
  svelteHTML.createElement('titan-uploader', { 'ontitan-upload-success': (e) => e.detail.hash });
  svelteHTML.createElement('universa-select-address', {
    // @ts-expect-error: the listener gets a CustomEvent, not the detail
    'onuniversa-contract': (detail: { cb: string; bytes: Uint8Array }) => detail.bytes,
  });
  // @ts-expect-error: <titan-uploader> has no titan-uploaded event
  svelteHTML.createElement('titan-uploader', { 'ontitan-uploaded': () => {} });
}
