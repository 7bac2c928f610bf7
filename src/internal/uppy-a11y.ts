import { css } from 'lit';

/**
 * Focus and contrast fixes for the Dashboard, shared by the elements that mount one. They read
 * the element's `--_accent`.
 */
export const dashboardA11yStyles = css`
  /* Uppy removes the outline of "browse files" and shows only a 1px underline on focus. */
  .uppy-Dashboard-browse:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
    border-radius: 2px;
  }
  /* Uppy's waiting state paints the upload button green under white text (2.8:1), dark theme
     included; ours is the accent. */
  :host .uppy-StatusBar.is-waiting .uppy-StatusBar-actionBtn--upload {
    background-color: var(--_accent);
  }
  :host .uppy-StatusBar.is-waiting .uppy-StatusBar-actionBtn--upload:hover {
    background-color: color-mix(in srgb, var(--_accent) 80%, #000);
  }
`;

/**
 * Uppy's Dashboard renders a lone file as `role="listitem"` inside a plain `<div>` (with two or
 * more files its virtual list carries `role="list"`), so assistive technology sees a list item
 * without a list (axe: `aria-required-parent`). This gives that container the list role after
 * each Dashboard render. Preact only touches attributes it set itself, so the role stays until
 * Uppy renders its own list, and comes back when it drops it again.
 */
export function fixDashboardRoles(target: Element): MutationObserver {
  const fix = () => {
    for (const files of target.querySelectorAll('.uppy-Dashboard-files:not([role])')) files.setAttribute('role', 'list');
  };
  const observer = new MutationObserver(fix);
  observer.observe(target, { childList: true, subtree: true, attributeFilter: ['role'] });
  fix();
  return observer;
}
