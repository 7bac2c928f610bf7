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
