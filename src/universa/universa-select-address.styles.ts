import { css } from 'lit';

// Kept small (the universa entry has a 12 kB goal): pages restyle through parts. The build
// minifies this text.
export const universaSelectAddressStyles = css`
  :host {
    display: block;
    font-family: var(--upload-elements-font,inherit);
    --a: var(--upload-elements-accent,#3457d5);
  }
  /* The address input gets this border too, not the browser's inset one: Chromium 156 paints
     that one's lower and right edges #cacaca on white (1.6:1), and other browsers otherwise. */
  dialog,#input,button,a {
    border: 1px solid;
    border-radius: var(--upload-elements-radius,6px);
    font: inherit;
  }
  dialog {
    border: 1px solid #8886;
    padding: 1.2em 1.5em;
    max-width: min(36em,100% - 2em);
    box-shadow: 0 .5em 2em #0004;
  }
  dialog::backdrop {
    background: #0005;
  }
  h2 {
    margin-top: 0;
    font-size: 1.2em;
  }
  fieldset {
    border: 0;
    padding: 0;
    margin: 0 0 1em;
  }
  button,a {
    color: light-dark(var(--a),color-mix(in srgb,var(--a) 55%,#fff));
    background: 0 0;
    padding: .3em .8em;
    text-decoration: none;
  }
  [part=ok] {
    background: var(--a);
    color: #fff;
  }
  :disabled {
    opacity: .5;
  }
  [part=actions] {
    display: flex;
    gap: .5em;
    justify-content: flex-end;
  }
  #input {
    box-sizing: border-box;
    width: 100%;
    padding: .4em;
  }
  code,#input {
    font-family: monospace;
    overflow-wrap: anywhere;
  }
  label {
    display: block;
    margin: .3em 0;
  }
  [part$=error] {
    color: #c0262d;
  }
  dl {
    display: grid;
    grid-template-columns: auto 1fr;
    gap: .2em .8em;
  }
  dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
`;
