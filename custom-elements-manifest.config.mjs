// custom-elements.json from the JSDoc on each element class (@summary, @attr, @event, @csspart, @cssproperty).
export default {
  globs: ['src/titan/titan-uploader.ts', 'src/universa/universa-select-address.ts', 'src/digime/digime-writer.ts'],
  exclude: ['**/*.test.ts'],
  outdir: '.',
  litelement: true,
};
