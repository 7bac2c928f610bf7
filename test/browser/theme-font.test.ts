// One `--upload-elements-font` for the three elements: a font family, set once on the page.
// <universa-select-address> used to read it as a `font` shorthand, so a family there was dropped
// (and a shorthand was dropped by the other two); a shorthand is still honoured there, with a
// warning.
import { expect, fixture, html } from '@open-wc/testing';
import '../../src/titan/index.js';
import '../../src/digime/index.js';
import '../../src/universa/index.js';
import type { LitElement } from 'lit';

const FAMILY = 'Georgia, serif';
const SHORTHAND = 'italic 21px Georgia';

/** The computed font of a node inside the element's shadow root, or of its host. */
async function fontInside(el: LitElement, selector?: string) {
  await el.updateComplete;
  const node = (selector && el.shadowRoot!.querySelector(selector)) || el;
  const style = getComputedStyle(node);
  return { family: style.fontFamily, size: style.fontSize, style: style.fontStyle };
}

describe('--upload-elements-font', () => {
  describe('when the page sets a font family once', () => {
    const mount = () =>
      fixture<HTMLDivElement>(html`
        <div style="--upload-elements-font: ${FAMILY}; font-size: 13px">
          <titan-uploader locale="en"></titan-uploader>
          <digime-writer locale="en"></digime-writer>
          <universa-select-address locale="en"></universa-select-address>
        </div>
      `);

    for (const [tag, selector] of [
      ['titan-uploader', undefined],
      ['digime-writer', undefined],
      ['universa-select-address', 'dialog'],
    ] as const) {
      it(`${tag} uses it`, async () => {
        const page = await mount();
        const font = await fontInside(page.querySelector(tag) as LitElement, selector);
        expect(font.family).to.equal(FAMILY);
        expect(font.size).to.equal('13px');
      });
    }
  });

  describe('when a font shorthand is set for <universa-select-address>, as it used to take', () => {
    it('still applies it, and warns once', async () => {
      const warn = console.warn;
      const warnings: string[] = [];
      console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
      let fonts: Awaited<ReturnType<typeof fontInside>>[];
      try {
        const page = await fixture<HTMLDivElement>(html`
          <div style="--upload-elements-font: ${SHORTHAND}">
            <universa-select-address locale="en"></universa-select-address>
            <universa-select-address locale="en"></universa-select-address>
          </div>
        `);
        fonts = await Promise.all(
          [...page.querySelectorAll('universa-select-address')].map((el) => fontInside(el as LitElement, 'dialog')),
        );
      } finally {
        console.warn = warn;
      }
      for (const font of fonts) expect(font).to.deep.equal({ family: 'Georgia', size: '21px', style: 'italic' });
      expect(warnings.filter((w) => w.includes('--upload-elements-font'))).to.have.length(1);
    });
  });
});
