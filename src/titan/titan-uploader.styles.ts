import { css } from 'lit';
import { dashboardA11yStyles } from '../internal/uppy-a11y.js';
import { uppyStyles } from '../internal/uppy-styles.js';
import { themeStyles } from '../internal/theme-styles.js';

const own = css`
  :host {
    --_accent: var(--upload-elements-accent, #1269cf);
    --_radius: var(--upload-elements-radius, 6px);
    --_font: var(--upload-elements-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    /* Uppy reads these, so its buttons and text follow ours. */
    --uppy-color-primary: var(--_accent);
    --uppy-color-primary-hover: color-mix(in srgb, var(--_accent) 80%, #000);
    --uppy-font-family: var(--_font);
    display: block;
    font-family: var(--_font);
  }
  :host([hidden]) {
    display: none;
  }
  .uppy-Dashboard-inner {
    border-radius: var(--_radius);
  }
  .uppy-Dashboard-browse,
  .uppy-DashboardContent-addMore {
    color: var(--_accent);
  }
  .uppy-StatusBar-actionBtn--upload,
  .uppy-StatusBar.is-uploading .uppy-StatusBar-progress {
    background-color: var(--_accent);
  }
  .results {
    list-style: none;
    margin: 0.75rem 0 0;
    padding: 0;
    display: grid;
    gap: 0.5rem;
  }
  .result {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 0.25rem 0.75rem;
    padding: 0.5rem 0.75rem;
    border: 1px solid var(--_line);
    border-radius: var(--_radius);
    background: var(--_surface);
    color: var(--_text);
    font-size: 0.875rem;
  }
  .result.error {
    border-color: #e32437;
    background: var(--_error-surface);
  }
  .name {
    font-weight: 600;
    overflow-wrap: anywhere;
  }
  .cid {
    flex: 1 1 16rem;
    min-width: 0;
    font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
    font-size: 0.8125rem;
    overflow-wrap: anywhere;
    user-select: all;
  }
  .note {
    color: var(--_muted);
    font-size: 0.8125rem;
  }
  .copy,
  .link {
    font: inherit;
    font-size: 0.8125rem;
    color: var(--_link);
    background: none;
    border: 1px solid currentColor;
    border-radius: var(--_radius);
    padding: 0.125rem 0.5rem;
    cursor: pointer;
    text-decoration: none;
  }
  .copy[data-state='copied'] {
    color: #fff;
    background: var(--_accent);
    border-color: var(--_accent);
  }
  .copy:focus-visible,
  .link:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  .error-text {
    flex-basis: 100%;
    color: var(--_error-text);
  }
  .error-detail {
    flex-basis: 100%;
    color: var(--_muted);
    font-size: 0.8125rem;
    overflow-wrap: anywhere;
  }
`;

export const titanUploaderStyles = [...uppyStyles, dashboardA11yStyles, themeStyles, own];
