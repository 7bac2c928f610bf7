// custom-elements.json from the JSDoc on each element class (@summary, @attr, @event, @csspart, @cssproperty).
export default {
  globs: [
    'src/titan/titan-uploader.component.ts',
    'src/universa/universa-select-address.component.ts',
    'src/digime/digime-writer.component.ts',
  ],
  exclude: ['**/*.test.ts'],
  outdir: '.',
  litelement: true,
};
