// The rows the elements draw themselves follow the theme the Dashboard follows (issue 14, item
// 5): in dark, a dark row with light text, readable (WCAG contrast ≥ 4.5); in light, the reverse.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/titan/index.js';
import '../../src/digime/index.js';
import type { DigiMeWriter, TitanUploader } from '../../src/index.js';
import { knob, randomFile, resetSandbox, titanApi } from './titan-helpers.js';

/** WCAG relative luminance of a computed colour. */
function luminance(color: string): number {
  // `rgb(0–255 …)`, or `color(srgb 0–1 …)` (what color-mix() computes to).
  const scale = color.startsWith('color(') ? 1 : 255;
  const [r, g, b] = (color.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / scale;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

/** The colour behind `node`: its own background, else the nearest ancestor's (through shadow roots), else the page's white. */
function backgroundOf(node: Element): string {
  for (let at: Element | null = node; at; at = at.parentElement ?? (at.getRootNode() as ShadowRoot).host ?? null) {
    const color = getComputedStyle(at).backgroundColor;
    if (!/^rgba\(.*, 0\)$/.test(color) && color !== 'transparent') return color;
  }
  return 'rgb(255, 255, 255)';
}

/** Background and text luminance of a row, and their contrast. */
function shade(row: Element) {
  const style = getComputedStyle(row);
  const background = luminance(style.backgroundColor);
  const text = luminance(style.color);
  return { background, text, contrast: contrast(background, text) };
}

/** A <titan-uploader> whose upload failed (its token source answers 503): an error row. */
async function titanErrorRow(theme: string, asProperty = false): Promise<Element> {
  await knob('app-titan', 'fail-token', { count: 10, status: 503 });
  const el = await fixture<TitanUploader>(html`<titan-uploader api-url=${await titanApi()} token-url="/app/titan/token"></titan-uploader>`);
  if (asProperty) el.theme = theme as TitanUploader['theme'];
  else el.setAttribute('theme', theme);
  el.addFiles([randomFile(100, 'a.txt', 'text/plain')]);
  await el.upload();
  await el.updateComplete;
  return el.shadowRoot!.querySelector('.result')!;
}

/** A <digime-writer> that wrote before connecting: a failed row. */
async function digimeFailedRow(theme: string): Promise<Element> {
  const el = await fixture<DigiMeWriter>(html`<digime-writer backend-url="/app/digime" theme=${theme}></digime-writer>`);
  el.addFiles([new File(['x'], 'x.txt', { type: 'text/plain' })]);
  await el.upload();
  await el.updateComplete;
  return el.shadowRoot!.querySelector('[part~="result"]')!;
}

describe('theme', () => {
  beforeEach(resetSandbox);

  for (const [name, row] of [
    ['<titan-uploader> result row', titanErrorRow],
    ['<digime-writer> result row', digimeFailedRow],
  ] as const) {
    describe(`when the ${name} is drawn in dark`, () => {
      it('is dark with light, readable text', async () => {
        const s = shade(await row('dark'));
        expect(s.background).to.be.below(0.1);
        expect(s.text).to.be.above(s.background);
        expect(s.contrast).to.be.at.least(4.5);
      });
    });

    describe(`when the ${name} is drawn in light`, () => {
      it('is light with dark, readable text', async () => {
        const s = shade(await row('light'));
        expect(s.background).to.be.above(0.7);
        expect(s.contrast).to.be.at.least(4.5);
      });
    });
  }

  // The accent reads at about 3:1 on the dark row; as text it is lightened there.
  for (const theme of ['dark', 'light']) {
    describe(`when a stored file's buttons are drawn in ${theme}`, () => {
      it('has Copy and Share text readable on the row (contrast ≥ 4.5)', async () => {
        const el = await fixture<TitanUploader>(
          html`<titan-uploader api-url=${await titanApi()} token-url="/app/titan/token" theme=${theme}></titan-uploader>`,
        );
        el.addFiles([randomFile(100, 'a.txt', 'text/plain')]);
        await el.upload();
        await el.updateComplete;
        const row = luminance(backgroundOf(el.shadowRoot!.querySelector('.result')!));
        for (const part of ['copy', 'share']) {
          const text = luminance(getComputedStyle(el.shadowRoot!.querySelector(`[part=${part}]`)!).color);
          expect(contrast(row, text), part).to.be.at.least(4.5);
        }
      });
    });
  }

  describe('when the theme is set as a property', () => {
    it('is reflected, so the rows follow it too', async () => {
      const s = shade(await titanErrorRow('dark', true));
      expect(s.background).to.be.below(0.1);
    });
  });
});
