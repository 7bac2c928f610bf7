import { css } from 'lit';
import { dashboardA11yStyles } from '../internal/uppy-a11y.js';
import { uppyStyles } from '../internal/uppy-styles.js';
import { themeStyles } from '../internal/theme-styles.js';

export const digimeWriterStyles = [
  // The Dashboard renders inside our shadow root, so its CSS has to be adopted here.
  ...uppyStyles,
  dashboardA11yStyles,
  themeStyles,
  css`
    :host {
      display: block;
      font-family: var(--upload-elements-font, system-ui, sans-serif);
      --_accent: var(--upload-elements-accent, #2d5be3);
      --_radius: var(--upload-elements-radius, 6px);
    }
    [hidden] {
      display: none !important;
    }
    [part='base'] {
      display: grid;
      gap: 0.75rem;
    }
    [part='header'] {
      display: flex;
      align-items: center;
      gap: 0.75rem;
      flex-wrap: wrap;
    }
    button {
      font: inherit;
      border-radius: var(--_radius);
      padding: 0.5rem 1rem;
      cursor: pointer;
    }
    [part='connect-button'] {
      background: var(--_accent);
      color: #fff;
      border: 1px solid var(--_accent);
    }
    [part='disconnect-button'] {
      background: transparent;
      color: var(--_link);
      border: 1px solid currentColor;
    }
    button:disabled,
    button[aria-disabled='true'] {
      opacity: 0.6;
      cursor: progress;
    }
    [part='header'] button:focus-visible {
      outline: 2px solid var(--_accent);
      outline-offset: 2px;
    }
    [part='status'] small {
      font-family: ui-monospace, monospace;
      opacity: 0.7;
    }
    [part='error'] {
      margin: 0;
      padding: 0.5rem 0.75rem;
      border-radius: var(--_radius);
      background: var(--_error-surface);
      color: var(--_error-text);
    }
    [part='results'] {
      margin: 0;
      padding: 0;
      list-style: none;
      display: grid;
      gap: 0.25rem;
    }
    [part~='result'] {
      display: flex;
      justify-content: space-between;
      gap: 1rem;
      padding: 0.25rem 0.5rem;
      border-radius: var(--_radius);
      background: var(--_subtle);
      color: var(--_text);
    }
    [part~='result-failed'] {
      background: var(--_error-surface);
      color: var(--_error-text);
    }
  `,
];
