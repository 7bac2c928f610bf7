// Compile-time checks of `upload-elements/vue` (src/vue.ts), run by `npm run typecheck`.
//
// vue-tsc and the Vue language server cannot run here: they drive TypeScript through its
// JavaScript API, which TypeScript 7 (native) does not have. So this file restates, with plain
// TypeScript, what their template code generation (@vue/language-core: codegen/template/
// element.ts, elementProps.ts, elementEvents.ts and types/template-helpers.d.ts) checks for a tag:
//  - the tag is looked up in `GlobalComponents` (Volar's compiler does not know
//    `isCustomElement`, so a custom element's tag is a component to it);
//  - attributes and bindings are checked against the instance's `$props`, kebab-case names
//    camelized first (`max-files="3"` is checked as `maxFiles: "3"`, a bare attribute as `true`);
//    an unknown name is refused with `strictTemplates` / `checkUnknownProps`, which is what
//    `props()` below does;
//  - an `@event` listener is typed by the instance's `$emit`: its overloads are read as a map of
//    event name to handler (Volar's __VLS_NormalizeEmits), and `@titan-upload-success="h"` must
//    be that map's `'titan-upload-success'` handler.
// Each call below stands for one tag of a template; the @ts-expect-error lines are the mistakes
// the declarations must refuse, so this file fails to compile if they stop refusing them.
// (Checked once against vue-tsc 3.3.14 with `strictTemplates` on the same templates in a .vue
// file: the same errors, and none on the accepted uses.)
import type { GlobalComponents } from 'vue';
import type { TitanUploader } from '../../src/titan/index.js';
import type { UniversaAddressOption } from '../../src/universa/index.js';
import type {} from '../../src/vue.js';

type Tag = 'titan-uploader' | 'universa-select-address' | 'digime-writer';
type Instance<T extends Tag> = InstanceType<GlobalComponents[T]>;

/** The call signatures of an overloaded function, as a union (inference sees only the last one). */
type Signatures<F, Found = unknown> = Found & F extends (...args: infer A) => infer R
  ? Found extends F
    ? never
    : Signatures<F, Found & ((...args: A) => R)> | ((...args: A) => R)
  : never;
/** `$emit` as Volar reads it: event name → the listener a template may give for it. */
type Emits<T extends Tag> = {
  [S in Signatures<Instance<T>['$emit']> as S extends (event: infer E extends string, ...args: never[]) => void ? E : never]: S extends (
    event: never,
    ...args: infer A
  ) => void
    ? (...args: A) => void
    : never;
};

/** A tag's attributes and bindings, names already camelized, unknown names refused. */
declare function props<T extends Tag>(tag: T, props: Instance<T>['$props']): void;
/** `@event="listener"` on a tag. */
declare function on<T extends Tag, E extends keyof Emits<T>>(tag: T, event: E, listener: Emits<T>[E]): void;

declare const fetchToken: () => Promise<string>;
declare const save: (cid: string) => void;
const wallet: UniversaAddressOption = { address: '2dwybLfSX4vaeW4joP5odqvnpp2k1XiFcky5HB4NbEfchDYrSrZ', label: 'Main wallet' };

export function template(): void {
  // <titan-uploader token-url="/app/titan/token" max-files="3" auto-proceed :tokenProvider="fetchToken" theme="dark" class="u" />
  props('titan-uploader', {
    tokenUrl: '/app/titan/token',
    maxFiles: '3',
    autoProceed: true,
    tokenProvider: fetchToken,
    theme: 'dark',
    class: 'u',
  });
  // :max-file-size="1e6", and the attribute spelling kept (a name Volar's `htmlAttributes` leaves as written)
  props('titan-uploader', { maxFileSize: 1e6, 'max-file-size': '1000000', 'api-url': '/titan' });
  // <universa-select-address no-input :addresses="[wallet]" max-contract-bytes="65536" />
  props('universa-select-address', { noInput: true, addresses: [wallet], maxContractBytes: '65536' });
  // <digime-writer backend-url="/digime" :reference="['a']" :navigate="(url) => location.assign(url)" />
  props('digime-writer', { backendUrl: '/digime', reference: ['a'], navigate: (url) => location.assign(url) });

  // @titan-upload-success="(e) => save(e.detail.cid)"
  on('titan-uploader', 'titan-upload-success', (e) => {
    const event: CustomEvent<{ cid: string }> = e;
    save(event.detail.cid);
  });
  on('titan-uploader', 'titan-complete', (e) => e.detail.failed.length);
  on('universa-select-address', 'universa-contract', (e) => e.detail.bytes.byteLength);
  on('digime-writer', 'digime-write-success', (e) => e.detail);

  // A template ref is the element itself.
  const uploader: TitanUploader = {} as Instance<'titan-uploader'>;
  void uploader;
}

export function refused(): void {
  // @ts-expect-error: max-files="three" is not a number
  props('titan-uploader', { maxFiles: 'three' });
  // @ts-expect-error: theme="blue" is not a theme
  props('titan-uploader', { theme: 'blue' });
  // @ts-expect-error: auto-proceed="false" would be present, so true: bind :autoProceed="false"
  props('titan-uploader', { autoProceed: 'false' });
  // @ts-expect-error: :addresses="['2dwy…']": addresses are objects, not strings
  props('universa-select-address', { addresses: ['2dwy…'] });
  // @ts-expect-error: uploadUrl is not a property (nor upload-url an attribute) of <titan-uploader>
  props('titan-uploader', { uploadUrl: '/nowhere' });
  // @ts-expect-error: the detail has no `hash`
  on('titan-uploader', 'titan-upload-success', (e) => e.detail.hash);
  // @ts-expect-error: the listener gets a CustomEvent, not the detail
  on('universa-select-address', 'universa-contract', (detail: { cb: string; bytes: Uint8Array }) => detail.bytes);
  // @ts-expect-error: <titan-uploader> has no titan-uploaded event
  on('titan-uploader', 'titan-uploaded', () => {});
}
