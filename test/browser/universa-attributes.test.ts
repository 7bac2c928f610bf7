// Attributes that read as HTML does (issue 14, item 8): a boolean attribute is on when present,
// so "only the list" is `no-input`; the old `allow-input="false"` still works, with a warning.
import { expect } from '@open-wc/testing';
import '../../src/universa/index.js';
import type { UniversaSelectAddress } from '../../src/universa/index.js';
import { issue, part, resetAll, SHORT, until } from './fixtures/universa-helpers.js';

/** Mounts the element from HTML, with `attributes`, on a fresh issue, and waits for its popup. */
async function popupWith(attributes: string): Promise<UniversaSelectAddress> {
  const { cb } = await issue();
  const host = document.createElement('div');
  host.innerHTML = `<universa-select-address ${attributes} cb="${cb}"></universa-select-address>`;
  const el = host.firstElementChild as UniversaSelectAddress;
  el.addresses = [{ address: SHORT, label: 'Main key' }];
  document.body.append(host);
  await until(() => el.open, 'the popup');
  await el.updateComplete;
  return el;
}

describe('<universa-select-address> attributes', () => {
  beforeEach(resetAll);
  afterEach(() => document.querySelectorAll('universa-select-address').forEach((el) => el.parentElement!.remove()));

  describe('when no attribute is set', () => {
    it('offers the list and an input for typing an address', async () => {
      const el = await popupWith('');
      expect(part(el, 'input')).to.not.equal(null);
    });
  });

  describe('when no-input is present', () => {
    it('offers only the list', async () => {
      const el = await popupWith('no-input');
      expect(part(el, 'input')).to.equal(null);
      expect(part(el, 'addresses')).to.not.equal(null);
    });
  });

  describe('when the deprecated allow-input="false" is set', () => {
    it('still offers only the list, and warns once that no-input replaces it', async () => {
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
      try {
        const el = await popupWith('allow-input="false"');
        expect(part(el, 'input')).to.equal(null);
        await popupWith('allow-input="false"');
      } finally {
        console.warn = warn;
      }
      expect(warnings.filter((w) => w.includes('no-input'))).to.have.length(1);
    });
  });
});
