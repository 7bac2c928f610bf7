import { unsafeCSS, type CSSResult } from 'lit';
import uppyCoreCss from '@uppy/core/css/style.min.css?inline';
import uppyDashboardCss from '@uppy/dashboard/css/style.min.css?inline';

/**
 * Uppy draws its tooltip arrows and drop hint with `data:` SVG images. On a page whose
 * Content-Security-Policy has no `img-src data:` every one of them is a reported violation, and
 * they are decoration only, so they are dropped.
 */
export function withoutDataImages(css: string): string {
  return css.replace(/url\(\s*(?:"data:[^"]*"|'data:[^']*'|data:[^)]*)\s*\)/g, 'none');
}

/** Uppy's own CSS, adopted into a shadow root (document styles do not reach it). */
export const uppyStyles: CSSResult[] = [unsafeCSS(withoutDataImages(uppyCoreCss)), unsafeCSS(withoutDataImages(uppyDashboardCss))];
