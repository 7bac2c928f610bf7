import { css } from 'lit';

/**
 * The colours of what the elements draw themselves (result rows, errors, notes), following the
 * `theme` attribute the Dashboard follows: light by default, dark, or the system's (`auto`).
 * The dark palette is written twice: the build's CSS minifier takes only whole rules. `--_link`
 * is the accent as text: lighter in dark, where the accent itself reads at about 3:1.
 */
export const themeStyles = css`
  :host {
    --_surface: #fff;
    --_subtle: #f4f6fb;
    --_text: #222;
    --_muted: #555;
    --_line: #e3e3e3;
    --_error-surface: #fdecec;
    --_error-text: #8a1c1c;
    --_link: var(--_accent);
  }
  :host([theme='dark']) {
    --_surface: #1e222b;
    --_subtle: #272c38;
    --_text: #e9ecf2;
    --_muted: #aab1bf;
    --_line: #3a4150;
    --_error-surface: #3b1f24;
    --_error-text: #ffb3bb;
    --_link: color-mix(in srgb, var(--_accent) 55%, #fff);
  }
  @media (prefers-color-scheme: dark) {
    :host([theme='auto']) {
      --_surface: #1e222b;
      --_subtle: #272c38;
      --_text: #e9ecf2;
      --_muted: #aab1bf;
      --_line: #3a4150;
      --_error-surface: #3b1f24;
      --_error-text: #ffb3bb;
      --_link: color-mix(in srgb, var(--_accent) 55%, #fff);
    }
  }
`;
