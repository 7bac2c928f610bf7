// Size budgets (minified + gzipped), checked by `npm test`. "own code" leaves out what an app
// shares with other code anyway (lit, Uppy and its stylesheet, hash-wasm, multiformats).
const shared = ['lit', '@uppy/core', '@uppy/dashboard', 'hash-wasm', 'multiformats', 'idb-keyval'];
// Uppy's own CSS, inlined by the build as a shared chunk, is Uppy's weight, not ours.
const withoutUppyCss = (config) => ({ ...config, external: [...(config.external ?? []), './uppy-styles-*'] });
// Languages other than English are chunks a page fetches only when it shows them. ESM output, as
// a page or bundler loads it: size-limit's default IIFE would wrap the dynamic import in
// CommonJS interop helpers no real build has.
const englishOnly = (config) => ({ ...config, format: 'esm', external: [...(config.external ?? []), './strings.*'] });

module.exports = [
  // The goal is 12 kB; lit + idb-keyval alone are 6.4 kB, the element, session, store, address
  // check, English strings and styles 6.5 kB. The budget ratchets down to what it is (12.91 kB,
  // German on demand) so it cannot grow while the goal is open.
  { name: 'upload-elements/universa (lit + idb-keyval + own code; goal 12 kB)', path: 'dist/universa.js', import: '*', modifyEsbuildConfig: englishOnly, limit: '12.95 kB', gzip: true },
  { name: 'upload-elements/titan (own code)', path: 'dist/titan.js', import: '*', ignore: shared, modifyEsbuildConfig: withoutUppyCss, limit: '12 kB', gzip: true },
  { name: 'upload-elements/digime (own code)', path: 'dist/digime.js', import: '*', ignore: shared, modifyEsbuildConfig: withoutUppyCss, limit: '10 kB', gzip: true },
  { name: 'upload-elements/titan (with lit, Uppy, CSS)', path: 'dist/titan.js', import: '*', limit: '120 kB', gzip: true },
  { name: 'dist/cdn/upload-elements.js (everything inlined)', path: 'dist/cdn/upload-elements.js', limit: '140 kB', gzip: true },
];
